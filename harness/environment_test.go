package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/outcome"
	"lockbench/vocab"
)

// envScenario is a small matrix of fast trials (4, no warmup) for the tests of environment
// failures.
const envScenario = `
name: env
workload: sim
trials: 2
warmup: 0
timeout: 2m
defaults:
  employees: 100
  years: [2025]
matrix:
  mode: [sequential, threaded]
`

// TestEnvGuardStops feeds sequences of outcomes to the guard: a full disk, a read-only file
// system and a vanished run directory stop the run at once; any other environment failure the
// second time it happens; results never stop it.
func TestEnvGuardStops(t *testing.T) {
	ok := outcome.Outcome{Kind: vocab.OK}
	lock := outcome.Outcome{Kind: vocab.LockConflict}
	env := func(sub vocab.Sub) outcome.Outcome { return outcome.Outcome{Kind: vocab.Environment, Sub: sub} }
	tests := []struct {
		name     string
		outcomes []outcome.Outcome
		stopAt   int // index of the outcome after which the run stops, -1 never
	}{
		{"results only", []outcome.Outcome{ok, lock, ok}, -1},
		{"a full disk at once", []outcome.Outcome{ok, env(vocab.SubDiskFull), ok}, 1},
		{"a read-only file system at once", []outcome.Outcome{env(vocab.SubReadOnlyFS)}, 0},
		{"a vanished run directory at once", []outcome.Outcome{env(vocab.SubVanished)}, 0},
		{"one OOM kill goes on", []outcome.Outcome{env(vocab.SubOOMKill), ok, ok}, -1},
		{"the second OOM kill stops", []outcome.Outcome{env(vocab.SubOOMKill), ok, env(vocab.SubOOMKill), ok}, 2},
		{"two different failures go on", []outcome.Outcome{env(vocab.SubTooManyFiles), env(vocab.SubOutOfMemory), ok}, -1},
		{"too many files twice in a row", []outcome.Outcome{env(vocab.SubTooManyFiles), env(vocab.SubTooManyFiles)}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newEnvGuard(t.TempDir())
			got := -1
			for i, o := range tc.outcomes {
				if g.observe(o) {
					got = i
					break
				}
			}
			assert.Equal(t, tc.stopAt, got)
		})
	}
}

// TestEnvironmentErrorIsUnknown checks what the user is told when the machine stopped a run:
// exit code 3, an interrupted run, the failure, the counts, the resume line and the advice.
func TestEnvironmentErrorIsUnknown(t *testing.T) {
	full := outcome.Outcome{Kind: vocab.Environment, Sub: vocab.SubDiskFull, Path: "$TRIAL_DIR/trial.duckdb.wal",
		Message: `TransactionContext Error: Failed to commit: Could not write file "$TRIAL_DIR/trial.duckdb.wal": No space left on device`,
		Env:     &outcome.EnvFacts{Mount: "/mnt/small", FSType: "tmpfs", SizeBytes: 4 << 20}}
	var err error = &EnvironmentError{Outcome: full, Failed: 1, Done: 3, Planned: 12, Dir: "/mnt/small/runs/r1", Stopped: true}
	wrapped := fmt.Errorf("bench: %w", err)
	assert.Equal(t, exitcode.Unknown, exitcode.Of(wrapped))
	assert.ErrorIs(t, wrapped, ErrInterrupted)
	assert.Equal(t, `the machine failed, not the code: environment/disk-full (TransactionContext Error: Failed to commit: Could not write file "$TRIAL_DIR/trial.duckdb.wal": No space left on device); the run stopped after 3 of 12 trials (1 failed for environmental reasons and is not a result; no verdict is reached): resume with: lockbench bench --resume /mnt/small/runs/r1`, err.Error())
	assert.Equal(t, "the disk is full: /mnt/small/runs/r1 (on tmpfs at /mnt/small, 0 B free of 4.0 MiB). Free space there or put the runs on a larger disk (--runs DIR), then resume; this says nothing about locking.", exitcode.HintOf(wrapped))
}

// results returns the trials of dir that are results, checking that each slot has one.
func results(t *testing.T, dir string) []history.Trial {
	t.Helper()
	trials, err := history.ReadTrials(dir)
	require.NoError(t, err, "the history stays valid")
	var out []history.Trial
	seen := map[string]bool{}
	for _, tr := range trials {
		if !tr.Outcome.Kind.Result() {
			continue
		}
		id := slotID(tr.Cell, tr.Trial, tr.Warmup)
		assert.False(t, seen[id], "slot %s has two results", id)
		seen[id] = true
		out = append(out, tr)
	}
	return out
}

// readOnlyOver mounts dir read-only over itself (a read-only bind mount; root only, it skips
// elsewhere) and returns the function that removes it. Files already open for writing keep
// writing below it, as they do when a mount changes under a running program.
func readOnlyOver(t *testing.T, dir string) func() {
	t.Helper()
	if out, err := exec.Command("mount", "--bind", dir, dir).CombinedOutput(); err != nil {
		t.Skipf("cannot bind-mount here (needs root): %v: %s", err, out)
	}
	undo := func() { _ = exec.Command("umount", dir).Run() }
	t.Cleanup(undo)
	if out, err := exec.Command("mount", "-o", "remount,bind,ro", dir).CombinedOutput(); err != nil {
		undo()
		t.Skipf("cannot make a bind mount read-only here: %v: %s", err, out)
	}
	return undo
}

// TestReadOnlyRunsDirectory makes the runs directory read-only: at the start of a run that is
// bad input (exit code 2) and nothing is written; during a run it stops the run at once with
// exit code 3 naming a read-only file system, the history stays valid, a resume while it is
// still read-only runs nothing (exit code 2), and a resume once it is writable again finishes
// the run with every trial once.
func TestReadOnlyRunsDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (full runs): skipped by -short, run by CI")
	}
	runs := filepath.Join(t.TempDir(), "runs")
	require.NoError(t, os.Mkdir(runs, 0o755))
	undo := readOnlyOver(t, runs)
	_, err := Execute(context.Background(), Options{
		Scenario: parse(t, envScenario), ScenarioYAML: []byte(envScenario), RunsDir: runs, Trial: testTrialCommand(),
	})
	assert.Equal(t, exitcode.Usage, exitcode.Of(err), "%v", err)
	assert.ErrorContains(t, err, "read-only file system")
	undo()
	left, _ := os.ReadDir(runs)
	assert.Empty(t, left, "nothing was written")

	recorded := 0
	res, err := Execute(context.Background(), Options{
		Scenario: parse(t, envScenario), ScenarioYAML: []byte(envScenario), RunsDir: runs, Trial: testTrialCommand(),
		OnTrial: func(history.Trial) {
			if recorded++; recorded == 2 {
				readOnlyOver(t, runs)
			}
		},
	})
	var envErr *EnvironmentError
	require.ErrorAs(t, err, &envErr, "%v", err)
	assert.Equal(t, exitcode.Unknown, exitcode.Of(err))
	assert.Equal(t, vocab.SubReadOnlyFS, envErr.Outcome.Sub, envErr.Outcome.Message)
	assert.True(t, envErr.Stopped)
	assert.Equal(t, 2, envErr.Done)
	require.NotNil(t, envErr.Outcome.Env)
	assert.True(t, envErr.Outcome.Env.ReadOnly)
	assert.Equal(t, runs, envErr.Outcome.Env.Mount)
	assert.Contains(t, err.Error(), "resume with: lockbench bench --resume "+res.Dir)
	assert.Len(t, results(t, res.Dir), 2)

	_, err = Execute(context.Background(), Options{Resume: res.Dir, Trial: testTrialCommand()})
	assert.Equal(t, exitcode.Usage, exitcode.Of(err), "%v", err)
	assert.ErrorContains(t, err, "cannot be written, so no trial was run")
	assert.Len(t, results(t, res.Dir), 2)

	require.NoError(t, exec.Command("umount", runs).Run())
	again, err := Execute(context.Background(), Options{Resume: res.Dir, Trial: testTrialCommand()})
	require.NoError(t, err)
	assert.Equal(t, 2, again.Skipped)
	got := results(t, res.Dir)
	assert.Len(t, got, 4)
	for _, tr := range got {
		assert.Equal(t, vocab.OK, tr.Outcome.Kind, "%s #%d: %s", tr.Cell, tr.Trial, tr.Outcome.Message)
	}
}

// TestRunDirectoryRemovedDuringRun removes the runs directory after the first recorded trial:
// the run stops with exit code 3 and says that its directory vanished, without blaming a trial.
func TestRunDirectoryRemovedDuringRun(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (runs trials): skipped by -short, run by CI")
	}
	runs := filepath.Join(t.TempDir(), "runs")
	res, err := Execute(context.Background(), Options{
		Scenario: parse(t, envScenario), ScenarioYAML: []byte(envScenario), RunsDir: runs, Trial: testTrialCommand(),
		OnTrial: func(history.Trial) { require.NoError(t, os.RemoveAll(runs)) },
	})
	var envErr *EnvironmentError
	require.ErrorAs(t, err, &envErr)
	assert.Equal(t, exitcode.Unknown, exitcode.Of(err))
	assert.Equal(t, vocab.SubVanished, envErr.Outcome.Sub)
	assert.Equal(t, 1, res.Ran, "no trial is recorded after the directory vanished")
	assert.Contains(t, err.Error(), "disappeared during the run")
	assert.Contains(t, err.Error(), "start the run again")
	assert.NotContains(t, err.Error(), "--resume", "a vanished run cannot be resumed")
	assert.NoDirExists(t, res.Dir)
}

// TestOOMKilledTrialIsNamed runs trials that the kernel's OOM killer ends inside a memory
// cgroup of their own (a shell that joins it and runs `tail /dev/zero`, which buffers without
// end): each is an environment failure (oom-kill), not a crash, and the second stops the run.
// It skips where this process cannot create a memory cgroup.
func TestOOMKilledTrialIsNamed(t *testing.T) {
	cg := childMemoryCgroup(t, 32<<20)
	before, known := outcome.OOMKills()
	if !known {
		t.Skip("the kernel's OOM-kill count of this cgroup is not readable here")
	}
	runs := t.TempDir()
	res, err := Execute(context.Background(), Options{
		Scenario: parse(t, envScenario), ScenarioYAML: []byte(envScenario), RunsDir: runs,
		Trial: TrialCommand{Path: "/bin/sh", Args: []string{"-c", `echo $$ > "$LOCKBENCH_TEST_CGROUP/cgroup.procs" && exec tail /dev/zero`, "sh"},
			Env: []string{"LOCKBENCH_TEST_CGROUP=" + cg}},
	})
	if after, _ := outcome.OOMKills(); after == before {
		t.Skipf("the memory cgroup did not OOM-kill the trials here (%v)", err)
	}
	var envErr *EnvironmentError
	require.ErrorAs(t, err, &envErr, "%v", err)
	assert.Equal(t, exitcode.Unknown, exitcode.Of(err))
	trials, rerr := history.ReadTrials(res.Dir)
	require.NoError(t, rerr)
	require.Len(t, trials, 2, "the second OOM kill stops the run")
	for _, tr := range trials {
		assert.Equal(t, vocab.Environment, tr.Outcome.Kind, tr.Outcome.Message)
		assert.Equal(t, vocab.SubOOMKill, tr.Outcome.Sub)
		assert.Contains(t, tr.Outcome.Message, "OOM killer")
	}
	assert.True(t, envErr.Stopped)
	assert.Contains(t, exitcode.HintOf(err), "OOM")
}

// childMemoryCgroup makes a memory cgroup below this process's (v1 or v2) with a limit and no
// swap, removed when the test ends; it skips where that is not allowed.
func childMemoryCgroup(t *testing.T, limit int64) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/cgroup")
	require.NoError(t, err)
	var dir, limitFile string
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if strings.Contains(","+parts[1]+",", ",memory,") {
			dir, limitFile = filepath.Join("/sys/fs/cgroup/memory", parts[2]), "memory.limit_in_bytes"
		}
		if parts[0] == "0" && parts[1] == "" && dir == "" {
			dir, limitFile = filepath.Join("/sys/fs/cgroup", parts[2]), "memory.max"
		}
	}
	cg := filepath.Join(dir, fmt.Sprintf("lockbench-harness-test-%d", os.Getpid()))
	if err := os.Mkdir(cg, 0o755); err != nil {
		t.Skipf("cannot create a memory cgroup here: %v", err)
	}
	t.Cleanup(func() { _ = os.Remove(cg) })
	if err := os.WriteFile(filepath.Join(cg, limitFile), []byte(strconv.FormatInt(limit, 10)), 0o644); err != nil {
		t.Skipf("cannot limit the memory cgroup: %v", err)
	}
	_ = os.WriteFile(filepath.Join(cg, "memory.memsw.limit_in_bytes"), []byte(strconv.FormatInt(limit, 10)), 0o644)
	_ = os.WriteFile(filepath.Join(cg, "memory.swap.max"), []byte("0"), 0o644)
	return cg
}

// TestHarnessFailureOfTheMachine classifies the runner's own failures: a real EMFILE from
// starting a process is an environment failure, anything else stays an error.
func TestHarnessFailureOfTheMachine(t *testing.T) {
	o := harnessFailure("start trial", &os.PathError{Op: "fork/exec", Path: "/usr/bin/lockbench", Err: syscall.EMFILE}, "")
	assert.Equal(t, vocab.Environment, o.Kind)
	assert.Equal(t, vocab.SubTooManyFiles, o.Sub)
	o = harnessFailure("start trial", errors.New("exec format error"), "")
	assert.Equal(t, vocab.Error, o.Kind)
	assert.Equal(t, "start trial: exec format error", o.Message)
}
