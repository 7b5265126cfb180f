package main

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"lockbench/internal/exitcode"
)

// --shard auto reads the CI's parallel-job variables; bad or missing ones are bad input that
// name the variable, before anything runs.
func TestBenchShardAuto(t *testing.T) {
	for _, v := range []string{"CI_NODE_INDEX", "CI_NODE_TOTAL", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL",
		"BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", "JOB_COMPLETION_INDEX"} {
		t.Setenv(v, "")
	}
	runs := t.TempDir()
	code, _, stderr := lockbench(t, "bench", "-m", "testdata/tiny.yaml", "--runs", runs, "--shard", "auto/4")
	assert.Equal(t, int(exitcode.Usage), code)
	assert.Contains(t, stderr, "no CI parallel-job variable is set")

	t.Setenv("JOB_COMPLETION_INDEX", "1")
	code, _, stderr = lockbench(t, "bench", "-m", "testdata/tiny.yaml", "--runs", runs, "--shard", "auto")
	assert.Equal(t, int(exitcode.Usage), code)
	assert.Contains(t, stderr, "JOB_COMPLETION_INDEX=1 (a Kubernetes Indexed Job) gives no total: write --shard auto/N")

	t.Setenv("CI_NODE_INDEX", "5")
	t.Setenv("CI_NODE_TOTAL", "4")
	code, _, stderr = lockbench(t, "bench", "-m", "testdata/tiny.yaml", "--runs", runs, "--shard", "auto")
	assert.Equal(t, int(exitcode.Usage), code)
	assert.Contains(t, stderr, "CI_NODE_INDEX=5 (GitLab CI) is outside the 4 jobs")
}
