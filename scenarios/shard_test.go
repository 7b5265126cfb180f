package scenarios

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestResolveShard(t *testing.T) {
	tests := []struct {
		name   string
		expr   string
		env    map[string]string
		want   string
		source string
		err    string // part of the error message; "" for none
	}{
		{name: "none", expr: "", want: ""},
		{name: "explicit", expr: " 2/4 ", want: "2/4"},
		{name: "explicit out of range", expr: "5/4", err: `bad shard "5/4"`},
		{name: "gitlab counts from 1", expr: "auto", env: map[string]string{"CI_NODE_INDEX": "3", "CI_NODE_TOTAL": "4"}, want: "3/4", source: "CI_NODE_INDEX/CI_NODE_TOTAL"},
		{name: "circleci counts from 0", expr: "auto", env: map[string]string{"CIRCLE_NODE_INDEX": "0", "CIRCLE_NODE_TOTAL": "3"}, want: "1/3", source: "CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL"},
		{name: "buildkite counts from 0", expr: "auto", env: map[string]string{"BUILDKITE_PARALLEL_JOB": "4", "BUILDKITE_PARALLEL_JOB_COUNT": "5"}, want: "5/5", source: "BUILDKITE_PARALLEL_JOB/BUILDKITE_PARALLEL_JOB_COUNT"},
		{name: "kubernetes with a total", expr: "auto/8", env: map[string]string{"JOB_COMPLETION_INDEX": "7"}, want: "8/8", source: "JOB_COMPLETION_INDEX"},
		{name: "kubernetes without a total", expr: "auto", env: map[string]string{"JOB_COMPLETION_INDEX": "2"}, err: "gives no total: write --shard auto/N"},
		{name: "total agrees", expr: "auto/4", env: map[string]string{"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "4"}, want: "1/4", source: "CI_NODE_INDEX/CI_NODE_TOTAL"},
		{name: "total disagrees", expr: "auto/3", env: map[string]string{"CI_NODE_INDEX": "1", "CI_NODE_TOTAL": "4"}, err: "CI_NODE_TOTAL=4 says 4 jobs, not 3"},
		{name: "index past the total", expr: "auto", env: map[string]string{"CIRCLE_NODE_INDEX": "3", "CIRCLE_NODE_TOTAL": "3"}, err: "outside the 3 jobs"},
		{name: "gitlab index 0 is not a job", expr: "auto", env: map[string]string{"CI_NODE_INDEX": "0", "CI_NODE_TOTAL": "2"}, err: "outside the 2 jobs"},
		{name: "not a number", expr: "auto", env: map[string]string{"BUILDKITE_PARALLEL_JOB": "x", "BUILDKITE_PARALLEL_JOB_COUNT": "2"}, err: `BUILDKITE_PARALLEL_JOB="x"`},
		{name: "missing total", expr: "auto", env: map[string]string{"CI_NODE_INDEX": "1"}, err: `CI_NODE_TOTAL=""`},
		{name: "outside CI every cell", expr: "auto", want: ""},
		{name: "outside CI with a total", expr: "auto/4", err: "no CI parallel-job variable is set"},
		{name: "bad auto", expr: "auto/x", err: `bad shard "auto/x"`},
		{name: "bad auto zero", expr: "auto/0", err: `bad shard "auto/0"`},
		{name: "first system wins", expr: "auto", env: map[string]string{"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "2", "JOB_COMPLETION_INDEX": "0"}, want: "2/2", source: "CI_NODE_INDEX/CI_NODE_TOTAL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, source, err := ResolveShard(tc.expr, func(k string) string { return tc.env[k] })
			if tc.err != "" {
				assert.ErrorContains(t, err, tc.err)
				assert.True(t, errors.Is(err, ErrInvalid), "bad input is ErrInvalid (exit 2)")
				assert.ErrorContains(t, err, "--shard")
				return
			}
			assert.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.source, source)
		})
	}
}

// Every job of a parallel CI job set gets a different share and together they cover every
// cell once.
func TestShardAutoCoversTheMatrix(t *testing.T) {
	s, err := Load("full")
	assert.NoError(t, err)
	cells := s.Cells()
	seen := map[string]int{}
	for idx := range 4 {
		env := map[string]string{"CIRCLE_NODE_INDEX": string(rune('0' + idx)), "CIRCLE_NODE_TOTAL": "4"}
		shard, _, err := ResolveShard("auto", func(k string) string { return env[k] })
		assert.NoError(t, err)
		k, n, err := ParseShard(shard)
		assert.NoError(t, err)
		part, err := Shard(cells, k, n)
		assert.NoError(t, err)
		for _, c := range part {
			seen[c.Key]++
		}
	}
	assert.Len(t, seen, len(cells))
	for key, n := range seen {
		assert.Equal(t, 1, n, key)
	}
}
