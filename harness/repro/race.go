package repro

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"lockbench/internal/crash"
	"lockbench/outcome"
	"lockbench/vocab"
)

// The in-process open/close race is provoked by raceGoroutines goroutines that open, query and
// close one file in a loop. The unsafe loop runs until it has seen the error and made at least
// raceMinAttempts attempts (or raceDeadline passes); each safe pattern then makes exactly as
// many attempts. On this project's 2-core machine about one attempt in 100 to 400 fails, the
// first within a fraction of a second.
const (
	raceGoroutines  = 4
	raceMinAttempts = 2000
	raceDeadline    = 30 * time.Second
)

// raceCases are the races between goroutines of one process that open and close the same file.
func raceCases() []Case {
	return []Case{
		{
			Name:  "open-close-race",
			Title: "goroutines of one process opening and closing the same file: an open that lands while the last handle closes fails with a unique file handle conflict",
			Reference: "lockbench issue 8 (threaded --no-coordination failed 3 in 26 runs under load); docs/duckdb-locking.md#the-go-driver (opening while the last handle closes), #attach; " +
				"duckdb/duckdb#22277",
			Setup: fmt.Sprintf("%d goroutines each loop sql.Open(race.duckdb), SELECT, Close until one open fails (at least %d attempts, at most %s); "+
				"then as many attempts with each safe pattern: one sql.DB held for the run and shared, and open and close serialised by a per-path mutex.",
				raceGoroutines, raceMinAttempts, raceDeadline),
			Expect: Expectation{Kind: vocab.Error, Sub: vocab.SubHandleConflict, Message: "Unique file handle conflict: Cannot attach",
				Also: []string{
					"the race appears within the deadline, and every failure is this error",
					"DuckDB names the case's own file (no other process is involved)",
					"one sql.DB held for the run: 0 failures in as many attempts",
					"open and close serialised by a per-path mutex: 0 failures in as many attempts",
				}},
			run: openCloseRace,
		},
	}
}

// raceTally counts the attempts of one loop and keeps its first error.
type raceTally struct {
	attempts, failures, others atomic.Int64
	mu                         sync.Mutex
	first                      error
	// onFirst, when set, is called with the first failure as it happens.
	onFirst func(n int64, err error)
}

func (t *raceTally) fail(n int64, err error) {
	t.failures.Add(1)
	if outcome.Classify(err).Sub != vocab.SubHandleConflict {
		t.others.Add(1)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.first == nil {
		t.first = err
		if t.onFirst != nil {
			t.onFirst(n, err)
		}
	}
}

func (t *raceTally) String() string {
	return fmt.Sprintf("%d of %d attempts failed", t.failures.Load(), t.attempts.Load())
}

// hammer runs raceGoroutines goroutines, each calling attempt in a loop, and counts the
// attempts and failures. It stops when ctx ends, when done(tally) says so, or after limit
// attempts in all (no limit when it is 0).
func hammer(ctx context.Context, t *raceTally, attempt func(context.Context) error, limit int64, done func(*raceTally) bool) *raceTally {
	var wg sync.WaitGroup
	for range raceGoroutines {
		crash.GoGroup(&wg, func() {
			for ctx.Err() == nil && !done(t) {
				n := t.attempts.Add(1)
				if limit > 0 && n > limit {
					t.attempts.Add(-1)
					return
				}
				if err := attempt(ctx); err != nil && ctx.Err() == nil {
					t.fail(n, err)
				}
			}
		})
	}
	wg.Wait()
	return t
}

// openQueryClose is one step of a program that opens the file around each piece of work: open
// (the driver creates or joins the process's instance for the path), query, close (the last
// handle tears the instance down). With mu, the open and the close are serialised; the query
// is not.
func openQueryClose(path string, mu *sync.Mutex) func(context.Context) error {
	lock, unlock := func() {}, func() {}
	if mu != nil {
		lock, unlock = mu.Lock, mu.Unlock
	}
	return func(ctx context.Context) error {
		lock()
		db, err := sql.Open("duckdb", path)
		unlock()
		if err != nil {
			return err
		}
		var n int
		qerr := db.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n)
		lock()
		cerr := db.Close()
		unlock()
		return errors.Join(qerr, cerr)
	}
}

func openCloseRace(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	path := r.path("race.duckdb")
	setup, err := r.open(ctx, path, false)
	if err != nil {
		return obs, fmt.Errorf("create %s: %w", path, err)
	}
	err = r.exec(ctx, setup, "setup", "CREATE TABLE t AS SELECT range AS i FROM range(100)")
	setup.Close()
	if err != nil {
		return obs, err
	}

	// The unsafe pattern: every step opens and closes the file itself.
	r.step("%d goroutines open, query and close race.duckdb in a loop, each with its own sql.DB", raceGoroutines)
	dctx, cancel := context.WithTimeout(ctx, raceDeadline)
	start := time.Now()
	first := func(n int64, err error) { r.step("attempt %d: sql.Open → %s", n, message(err)) }
	unsafe := hammer(dctx, &raceTally{onFirst: first}, openQueryClose(path, nil), 0, func(t *raceTally) bool {
		return t.failures.Load() > 0 && t.attempts.Load() >= raceMinAttempts
	})
	cancel()
	if err := ctx.Err(); err != nil {
		return obs, err
	}
	took := time.Since(start)
	n := unsafe.attempts.Load()
	if unsafe.first != nil {
		obs.Outcome = classify(unsafe.first)
	} else {
		obs.Outcome = outcome.Outcome{Kind: vocab.OK, Message: fmt.Sprintf("no open failed in %d attempts (%s)", n, raceDeadline)}
	}
	r.step("each goroutine opening and closing: %s in %s", unsafe, took.Round(time.Millisecond))
	obs.check("the race appears within the deadline, and every failure is this error", unsafe.failures.Load() > 0 && unsafe.others.Load() == 0,
		"%s in %s; %d of the failures were other errors", unsafe, took.Round(time.Millisecond), unsafe.others.Load())
	want, err := filepath.Abs(path)
	if err == nil {
		want, err = filepath.EvalSymlinks(want)
	}
	if err != nil {
		return obs, err
	}
	obs.check("DuckDB names the case's own file (no other process is involved)", obs.Outcome.Path == want,
		"DuckDB named %q; the case's file is %q", obs.Outcome.Path, want)

	// Safe pattern 1: one sql.DB per process and file, opened once and shared by every step.
	held, err := r.open(ctx, path, false)
	if err != nil {
		return obs, err
	}
	r.step("the goroutines share one sql.DB, held for the run: %d attempts", n)
	shared := hammer(ctx, &raceTally{}, func(ctx context.Context) error {
		var k int
		return held.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&k)
	}, n, never)
	if err := held.Close(); err != nil {
		return obs, err
	}
	if err := ctx.Err(); err != nil {
		return obs, err
	}
	r.step("one sql.DB held for the run: %s", shared)
	obs.check("one sql.DB held for the run: 0 failures in as many attempts", shared.failures.Load() == 0 && shared.attempts.Load() == n,
		"%s%s", shared, firstErr(shared))

	// Safe pattern 2: each step still opens and closes, but never while another step of the
	// process opens or closes the same file.
	r.step("the goroutines open and close under a per-path mutex: %d attempts", n)
	var mu sync.Mutex
	serial := hammer(ctx, &raceTally{}, openQueryClose(path, &mu), n, never)
	if err := ctx.Err(); err != nil {
		return obs, err
	}
	r.step("open and close under a per-path mutex: %s", serial)
	obs.check("open and close serialised by a per-path mutex: 0 failures in as many attempts", serial.failures.Load() == 0 && serial.attempts.Load() == n,
		"%s%s", serial, firstErr(serial))
	return obs, nil
}

func never(*raceTally) bool { return false }

// firstErr renders a tally's first error for a check, or nothing.
func firstErr(t *raceTally) string {
	if t.first == nil {
		return ""
	}
	return "; first: " + message(t.first)
}
