package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/vocab"
	"lockbench/watch"
)

// TestShippedWatchViewer runs the README's watch case: examples/watch/viewer.sh refreshes a
// dashboard on demo.duckdb while `lockbench watch` records it, until the viewer has come back
// once; then `watch --db` around the simulation in process-per-model mode, which fails or not
// by chance, and must exit with the simulation's status either way, naming the viewer when it
// failed.
func TestShippedWatchViewer(t *testing.T) {
	if testing.Short() {
		t.Skip("a viewer refreshing every 3 seconds takes a while")
	}
	dir := userDir(t)
	code, _, stderr := lockbench(t, dir, "simulate", "--db", "demo.duckdb", "--employees", "200", "--years", "2025")
	require.Equal(t, 0, code, stderr)

	viewer := exec.Command("examples/watch/viewer.sh", "demo.duckdb")
	viewer.Dir = dir
	viewer.Env = append(os.Environ(), "LOCKBENCH=lockbench")
	viewer.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, viewer.Start())
	stopViewer := func() {
		_ = syscall.Kill(-viewer.Process.Pid, syscall.SIGKILL)
		_ = viewer.Wait()
	}
	t.Cleanup(stopViewer)

	w := exec.Command("lockbench", "watch", "--json", "demo.duckdb")
	w.Dir = dir
	w.Stderr = os.Stderr
	out, err := w.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, w.Start())
	t.Cleanup(func() { _ = w.Process.Kill(); _ = w.Wait() })
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 16<<20)
	var appeared []watch.JSONEvent
	var end *watch.Timeline
	for sc.Scan() {
		var e watch.JSONEvent
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), sc.Text())
		switch e.Kind {
		case watch.Appeared:
			appeared = append(appeared, e)
			if len(appeared) == 2 {
				require.NoError(t, w.Process.Signal(syscall.SIGINT), "Ctrl-C")
			}
		case watch.Ended:
			end = e.Timeline
		}
	}
	require.NoError(t, w.Wait())
	require.NotNil(t, end)
	require.GreaterOrEqual(t, len(appeared), 2)
	for _, e := range appeared {
		assert.Equal(t, "read", e.Mode)
		assert.Equal(t, "lockbench hold --read-only --for 300ms demo.duckdb", e.Cmdline)
	}
	require.Len(t, end.Lanes, 1, "every refresh is one program")
	assert.GreaterOrEqual(t, end.Lanes[0].Returns, 1, "the dashboard came back")
	assert.GreaterOrEqual(t, len(end.Lanes[0].PIDs), 2, "a new process each time")

	tlPath := filepath.Join(dir, "watch.json")
	code, _, stderr = lockbench(t, dir, "watch", "--db", "demo.duckdb", "--out", "watch.json", "--",
		"lockbench", "simulate", "--db", "demo.duckdb", "--mode", "process-per-model", "--employees", "200", "--years", "2025", "2026")
	stopViewer()
	b, err := os.ReadFile(tlPath)
	require.NoError(t, err, stderr)
	var tl watch.Timeline
	require.NoError(t, json.Unmarshal(b, &tl))
	require.NotNil(t, tl.Command)
	assert.Equal(t, tl.Command.ExitCode, code, "watch exits with the simulation's status")
	t.Logf("the simulation exited %d with %d failure(s) marked", code, len(tl.Failures))
	switch code {
	case 0:
		assert.Empty(t, tl.Failures)
	case 1:
		require.NotEmpty(t, tl.Failures, stderr)
		f := tl.Failures[0]
		require.NotNil(t, f.Holder, "%+v", f)
		if f.Lane < 0 {
			// On a busy machine the watch can miss a 300ms hold between two samples; it must
			// then say so and still name the PID DuckDB named, rather than guess. (Whether it
			// sees the hold is timing; what it reports either way is not.)
			assert.Equal(t, f.Outcome.HolderPID, f.Holder.PID, "%+v", f)
			assert.Contains(t, f.Note, "did not see", "%+v", f)
			break
		}
		assert.Contains(t, f.Holder.Cmdline, "hold --read-only", "%+v", f)
	default:
		t.Fatalf("simulate exited %d: %s", code, stderr)
	}
}

// TestShippedLeftoverReader runs the README's bench --watch case, examples/watch/leftover.yaml,
// with ./lockbench in the working directory as the README builds it: the pipeline's first job
// leaves a reader running in the background, the second job waits until the reader has the
// file and fails on its lock, and bench fails. The watch records the reader as a stranger named
// by the lock error, and the report names it, once the subshell that started the reader has
// ended before the watch first sees its lock; the subshell ends right after starting the
// reader, which has a Go program to start and DuckDB to open first, but that is the kernel's
// schedule, so a reader first seen before then is accepted as one of lockbench's own locks.
func TestShippedLeftoverReader(t *testing.T) {
	dir := userDir(t)
	require.NoError(t, os.Symlink(filepath.Join(bin, "lockbench"), filepath.Join(dir, "lockbench")))
	code, out, stderr := lockbench(t, dir, "bench", "-m", "examples/watch/leftover.yaml", "--watch", "--trials", "1", "--quiet")
	require.Equal(t, 1, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, out, "verdict: FAIL")
	trials := latestTrials(t, filepath.Join(dir, "runs"))
	require.Len(t, trials, 1)
	tr := trials[0]
	o := tr.Outcome
	require.Equal(t, vocab.LockConflict, o.Kind, o.Message)
	require.Positive(t, o.HolderPID)
	assert.Equal(t, filepath.Join(bin, "lockbench"), o.HolderExe)
	assert.Contains(t, o.HolderCmdline, "hold --read-only --for 5s")
	require.NotNil(t, tr.Watch, "the trial was watched")
	assert.Empty(t, tr.Watch.Note)
	assert.Positive(t, tr.Watch.OwnLocks, "the first job's locks are lockbench's own")
	for _, s := range tr.Watch.Strangers {
		assert.Equal(t, o.HolderPID, s.PID, "the only stranger is the reader: %+v", s)
		assert.True(t, s.Named)
		assert.Equal(t, "./lockbench hold --read-only --for 5s $TRIAL_DIR/trial.duckdb", s.Cmdline)
	}
	if len(tr.Watch.Strangers) > 0 {
		assert.Contains(t, out, "a process lockbench did not start, ./lockbench hold --read-only --for 5s $TRIAL_DIR/trial.duckdb (pid "+
			strconv.Itoa(o.HolderPID)+"), held the trial's database file during 1 of 1 watched trials; the lock error of 1 named it")
	} else {
		t.Logf("the reader's lock was first seen before its parent subshell ended: counted as lockbench's own")
	}
}
