package sim

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/access"
	"lockbench/outcome"
	"lockbench/trace"
	"lockbench/vocab"
)

// tinyStrategyConfig is the smallest run: one year of 100 employees. Tests that need later
// years to read earlier years' slices of the accumulating tables add years.
func tinyStrategyConfig(t testing.TB, s vocab.Strategy) Config {
	return Config{
		DBPath: filepath.Join(t.TempDir(), "shared.duckdb"), Strategy: s, Threads: 2, Coordination: true,
		Employees: 100, Years: []int{2025}, Seed: 11, Worker: testWorker(t),
	}
}

// sequentialFingerprint is the reference: the same data made by one connection in one process.
func sequentialFingerprint(t *testing.T, cfg Config) string {
	t.Helper()
	cfg.Strategy, cfg.Mode, cfg.LockRetry = vocab.NoStrategy, vocab.Sequential, nil
	cfg.DBPath = filepath.Join(t.TempDir(), "sequential.duckdb")
	res, err := validRun(context.Background(), cfg)
	require.NoError(t, err)
	return res.Fingerprint
}

func TestEveryStrategyThatCompletesMakesTheSequentialData(t *testing.T) {
	want := sequentialFingerprint(t, tinyStrategyConfig(t, vocab.NoStrategy))
	for _, s := range vocab.Strategies {
		t.Run(string(s), func(t *testing.T) {
			cfg := tinyStrategyConfig(t, s)
			res, err := validRun(context.Background(), cfg)
			if s == vocab.Parallel {
				require.Error(t, err, "unprotected parallel workers must collide")
				assert.True(t, outcome.IsLockConflict(err), "want DuckDB's lock error, got %v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, s.Mode(), res.Config.Mode)
			assert.Equal(t, want, res.Fingerprint, "strategy %s changed the data", s)
			switch s {
			case vocab.PerWorkerFiles:
				_, err := os.Stat(PartsDir(cfg.DBPath))
				assert.True(t, os.IsNotExist(err), "the part files are removed after the merge")
				assert.NotEmpty(t, spansNamed(res.Spans, trace.Checkpoint, "merge"))
			case vocab.Publish:
				assert.Len(t, spansNamed(res.Spans, trace.Checkpoint, stepPublish), len(cfg.Years), "one publish per year")
				_, err := os.Stat(PrivatePath(cfg.DBPath))
				assert.NoError(t, err, "the pipeline works on its private file")
			}
		})
	}
}

func TestPerWorkerFilesWithoutCoordinationMakesTheSequentialData(t *testing.T) {
	// Uncoordinated, steps are rebuilt every year and the checkpoint copies whole tables; the
	// second year reads the first year's slices and copies them into its own accumulating
	// tables. The parts must still merge into the same data.
	cfg := tinyStrategyConfig(t, vocab.PerWorkerFiles)
	cfg.Coordination = false
	cfg.Years = []int{2025, 2026}
	want := sequentialFingerprint(t, cfg)
	res, err := validRun(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, want, res.Fingerprint)
}

func spansNamed(spans []trace.Span, k trace.Kind, name string) []trace.Span {
	var out []trace.Span
	for _, s := range spans {
		if s.Kind == k && s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

func TestPartInputsFollowTheDAG(t *testing.T) {
	models, err := LoadModels()
	require.NoError(t, err)
	cfg := Config{DBPath: "/x/shared.duckdb", Strategy: vocab.PerWorkerFiles, Mode: vocab.ParallelProcesses, Threads: 2, Coordination: true,
		Employees: 100, Years: []int{2025, 2026, 2027}, Seed: 1}
	p, err := BuildPlan(cfg, models)
	require.NoError(t, err)
	ix := newPartIndex(p)
	for _, n := range p.Nodes {
		tables, views, prefill := ix.inputs(n)
		for _, tbl := range tables {
			srcs := views[tbl]
			require.NotEmpty(t, srcs, "%s reads %s from nowhere", n.ID, tbl)
			for _, s := range srcs {
				// Every file a step attaches belongs to a step that finished before it.
				assert.True(t, dependsOn(n, s.node), "%s reads %s from %s, which it does not wait for", n.ID, tbl, s.node.ID)
				if ix.incremental[tbl] {
					assert.Equal(t, s.node.Year, s.year, "a slice of %s is its builder's year", tbl)
				}
			}
		}
		for tbl, srcs := range prefill {
			for _, s := range srcs {
				assert.Less(t, s.year, n.Year, "%s copies only earlier years of its own %s", n.ID, tbl)
				assert.True(t, dependsOn(n, s.node), "%s copies %s from %s, which it does not wait for", n.ID, tbl, s.node.ID)
			}
		}
	}
	// The last year's snapshot sees the events of every year so far, one slice per year.
	snap, ok := p.Node("fct_workforce_snapshot@2027")
	require.True(t, ok)
	_, views, _ := ix.inputs(snap)
	var years []int
	for _, s := range views["fct_yearly_events"] {
		years = append(years, s.year)
	}
	assert.Equal(t, []int{2025, 2026, 2027}, years)
}

// dependsOn reports whether n waits, directly or not, for d.
func dependsOn(n, d *Node) bool {
	seen := map[*Node]bool{}
	var walk func(*Node) bool
	walk = func(x *Node) bool {
		for _, y := range x.Deps {
			if y == d {
				return true
			}
			if !seen[y] {
				seen[y] = true
				if walk(y) {
					return true
				}
			}
		}
		return false
	}
	return walk(n)
}

func TestPublishedCopiesAreWholeYears(t *testing.T) {
	// A reader polls the published path while the pipeline runs. Whatever year it finds, the
	// copy holds that year completely: the same rows as the final data for that year.
	cfg := tinyStrategyConfig(t, vocab.Publish)
	cfg.Years = []int{2025, 2026, 2027}
	// The reader lives in this process, and Run reads its summary while the reader may still
	// poll: Run reads the private file, never the published one.
	ctx, cancel := context.WithCancel(context.Background())
	type seen struct{ year, rows int }
	var (
		mu    sync.Mutex
		reads []seen
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for ctx.Err() == nil {
			o, err := access.ViewerAccess(vocab.Publish, cfg.DBPath).Open(ctx)
			if err != nil {
				continue // the file does not exist yet
			}
			var year, rows sql.NullInt64
			err = o.DB.QueryRowContext(ctx, `SELECT max(simulation_year), count(*) FILTER (WHERE simulation_year = (SELECT max(simulation_year) FROM fct_workforce_snapshot)) FROM fct_workforce_snapshot`).Scan(&year, &rows)
			o.Close()
			if err == nil && year.Valid {
				mu.Lock()
				reads = append(reads, seen{int(year.Int64), int(rows.Int64)})
				mu.Unlock()
			}
		}
	})
	res, err := validRun(context.Background(), cfg)
	cancel()
	wg.Wait()
	require.NoError(t, err)
	db, err := sql.Open("duckdb", DSN(cfg.DBPath, 0, true))
	require.NoError(t, err)
	defer db.Close()
	final := map[int]int{}
	rows, err := db.Query("SELECT simulation_year, count(*) FROM fct_workforce_snapshot GROUP BY ALL")
	require.NoError(t, err)
	for rows.Next() {
		var y, n int
		require.NoError(t, rows.Scan(&y, &n))
		final[y] = n
	}
	require.NoError(t, rows.Err())
	require.Len(t, final, 3, "%d spans", len(res.Spans))
	require.NotEmpty(t, reads, "the reader never found a published year")
	for _, r := range reads {
		assert.Equal(t, final[r.year], r.rows, "the copy of %d is partial", r.year)
	}
	t.Logf("%d reads of the published copy", len(reads))
	published, err := Fingerprint(context.Background(), db)
	require.NoError(t, err)
	assert.Equal(t, published, res.Fingerprint, "the summary (read from the private file) is the published data")
}

func TestRunReadsItsResultsReadOnly(t *testing.T) {
	// After the run, the summary's fingerprint and per-year figures are read back read-only,
	// from the file that holds the data, following the strategy's rules: never a read-write
	// open that would refuse the file's readers (or be refused by them).
	for _, s := range append([]vocab.Strategy{vocab.NoStrategy}, vocab.Strategies...) {
		t.Run(string(s), func(t *testing.T) {
			v, err := tinyStrategyConfig(t, s).Validate()
			require.NoError(t, err)
			cfg := v.Config()
			shared := cfg.DBPath
			a := cfg.resultAccess()
			assert.True(t, a.ReadOnly)
			assert.False(t, a.Attach)
			if s == vocab.Publish {
				assert.Equal(t, filepath.Join(filepath.Dir(shared), "shared-private.duckdb"), a.Path, "the pipeline leaves the published path to its readers")
			} else {
				assert.Equal(t, shared, a.Path)
			}
			assert.Equal(t, s == vocab.Queue, a.Queue, "only the queue strategy's participants take the sidecar lock")
			assert.Equal(t, s == vocab.Retry, a.Retry != nil, "only the retry strategy retries")
		})
	}
	cfg := tinyStrategyConfig(t, vocab.NoStrategy)
	cfg.LockRetry = &access.DefaultRetry
	v, err := cfg.Validate()
	require.NoError(t, err)
	cfg = v.Config()
	assert.Equal(t, &access.DefaultRetry, cfg.resultAccess().Retry, "--lock-retry retries the summary's open too")
}

func TestQueueWaitsForTheSidecarHolder(t *testing.T) {
	cfg := tinyStrategyConfig(t, vocab.Queue)
	leave, waited, err := access.EnterQueue(context.Background(), cfg.DBPath, true)
	require.NoError(t, err)
	assert.Zero(t, waited)
	type result struct {
		res *Result
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := validRun(context.Background(), cfg)
		done <- result{r, err}
	}()
	// The first worker blocks in flock(2) behind us: its lock-wait span cannot end before we
	// leave. Wait until the sidecar has a blocked waiter, then release.
	require.Eventually(t, func() bool { return queueWaiters(t, cfg.DBPath) > 0 }, 60*time.Second, 5*time.Millisecond)
	released := time.Now()
	leave()
	r := <-done
	require.NoError(t, r.err)
	waits := 0
	for _, s := range r.res.Spans {
		if s.Kind == trace.LockWait {
			waits++
		}
		if s.Kind == trace.Open {
			at := r.res.Origin.Add(time.Duration(s.Start * float64(time.Second)))
			assert.False(t, at.Before(released.Add(-time.Millisecond)), "%s opened the database while the queue was held", s.Name)
		}
	}
	assert.Positive(t, waits, "the wait for the queue is recorded")
}

// queueWaiters counts the processes blocked on the sidecar lock of db.
func queueWaiters(t *testing.T, db string) int {
	return len(flockWaiters(t, access.QueuePath(db)))
}

func TestEnterQueue(t *testing.T) {
	db := filepath.Join(t.TempDir(), "q.duckdb")
	ctx := context.Background()
	r1, _, err := access.EnterQueue(ctx, db, false)
	require.NoError(t, err)
	r2, waited, err := access.EnterQueue(ctx, db, false)
	require.NoError(t, err, "readers share the queue")
	assert.Zero(t, waited)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, _, err = access.EnterQueue(short, db, true)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "a writer waits while readers hold the queue")
	r1()
	r2()
	w, _, err := access.EnterQueue(ctx, db, true)
	require.NoError(t, err)
	w()
	_, err = os.Stat(db)
	assert.True(t, os.IsNotExist(err), "the queue never touches the database file")
}

func TestRetryJitter(t *testing.T) {
	r := access.RetryPolicy{Jitter: true}
	for range 1000 {
		d := r.Delay(100 * time.Millisecond)
		require.GreaterOrEqual(t, d, 50*time.Millisecond)
		require.Less(t, d, 100*time.Millisecond)
	}
	assert.Equal(t, 100*time.Millisecond, access.RetryPolicy{}.Delay(100*time.Millisecond))
}

func TestStrategyConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"unknown", func(c *Config) { c.Strategy = "copy" }, `unknown strategy "copy"`},
		{"mode", func(c *Config) { c.Strategy, c.Mode = vocab.Publish, vocab.Sequential }, "strategy publish runs in mode threaded, not sequential"},
		{"lock-retry", func(c *Config) { c.Strategy, c.LockRetry = vocab.Queue, &access.DefaultRetry }, "does not retry lock errors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyStrategyConfig(t, vocab.NoStrategy)
			tc.change(&cfg)
			_, err := cfg.Validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	v, err := tinyStrategyConfig(t, vocab.Retry).Validate()
	require.NoError(t, err)
	cfg := v.Config()
	assert.Equal(t, vocab.ParallelProcesses, cfg.Mode, "the strategy sets the mode")
	require.NotNil(t, cfg.LockRetry)
	assert.True(t, cfg.LockRetry.Jitter)
}

func TestPublishCopiesTheWholeEndOfEachYear(t *testing.T) {
	models, err := LoadModels()
	require.NoError(t, err)
	for _, coord := range []bool{true, false} {
		cfg := Config{DBPath: "/x/shared.duckdb", Strategy: vocab.Publish, Mode: vocab.Threaded, Threads: 2, Coordination: coord,
			Employees: 100, Years: []int{2025, 2026, 2027}, Seed: 1}
		p, err := BuildPlan(cfg, models)
		require.NoError(t, err)
		require.NoError(t, prepareStrategy(p))
		assert.Equal(t, "/x/shared-private.duckdb", p.cfg.DBPath)
		assert.Equal(t, "/x/shared.duckdb", p.publishTo)
		for _, y := range cfg.Years {
			pub, ok := p.Node(fmt.Sprintf("publish@%d", y))
			require.True(t, ok)
			for _, n := range p.Nodes {
				switch {
				case n == pub || n.Name == stepPublish:
				case n.Year <= y:
					assert.True(t, dependsOn(pub, n), "publish@%d does not wait for %s", y, n.ID)
				default:
					assert.True(t, dependsOn(n, pub), "%s does not wait for publish@%d", n.ID, y)
				}
			}
		}
	}
}
