package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/internal/proc"
)

// strangerScenario has two cells, each one trial of an exec workload that opens the trial's file
// read-write with `lockbench hold`. In the sequential cell the script first tells the test the
// file's path and waits until the test has a stranger (a reader it starts itself, outside the
// bench's process tree) holding the file; in the threaded cell lockbench's own reader-process
// competitor holds it. Both opens fail on the reader's lock; the expectation (a lock conflict)
// holds only for the conflict with lockbench's own competitor: a conflict with a stranger fails
// it.
const strangerScenario = `
name: strangers
workload:
  kind: exec
  command: sh "$STRANGER_SCRIPT" {mode} {db}
trials: 1
warmup: 0
timeout: 5m
matrix:
  mode: [sequential, threaded]
  competitor: [none, reader-process]
exclude:
  - {mode: sequential, competitor: reader-process}
  - {mode: threaded, competitor: none}
expect:
  - outcome: lock-conflict
`

const strangerScript = `
if [ "$1" = sequential ]; then
  printf %s "$2" >"$STRANGER_SIG/db.tmp" && mv "$STRANGER_SIG/db.tmp" "$STRANGER_SIG/db"
  until [ -e "$STRANGER_SIG/go" ]; do sleep 0.01; done
fi
exec "$LOCKBENCH_SELF" hold --for 1ms "$2"
`

// TestBenchWatchNamesStrangers runs `bench --watch` as a process of its own while the test
// itself, a process lockbench did not start, holds a trial's file: the trial record names it
// (PID, executable, command line, read lock, still held at the end, named by the lock error),
// the report names it for its cell (and the run fails: the conflict came from a stranger), and
// the cell whose file lockbench's own competitor held has no stranger.
func TestBenchWatchNamesStrangers(t *testing.T) {
	dir := t.TempDir()
	sig := filepath.Join(dir, "sig")
	require.NoError(t, os.Mkdir(sig, 0o755))
	script := filepath.Join(dir, "open.sh")
	require.NoError(t, os.WriteFile(script, []byte(strangerScript), 0o644))
	scenario := filepath.Join(dir, "strangers.yaml")
	require.NoError(t, os.WriteFile(scenario, []byte(strangerScenario), 0o644))
	runs := filepath.Join(dir, "runs")

	bench := exec.Command(os.Args[0], "bench", "-m", scenario, "--watch", "--runs", runs, "--quiet")
	bench.Env = append(os.Environ(), "STRANGER_SCRIPT="+script, "STRANGER_SIG="+sig, "LOCKBENCH_SELF="+os.Args[0])
	var stdout, stderr bytes.Buffer
	bench.Stdout, bench.Stderr = &stdout, &stderr
	bench.WaitDelay = 10 * time.Second // a process left holding its output must not hang the test
	require.NoError(t, bench.Start())
	exited := make(chan struct{})
	go func() {
		_ = bench.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = bench.Process.Kill()
		<-exited
	})

	// The stranger: this test binary as `lockbench hold --read-only`, a child of the test in a
	// process group of its own, so neither a descendant of the bench nor in its group.
	var db string
	ok := proc.WaitUntil(exited, 5*time.Minute, 10*time.Millisecond, func() bool {
		b, err := os.ReadFile(filepath.Join(sig, "db"))
		db = string(b)
		return err == nil
	})
	if !ok {
		_ = bench.Process.Kill()
		<-exited
		t.Fatalf("the sequential trial never started (bench: %v)\nstdout:\n%s\nstderr:\n%s", bench.ProcessState, stdout.String(), stderr.String())
	}
	stranger := exec.Command(os.Args[0], "hold", "--read-only", db)
	stranger.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := stranger.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, stranger.Start())
	t.Cleanup(func() {
		_ = stranger.Process.Kill()
		_ = stranger.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "holding "), line)
	pid := stranger.Process.Pid
	require.NoError(t, os.WriteFile(filepath.Join(sig, "go"), nil, 0o644))

	select {
	case <-exited:
	case <-time.After(5 * time.Minute):
		t.Fatalf("bench did not end: %s", stderr.String())
	}
	assert.Equal(t, int(exitcode.Fail), bench.ProcessState.ExitCode(), "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())

	latest, err := filepath.EvalSymlinks(filepath.Join(runs, "latest"))
	require.NoError(t, err)
	trials, err := history.ReadTrials(latest)
	require.NoError(t, err)
	require.Len(t, trials, 2)
	for _, tr := range trials {
		require.NotNil(t, tr.Watch, tr.Cell)
		assert.Equal(t, 0.05, tr.Watch.IntervalS)
		assert.Positive(t, tr.Watch.Samples)
		assert.Empty(t, tr.Watch.Note)
		assert.Equal(t, "lock-conflict", string(tr.Outcome.Kind), "%s: %s", tr.Cell, tr.Outcome.Message)
		switch tr.Params["mode"] {
		case "sequential":
			assert.Equal(t, pid, tr.Outcome.HolderPID, "DuckDB named the stranger")
			require.Len(t, tr.Watch.Strangers, 1, "%+v", tr.Watch.Strangers)
			s := tr.Watch.Strangers[0]
			assert.Equal(t, history.Stranger{
				PID: pid, Exe: os.Args[0], Cmdline: os.Args[0] + " hold --read-only $TRIAL_DIR/trial.duckdb", File: "trial.duckdb", Mode: "read",
				StartS: s.StartS, EndS: s.EndS, StillHeld: true, Named: true,
			}, s)
		case "threaded":
			assert.Equal(t, "competitor", string(tr.Outcome.HolderRole), "lockbench's own reader held the file")
			assert.Empty(t, tr.Watch.Strangers, "lockbench's own competitor is no stranger")
		default:
			t.Errorf("unexpected cell %s", tr.Cell)
		}
	}
	report := stdout.String()
	assert.Contains(t, report, "competitor=none: a process lockbench did not start, "+os.Args[0]+" hold --read-only $TRIAL_DIR/trial.duckdb"+
		" (pid "+strconv.Itoa(pid)+"), held the trial's database file during 1 of 1 watched trials; the lock error of 1 named it")
	assert.Equal(t, 1, strings.Count(report, "held the trial's database file"), "one stranger warning:\n%s", report)
	assert.Contains(t, report, "got lock-conflict/database (holder pid "+strconv.Itoa(pid)+") from a process lockbench did not start")
	assert.Contains(t, report, "verdict: FAIL")
}
