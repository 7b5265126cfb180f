package e2e

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/trace"
	"lockbench/vocab"
)

// What each strategy promises a reader that is not lockbench and follows no protocol (no queue
// lock, no retry: a dashboard that opens the file read-only), checked end to end through
// `lockbench simulate` and `lockbench bench` next to testdata/poller. Where the outcome depends
// on who comes first, the test decides it with SIGSTOP: it stops the poller while it holds its
// read lock (the reader was first), or stops the pipeline while it holds its lock and lets the
// poller try (the pipeline was first), reading the holders from /proc/locks.

// simulateJSON is the part of `simulate --json` these tests read.
type simulateJSON struct {
	Outcome struct {
		Kind string `json:"kind"`
	} `json:"outcome"`
	Error       string `json:"error"`
	Fingerprint string `json:"fingerprint"`
	PerYear     []struct {
		Year      int `json:"year"`
		ActiveEnd int `json:"active_end"`
		Hires     int `json:"hires"`
	} `json:"per_year"`
}

// TestPublishNextToAForeignReader is the publish strategy's promise as a new user tries it: a
// dashboard that is not lockbench (testdata/poller) reads the published file every 50 ms while
// `lockbench simulate --strategy publish` runs on it 20 times (5 with -short: a run takes one
// to five seconds on a busy machine). The reader is never refused and never sees a year in
// part, no run fails, and no run opens the published path for writing at all (not even to read
// its summary back). Every run's summary is the data the reader sees.
func TestPublishNextToAForeignReader(t *testing.T) {
	runs := 20
	if testing.Short() {
		runs = 5
	}
	dir := userDir(t)
	db := prepareShared(t, dir)
	watch := watchDir(t, dir)
	p := startPoller(t, db)
	p.waitRead(t)
	var failed []string
	var summaries []simulateJSON
	for i := range runs {
		code, stdout, stderr := lockbench(t, dir, simulateArgs("publish", "--json")...)
		var s simulateJSON
		require.NoError(t, json.Unmarshal([]byte(stdout), &s), "stdout:\n%s\nstderr:\n%s", stdout, stderr)
		if code != 0 {
			failed = append(failed, fmt.Sprintf("run %d: exit %d: %s", i+1, code, s.Error))
			continue
		}
		summaries = append(summaries, s)
	}
	attempts := p.stop(t)
	final := finishedRows(t, db)

	var refused, otherErrors, partials []string
	for _, a := range attempts {
		switch {
		case a.refused():
			refused = append(refused, a.Error)
		case !a.OK:
			otherErrors = append(otherErrors, a.Error)
		case partial(a, final) != "":
			partials = append(partials, partial(a, final))
		}
	}
	t.Logf("%d runs of simulate --strategy publish next to a read-only poller at 50 ms: %d polls, %d refused, %d other errors, %d partial years, %d runs failed",
		runs, len(attempts), len(refused), len(otherErrors), len(partials), len(failed))
	for what, list := range map[string][]string{"runs failed next to the reader": failed, "reads were refused": refused,
		"reads failed": otherErrors, "reads saw a year in part": partials} {
		if len(list) > 0 {
			t.Errorf("%d %s; the first: %s", len(list), what, list[0])
		}
	}
	assert.Zero(t, watch.writeCloses(t, "shared.duckdb"), "a run opened the published path for writing")

	// The summary of every run is the data of the published file.
	code, stdout, stderr := lockbench(t, dir, "fingerprint", "--json", "shared.duckdb")
	require.Equal(t, 0, code, stderr)
	var fp struct {
		Fingerprint string `json:"fingerprint"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &fp))
	h, err := sql.Open("duckdb", db+"?access_mode=read_only")
	require.NoError(t, err)
	defer h.Close()
	for _, s := range summaries {
		assert.Equal(t, "ok", s.Outcome.Kind)
		assert.Equal(t, fp.Fingerprint, s.Fingerprint, "the summary's fingerprint is the published file's")
		require.Len(t, s.PerYear, len(simYears))
		for i, y := range s.PerYear {
			require.Equal(t, simYears[i], y.Year)
			var active, hires int
			require.NoError(t, h.QueryRow(`SELECT
				(SELECT count(*) FROM fct_workforce_snapshot WHERE simulation_year = $1 AND employment_status = 'active'),
				(SELECT count(*) FROM fct_yearly_events WHERE simulation_year = $1 AND event_type = 'hire')`, y.Year).Scan(&active, &hires))
			assert.Equal(t, active, y.ActiveEnd, "%d: active at the end", y.Year)
			assert.Equal(t, hires, y.Hires, "%d: hires", y.Year)
		}
	}
}

// TestStrategiesNextToAForeignReader runs `lockbench simulate` with each strategy next to a
// reader that is not lockbench and checks what the README promises such a reader.
func TestStrategiesNextToAForeignReader(t *testing.T) {
	// single-process and read-only-attach: one process holds the file read-write for the whole
	// run. A reader holding the file as it starts makes it fail; once it runs, the reader is
	// refused; a read that works saw the file before the run or after it, never in between.
	for _, st := range []string{"single-process", "read-only-attach"} {
		t.Run(st, func(t *testing.T) {
			dir := userDir(t)
			db := prepareShared(t, dir)
			p := startPoller(t, db)
			p.waitRead(t)

			p.freeze(t, db, true)
			code, _, stderr := lockbench(t, dir, simulateArgs(st)...)
			assert.Equal(t, 1, code, "the reader was first: %s", stderr)
			assert.Contains(t, stderr, fmt.Sprintf("holder: PID %d, %s,", p.pid, filepath.Join(bin, "poller")), "the error names the reader")
			p.resume(t)

			p.freeze(t, db, false)
			run := startLockbench(t, dir, simulateArgs(st)...)
			run.freezeHolding(t, db)
			since := time.Now()
			p.resume(t)
			a := p.waitAttempt(t, since)
			assert.True(t, a.refused(), "a read while the pipeline runs is refused: %+v", a)
			assert.Contains(t, a.Error, fmt.Sprintf("(PID %d)", run.pid), "DuckDB names the pipeline")
			run.resume(t)
			code, stdout, stderr := run.wait(t)
			require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)

			attempts := p.stop(t)
			final := finishedRows(t, db)
			for _, a := range attempts {
				if !a.OK {
					assert.True(t, a.refused(), "the reader's only failure is the lock: %s", a.Error)
				} else {
					assert.True(t, complete(a, final), "a read saw the file in the middle of a run: %+v", a)
				}
			}
		})
	}

	// publish: the pipeline holds only its private file. Stopped in the middle of a run, it
	// lets the reader read whole years of the published file; the reader is never refused.
	t.Run("publish", func(t *testing.T) {
		dir := userDir(t)
		db := prepareShared(t, dir)
		watch := watchDir(t, dir)
		p := startPoller(t, db)
		p.waitRead(t)
		run := startLockbench(t, dir, simulateArgs("publish")...)
		run.freezeHolding(t, filepath.Join(dir, "shared-private.duckdb"))
		since := time.Now()
		a := p.waitAttempt(t, since)
		assert.True(t, a.OK, "a read in the middle of the run works: %s", a.Error)
		run.resume(t)
		code, stdout, stderr := run.wait(t)
		require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
		attempts := p.stop(t)
		final := finishedRows(t, db)
		for _, a := range attempts {
			require.True(t, a.OK, "the reader of the published file is never refused: %s", a.Error)
			assert.Empty(t, partial(a, final))
		}
		assert.Zero(t, watch.writeCloses(t, "shared.duckdb"), "the pipeline opened the published path for writing")
	})

	// queue: only participants take the sidecar lock. A reader that does not, holding the file
	// as a worker opens it, makes the pipeline fail: workers do not retry.
	t.Run("queue", func(t *testing.T) {
		dir := userDir(t)
		db := prepareShared(t, dir)
		p := startPoller(t, db)
		p.waitRead(t)
		p.freeze(t, db, true)
		code, _, stderr := lockbench(t, dir, simulateArgs("queue")...)
		assert.Equal(t, 1, code, "stderr:\n%s", stderr)
		assert.Contains(t, stderr, fmt.Sprintf("holder: PID %d, %s,", p.pid, filepath.Join(bin, "poller")), "the error names the reader")
		p.stop(t)
	})

	// retry and per-worker-files: the pipeline retries the lock error (the retry strategy's
	// workers, the per-worker-files merge), so a reader holding the file only delays it. The
	// test holds the reader until the pipeline's read-write open was refused at least once.
	// per-worker-files opens the file only for its one-transaction merge: every read that works
	// sees whole years. Under retry a reader that does not retry is refused whenever a worker
	// holds the file, and may see a year in part.
	for _, tc := range []struct {
		strategy  string
		wholeRead bool
		waitSpan  string // the step whose open waited
	}{
		{"retry", false, ""},
		{"per-worker-files", true, "merge"},
	} {
		t.Run(tc.strategy, func(t *testing.T) {
			if testing.Short() {
				t.Skip("-short: a worker process per step takes tens of seconds on a busy machine")
			}
			dir := userDir(t)
			db := prepareShared(t, dir)
			watch := watchDir(t, dir)
			p := startPoller(t, db)
			p.waitRead(t)
			p.freeze(t, db, true)
			run := startLockbench(t, dir, simulateArgs(tc.strategy, "--trace", "trace.ndjson")...)
			waitUntil(t, "the pipeline's read-write open to be refused", run.done, func() bool { return watch.writeCloses(t, "shared.duckdb") > 0 })
			p.resume(t)
			code, stdout, stderr := run.wait(t)
			require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			waits := 0
			for _, s := range readSpans(t, filepath.Join(dir, "trace.ndjson")) {
				if s.Kind == trace.LockWait && (tc.waitSpan == "" || s.Name == tc.waitSpan) {
					waits++
				}
			}
			assert.Positive(t, waits, "the pipeline waited for the reader")
			attempts := p.stop(t)
			final := finishedRows(t, db)
			for _, a := range attempts {
				switch {
				case !a.OK:
					assert.True(t, a.refused(), "the reader's only failure is the lock: %s", a.Error)
				case tc.wholeRead:
					assert.True(t, complete(a, final), "a read saw the file in part: %+v", a)
				}
			}
		})
	}
}

// readSpans reads an NDJSON trace that simulate --trace wrote.
func readSpans(t *testing.T, path string) []trace.Span {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []trace.Span
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var s trace.Span
		require.NoError(t, json.Unmarshal(sc.Bytes(), &s), sc.Text())
		out = append(out, s)
	}
	require.NoError(t, sc.Err())
	return out
}

// TestStrategiesNextToAForeignReaderBench runs the same promises through `lockbench bench`: the
// sim workload with each in-process strategy, next to the poller as an exec competitor that
// logs its attempts. Under publish the poller is never refused and reads whole years. A trial
// starts once the exec competitor holds its lock, so under single-process and read-only-attach
// the poller is nearly always first and the trial fails naming it; when it let go in between,
// it read the file only before or after the run. The data of every ok trial is a sequential
// run's.
func TestStrategiesNextToAForeignReaderBench(t *testing.T) {
	dir := userDir(t)
	logs := filepath.Join(dir, "polls")
	require.NoError(t, os.MkdirAll(logs, 0o755))
	scenario := fmt.Sprintf(`name: foreign-reader
description: a reader that is not lockbench, next to every in-process strategy
workload: sim
trials: 2
warmup: 0
timeout: 2m
defaults: {threads: 2, employees: 200, years: 2025-2026}
matrix:
  strategy: [single-process, publish, read-only-attach]
  competitor:
    - {kind: exec, command: "poller -every 50ms -log '%s' {db}"}
expect:
  - cells: {strategy: single-process}
    outcome: [ok, lock-conflict]
    note: the pipeline fails when the reader holds the file as it opens it
  - cells: {strategy: read-only-attach}
    outcome: [ok, lock-conflict]
    note: the pipeline fails when the reader holds the file as it opens it
`, logs)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "foreign.yaml"), []byte(scenario), 0o644))
	code, stdout, stderr := lockbench(t, dir, "bench", "-m", "foreign.yaml", "-q")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	trials := latestTrials(t, filepath.Join(dir, "runs"))
	require.Len(t, trials, 6)

	// The reference: the same data made by one connection, from the trials' seed.
	seed := trials[0].Seed
	for _, tr := range trials {
		require.Equal(t, seed, tr.Seed, "every cell has the same data")
	}
	code, stdout, stderr = lockbench(t, dir, "simulate", "--mode", "sequential", "--employees", "200", "--years", "2025", "2026",
		"--seed", strconv.FormatInt(seed, 10), "--db", "reference.duckdb", "--json")
	require.Equal(t, 0, code, stderr)
	var ref simulateJSON
	require.NoError(t, json.Unmarshal([]byte(stdout), &ref))
	final := finishedRows(t, filepath.Join(dir, "reference.duckdb"))

	for _, tr := range trials {
		pids := competitorPIDs(tr)
		require.Len(t, pids, 1, "%s: one poller", tr.Cell)
		attempts := readPolls(t, filepath.Join(logs, fmt.Sprintf("poll-%d.ndjson", pids[0])))
		require.NotEmpty(t, attempts, tr.Cell)
		refused := 0
		for _, a := range attempts {
			if a.refused() {
				refused++
			}
		}
		t.Logf("%s: %s, the poller refused %d of %d times", tr.Cell, tr.Outcome.Kind, refused, len(attempts))
		st := tr.Params["strategy"]
		if tr.Outcome.Kind == vocab.LockConflict && st != "publish" {
			assert.Equal(t, pids[0], tr.Outcome.HolderPID, "%s: DuckDB names the poller", tr.Cell)
			assert.Equal(t, vocab.RoleCompetitor, tr.Outcome.HolderRole, tr.Cell)
			assert.Equal(t, filepath.Join(bin, "poller"), tr.Outcome.HolderExe, tr.Cell)
			continue
		}
		require.Equal(t, vocab.OK, tr.Outcome.Kind, "%s: %s", tr.Cell, tr.Outcome.Message)
		assert.Equal(t, ref.Fingerprint, tr.Fingerprint, "%s: the data is the sequential run's", tr.Cell)
		for _, a := range attempts {
			switch {
			case st == "publish":
				require.True(t, a.OK, "%s: the reader of the published file is never refused: %s", tr.Cell, a.Error)
				assert.Empty(t, partial(a, final), tr.Cell)
			case !a.OK:
				assert.True(t, a.refused(), "%s: the reader's only failure is the lock: %s", tr.Cell, a.Error)
			default:
				// Before the run the file is empty; after it, finished.
				assert.True(t, !a.Tables || complete(a, final), "%s: a read saw the file in the middle of the run: %+v", tr.Cell, a)
			}
		}
	}
}

// readPolls reads the attempts a poller logged with -log.
func readPolls(t *testing.T, path string) []pollAttempt {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []pollAttempt
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var a pollAttempt
		require.NoError(t, json.Unmarshal([]byte(line), &a), line)
		out = append(out, a)
	}
	return out
}
