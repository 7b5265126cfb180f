package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/holders"
	"lockbench/internal/proc"
	"lockbench/outcome"
	"lockbench/scenarios"
	"lockbench/vocab"
)

// tinyScenario is a small matrix whose trials take well under a second each.
const tinyScenario = `
name: tiny
workload: sim
trials: 2
warmup: 1
timeout: 2m
defaults:
  employees: 200
  years: [2025, 2026]
  threads: 2
matrix:
  mode: [sequential, threaded, process-per-model]
`

func parse(t testing.TB, src string) *scenarios.Scenario {
	s, err := scenarios.Parse("tiny.yaml", []byte(src))
	require.NoError(t, err)
	return s
}

func TestRunRecordsEveryTrialAndChecksData(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (several full runs): skipped by -short, run by CI")
	}
	runs := t.TempDir()
	res, err := Execute(context.Background(), Options{
		Scenario: parse(t, tinyScenario), ScenarioYAML: []byte(tinyScenario), RunsDir: runs, Trial: testTrialCommand(),
	})
	require.NoError(t, err)
	trials, err := history.ReadTrials(res.Dir)
	require.NoError(t, err)
	require.Equal(t, 9, len(trials), "3 cells × (1 warmup + 2 trials)")
	fps := map[string]bool{}
	for _, tr := range trials {
		assert.Equal(t, vocab.OK, tr.Outcome.Kind, "%s #%d: %s", tr.Cell, tr.Trial, tr.Outcome.Message)
		assert.Positive(t, tr.WallS)
		assert.Positive(t, tr.PeakRSSBytes)
		assert.NotEmpty(t, tr.Spans)
		fps[tr.Fingerprint] = true
	}
	assert.Len(t, fps, 1, "every mode produced the same data")
	// Warmups run before measured trials.
	for i, tr := range trials {
		if !tr.Warmup {
			for _, later := range trials[i:] {
				assert.False(t, later.Warmup, "a warmup ran after a measured trial")
			}
			break
		}
	}
	latest, err := os.Readlink(filepath.Join(runs, "latest"))
	require.NoError(t, err)
	assert.Equal(t, filepath.Base(res.Dir), latest)
	m, err := history.ReadManifest(res.Dir)
	require.NoError(t, err)
	assert.Contains(t, string(m.Scenario), `"name": "tiny"`)
	// Trial directories are cleaned up.
	left, _ := filepath.Glob(filepath.Join(res.Dir, "trial-*"))
	assert.Empty(t, left)
}

func TestFingerprintMismatchIsReported(t *testing.T) {
	check := newFingerprintCheck()
	params := map[string]string{"employees": "200", "years": "2025-2026"}
	a := history.Trial{Cell: "mode=sequential", Trial: 1, Seed: 9, Params: params, Fingerprint: "A", Outcome: outcome.Outcome{Kind: vocab.OK}}
	b := history.Trial{Cell: "mode=threaded", Trial: 1, Seed: 9, Params: params, Fingerprint: "B", Outcome: outcome.Outcome{Kind: vocab.OK}}
	c := history.Trial{Cell: "mode=sequential", Trial: 2, Seed: 10, Params: params, Fingerprint: "C", Outcome: outcome.Outcome{Kind: vocab.OK}}
	check.apply(&a)
	check.apply(&b)
	check.apply(&c)
	assert.Equal(t, vocab.OK, a.Outcome.Kind)
	assert.Equal(t, vocab.Mismatch, b.Outcome.Kind, "another mode of the same data differs")
	assert.Contains(t, b.Outcome.Message, "mode=sequential trial 1")
	assert.Equal(t, vocab.Mismatch, c.Outcome.Kind, "a cell's later trial differs from its first")
}

// benchRole runs the tiny scenario as a whole bench process, for the kill-and-resume test.
func benchRole(ctx context.Context) int {
	s, err := scenarios.Parse("tiny.yaml", []byte(tinyScenario))
	if err != nil {
		return 2
	}
	s.Trials = 3
	_, err = Execute(ctx, Options{Scenario: s, ScenarioYAML: []byte(tinyScenario), RunsDir: os.Getenv("RUNS_DIR"), Trial: testTrialCommand()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func TestKilledRunResumesWithEveryTrialOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (several full runs): skipped by -short, run by CI")
	}
	runs := t.TempDir()
	cmd := exec.Command(self())
	cmd.Env = append(os.Environ(), roleEnv+"=bench", "RUNS_DIR="+runs)
	require.NoError(t, proc.StartGroup(cmd))
	// Wait until a few trials are recorded, then kill the whole run without warning.
	dir := recordedRun(runs, 4, 6*time.Minute) // a deadline for a loaded machine, not a timing claim
	require.NotEmpty(t, dir, "the run recorded trials")
	require.NoError(t, proc.SignalGroup(cmd.Process.Pid, syscall.SIGKILL))
	_ = cmd.Wait()
	before, err := history.ReadTrials(dir)
	require.NoError(t, err)
	require.Less(t, len(before), 12, "the run was stopped halfway")
	// A torn last line, as a crash in the middle of a write leaves, is cut off on resume.
	f, err := os.OpenFile(filepath.Join(dir, history.HistoryFile), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"cell":"mode=seq`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	res, err := Execute(context.Background(), Options{Resume: dir, Trial: testTrialCommand()})
	require.NoError(t, err)
	assert.Equal(t, len(before), res.Skipped)
	after, err := history.ReadTrials(dir)
	require.NoError(t, err)
	require.Equal(t, 12, len(after), "3 cells × (1 warmup + 3 trials)")
	seen := map[string]int{}
	for _, tr := range after {
		seen[slotID(tr.Cell, tr.Trial, tr.Warmup)]++
	}
	for id, n := range seen {
		assert.Equal(t, 1, n, "trial %s recorded once", id)
	}
	assert.Len(t, seen, 12)
}

// TestTimedOutTrialLeavesNoProcess runs workers that wait politely (lock-retry) for a writing
// holder: the trial can only end by its timeout, which must kill the trial, its workers and the
// holder.
func TestTimedOutTrialLeavesNoProcess(t *testing.T) {
	src := blockedScenario("2s")
	runs := t.TempDir()
	res, err := Execute(context.Background(), Options{Scenario: parse(t, src), ScenarioYAML: []byte(src), RunsDir: runs, Trial: testTrialCommand()})
	require.NoError(t, err)
	trials, err := history.ReadTrials(res.Dir)
	require.NoError(t, err)
	require.Len(t, trials, 1)
	assert.Equal(t, vocab.Timeout, trials[0].Outcome.Kind, trials[0].Outcome.Message)
	assertNoProcessMentions(t, res.Dir)
}

func TestInterruptKeepsFinishedTrials(t *testing.T) {
	runs := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	s := parse(t, tinyScenario)
	go func() {
		recordedRun(runs, 2, time.Minute)
		cancel()
	}()
	res, err := Execute(ctx, Options{Scenario: s, ScenarioYAML: []byte(tinyScenario), RunsDir: runs, Trial: testTrialCommand()})
	require.ErrorIs(t, err, ErrInterrupted)
	assert.Contains(t, err.Error(), "lockbench bench --resume "+res.Dir)
	assert.True(t, res.Interrupted)
	trials, err := history.ReadTrials(res.Dir)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(trials), 2)
	assert.Less(t, len(trials), 9)
	assertNoProcessMentions(t, res.Dir)
}

// recordedRun waits (up to d) until the newest run in runs has recorded n trials and returns
// its directory, or "" when none did.
func recordedRun(runs string, n int, d time.Duration) string {
	var dir string
	proc.WaitUntil(nil, d, 10*time.Millisecond, func() bool {
		if d, err := filepath.EvalSymlinks(filepath.Join(runs, "latest")); err == nil {
			if ts, err := history.ReadTrials(d); err == nil && len(ts) >= n {
				dir = d
				return true
			}
		}
		return false
	})
	return dir
}

// blockedScenario is one trial whose workers wait (lock-retry) for a writer that never lets go.
func blockedScenario(timeout string) string {
	return `
name: blocked
workload: sim
trials: 1
warmup: 0
timeout: ` + timeout + `
defaults:
  employees: 200
  years: [2025, 2026]
  threads: 2
  lock-retry: on
  competitor: writer-process
matrix:
  mode: [parallel-processes]
`
}

// TestInterruptReapsCompetitors stops a run (as Ctrl-C does) while a trial's competitor holds
// the file and its workers wait for it: nothing may survive.
func TestInterruptReapsCompetitors(t *testing.T) {
	src := blockedScenario("5m")
	runs := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		proc.WaitUntil(nil, time.Minute, 10*time.Millisecond, func() bool {
			dbs, _ := filepath.Glob(filepath.Join(runs, "*", "trial-*", DBName))
			return slices.ContainsFunc(dbs, func(db string) bool {
				hs, err := holders.Lookup(db)
				return err == nil && len(hs) > 0
			})
		})
		cancel()
	}()
	res, err := Execute(ctx, Options{Scenario: parse(t, src), ScenarioYAML: []byte(src), RunsDir: runs, Trial: testTrialCommand()})
	require.ErrorIs(t, err, ErrInterrupted)
	trials, err := history.ReadTrials(res.Dir)
	require.NoError(t, err)
	assert.Empty(t, trials, "the killed trial is not recorded")
	assertNoProcessMentions(t, res.Dir)
}

// assertNoProcessMentions waits (up to 10 s: parent-death signals are asynchronous) until no
// process on the machine has path in its command line, and fails naming any that remain.
func assertNoProcessMentions(t *testing.T, path string) {
	t.Helper()
	var left []string
	proc.WaitUntil(nil, 10*time.Second, 50*time.Millisecond, func() bool {
		left = left[:0]
		for _, pid := range proc.PIDs() {
			if c := proc.Cmdline(pid); pid != os.Getpid() && strings.Contains(c, path) {
				left = append(left, fmt.Sprintf("%d: %s", pid, c))
			}
		}
		return len(left) == 0
	})
	assert.Empty(t, left, "processes outlived their trial")
}

func TestExecWorkload(t *testing.T) {
	src := `
name: exec
workload:
  kind: exec
  command: >-
    if [ {threads} = 3 ]; then
      echo 'IO Error: Could not set lock on file "{db}": Conflicting lock is held in /usr/bin/duckdb (PID 4242)' >&2; exit 1;
    fi;
    printf '{{"kind":"model","name":"m","worker":0,"start_s":0,"end_s":0.001}}\n' > "$LOCKBENCH_TRACE"
trials: 1
warmup: 0
defaults:
  mode: threaded
matrix:
  threads: [2, 3]
expect:
  - cells: {threads: 3}
    outcome: lock-conflict
`
	res, err := Execute(context.Background(), Options{Scenario: parse(t, src), ScenarioYAML: []byte(src), RunsDir: t.TempDir(), Trial: testTrialCommand()})
	require.NoError(t, err)
	trials, err := history.ReadTrials(res.Dir)
	require.NoError(t, err)
	require.Equal(t, 2, len(trials))
	for _, tr := range trials {
		switch tr.Params["threads"] {
		case "2":
			assert.Equal(t, vocab.OK, tr.Outcome.Kind, tr.Outcome.Message)
			assert.Positive(t, tr.SQLS, "the command's spans were read from $LOCKBENCH_TRACE")
		case "3":
			assert.Equal(t, vocab.LockConflict, tr.Outcome.Kind)
			assert.Equal(t, 4242, tr.Outcome.HolderPID)
			assert.Equal(t, "/usr/bin/duckdb", tr.Outcome.HolderExe)
		}
	}
}

// execPathsScenario's command fails, saying why, unless every path lockbench gives it is
// absolute and names the trial's database, and it runs in the directory lockbench was started
// in (where a user's `./run.sh` is).
const execPathsScenario = `
name: exec-paths
workload:
  kind: exec
  command: >-
    case {db} in /*) ;; *) echo "{db} is not absolute" >&2; exit 1;; esac;
    case "$LOCKBENCH_TRACE" in /*) ;; *) echo "LOCKBENCH_TRACE=$LOCKBENCH_TRACE is not absolute" >&2; exit 1;; esac;
    case "$LOCKBENCH_TRIAL_DIR" in /*) ;; *) echo "LOCKBENCH_TRIAL_DIR=$LOCKBENCH_TRIAL_DIR is not absolute" >&2; exit 1;; esac;
    if [ "$LOCKBENCH_DB" != {db} ]; then echo "LOCKBENCH_DB=$LOCKBENCH_DB is not {db}" >&2; exit 1; fi;
    if [ ! -f {db} ]; then echo "{db} does not exist" >&2; exit 1; fi;
    if [ "$(dirname {db})" != "$LOCKBENCH_TRIAL_DIR" ]; then echo "{db} is not in $LOCKBENCH_TRIAL_DIR" >&2; exit 1; fi;
    if [ ! -f ./here ]; then echo "not started in lockbench's directory: $(pwd)" >&2; exit 1; fi;
    printf '{{"kind":"model","name":"m","worker":0,"start_s":0,"end_s":0.001}}\n' > "$LOCKBENCH_TRACE"
trials: 1
warmup: 0
matrix:
  mode: [sequential, threaded]
`

// TestExecPathsAreAbsolute runs an exec workload from a working directory of its own with the
// default runs directory and relative ones (also one above the working directory, and one with
// a space), then resumes a run by a relative path: every trial must see absolute paths.
func TestExecPathsAreAbsolute(t *testing.T) {
	for _, runs := range []string{"", "runs", "out/runs", "../up/runs", "my runs"} {
		t.Run("runs="+runs, func(t *testing.T) {
			base := t.TempDir()
			wd := filepath.Join(base, "work")
			require.NoError(t, os.MkdirAll(wd, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(wd, "here"), nil, 0o644))
			t.Chdir(wd)
			res, err := Execute(context.Background(), Options{Scenario: parse(t, execPathsScenario), ScenarioYAML: []byte(execPathsScenario), RunsDir: runs, Trial: testTrialCommand()})
			require.NoError(t, err)
			assert.True(t, filepath.IsAbs(res.Dir), "the run directory %s is absolute", res.Dir)
			want := runs
			if want == "" {
				want = "runs"
			}
			latest := filepath.Join(wd, want, "latest")
			got, err := filepath.EvalSymlinks(latest)
			require.NoError(t, err, "the run is where --runs says, relative to the working directory")
			wantDir, err := filepath.EvalSymlinks(res.Dir)
			require.NoError(t, err)
			assert.Equal(t, wantDir, got)
			assertAllOK(t, res.Dir, 2)

			// Drop the last trial, as an interrupted run would have, and resume by a relative
			// path: the trial that runs again sees absolute paths too.
			hist := filepath.Join(res.Dir, history.HistoryFile)
			b, err := os.ReadFile(hist)
			require.NoError(t, err)
			first, _, ok := strings.Cut(string(b), "\n")
			require.True(t, ok)
			require.NoError(t, os.WriteFile(hist, []byte(first+"\n"), 0o644))
			rel, err := filepath.Rel(wd, latest)
			require.NoError(t, err)
			res, err = Execute(context.Background(), Options{Resume: rel, Trial: testTrialCommand()})
			require.NoError(t, err)
			assert.Equal(t, 1, res.Ran)
			assert.True(t, filepath.IsAbs(res.Dir), "the resumed run directory %s is absolute", res.Dir)
			assertAllOK(t, res.Dir, 2)
		})
	}
}

// assertAllOK checks that dir's history holds n trials, all ok with the command's span read.
func assertAllOK(t *testing.T, dir string, n int) {
	t.Helper()
	trials, err := history.ReadTrials(dir)
	require.NoError(t, err)
	require.Len(t, trials, n)
	for _, tr := range trials {
		assert.Equal(t, vocab.OK, tr.Outcome.Kind, tr.Outcome.Message)
		assert.Positive(t, tr.SQLS, "the command's span was read from $LOCKBENCH_TRACE")
	}
}
