package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/internal/exitcode"
)

// TestReportPanicNamesWhere panics in the runtime (a write to a nil map): the report starts at
// the line that panicked, not in the runtime's panic machinery.
func TestReportPanicNamesWhere(t *testing.T) {
	var b bytes.Buffer
	var file string
	var line int
	code := func() (code exitcode.Code) {
		defer func() {
			if v := recover(); v != nil {
				code = reportPanic(&b, v)
			}
		}()
		var m map[string]int
		_, file, line, _ = runtime.Caller(0)
		//lint:ignore SA5000 the panic under test
		m["x"]++ // two lines below Caller
		return exitcode.Pass
	}()
	assert.Equal(t, exitcode.Internal, code)
	out := b.String()
	assert.Contains(t, out, "lockbench: internal error: panic: assignment to entry in nil map\n")
	first := bytes.SplitN(b.Bytes(), []byte("\n"), 3)[1]
	assert.Contains(t, string(first), fmt.Sprintf("(%s:%d)", file, line+2), "the first frame is the line that panicked:\n%s", out)
	assert.Contains(t, out, "this is a bug in lockbench")
}

// TestPanicDuringBenchExitsFourAndKeepsTrials makes lockbench (this test binary, as a process of
// its own) panic in the middle of a bench run, right after its second trial was recorded: it
// exits 4 (not Go's 2, which means bad input) naming the panic and where it happened, the run
// directory holds the two recorded trials intact, and --resume finishes the run.
func TestPanicDuringBenchExitsFourAndKeepsTrials(t *testing.T) {
	runs := t.TempDir()
	cmd := exec.Command(os.Args[0], "bench", "-m", "testdata/tiny.yaml", "--filter", "competitor=none", "--runs", runs, "--quiet")
	cmd.Env = append(os.Environ(), panicEnv+"=bench-trial-2")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "lockbench exited with an error: %v\n%s", err, stderr.String())
	assert.Equal(t, int(exitcode.Internal), exit.ExitCode(), stderr.String())
	assert.Contains(t, stderr.String(), "lockbench: internal error: panic: "+panicEnv+" reached bench-trial-2\n")
	assert.Regexp(t, `\n  at \S+\.runBench\.func1 \(\S+/cmd/lockbench/bench\.go:\d+\)\n`, stderr.String(), "names the function, file and line")
	assert.Regexp(t, `\n  at lockbench/harness\.Execute \(\S+/harness/runner\.go:\d+\)\n`, stderr.String())
	assert.NotContains(t, stderr.String(), "cobra", "the frames end where run called the command")
	assert.Empty(t, stdout.String(), "no report: the run did not finish")

	dir, err := filepath.EvalSymlinks(filepath.Join(runs, "latest"))
	require.NoError(t, err)
	before, err := history.ReadTrials(dir)
	require.NoError(t, err)
	require.Len(t, before, 2, "the trials recorded before the panic")
	for _, tr := range before {
		assert.Equal(t, "ok", string(tr.Outcome.Kind), tr.Cell)
	}

	code, out, errOut := lockbench(t, "bench", "--resume", dir, "--quiet")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "verdict: PASS")
	after, err := history.ReadTrials(dir)
	require.NoError(t, err)
	require.Len(t, after, 4, "2 cells × 2 trials")
	assert.Equal(t, before, after[:2], "the recorded trials are unchanged")
}

// TestPanicInAGoroutineExitsFourAndKeepsTrials panics in a goroutine that is not the command's
// (started with crash.Go, as every goroutine of lockbench is) right after the second trial of a
// bench run was recorded: lockbench exits 4, not Go's 2, naming the panic, where it happened
// and where the goroutine was started, and the two recorded trials are intact.
func TestPanicInAGoroutineExitsFourAndKeepsTrials(t *testing.T) {
	runs := t.TempDir()
	cmd := exec.Command(os.Args[0], "bench", "-m", "testdata/tiny.yaml", "--filter", "competitor=none", "--runs", runs, "--quiet")
	cmd.Env = append(os.Environ(), panicEnv+"=go:bench-trial-2")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "lockbench exited with an error: %v\n%s", err, stderr.String())
	assert.Equal(t, int(exitcode.Internal), exit.ExitCode(), stderr.String())
	assert.Contains(t, stderr.String(), "lockbench: internal error: panic: "+panicEnv+" reached go:bench-trial-2\n")
	assert.Regexp(t, `\n  at lockbench/cmd/lockbench\.TestMain\.func1\.1 \(\S+/cmd/lockbench/main_test\.go:\d+\)\n`, stderr.String(), "names the function, file and line")
	assert.Regexp(t, `\n  in a goroutine started by lockbench/cmd/lockbench\.TestMain\.func1 \(\S+/cmd/lockbench/main_test\.go:\d+\)\n`, stderr.String())
	assert.Empty(t, stdout.String(), "no report: the run did not finish")

	dir, err := filepath.EvalSymlinks(filepath.Join(runs, "latest"))
	require.NoError(t, err)
	trials, err := history.ReadTrials(dir)
	require.NoError(t, err)
	require.Len(t, trials, 2, "the trials recorded before the panic")
	for _, tr := range trials {
		assert.Equal(t, "ok", string(tr.Outcome.Kind), tr.Cell)
	}
	left, err := filepath.Glob(filepath.Join(dir, "trial-*"))
	require.NoError(t, err)
	assert.Empty(t, left, "no trial was running: the panic came between trials")
}
