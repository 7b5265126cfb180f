package sim

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"lockbench/access"
	"lockbench/internal/exitcode"
	"lockbench/outcome"
	"lockbench/trace"
)

// schedule runs every node once its dependencies are done, on at most width workers. Worker
// numbers are stable slots (0..width-1), so a slot can keep its own connection. Ready nodes start
// in plan order, which makes width 1 the deterministic sequential order. On the first error no
// new node starts; running ones finish (or see ctx cancelled) and the first error is returned.
func schedule(ctx context.Context, p *Plan, width int, run func(ctx context.Context, worker int, n *Node) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		n      *Node
		worker int
		err    error
	}
	indeg := make(map[*Node]int, len(p.Nodes))
	var ready []*Node
	for _, n := range p.Nodes {
		indeg[n] = len(n.Deps)
		if indeg[n] == 0 {
			ready = append(ready, n)
		}
	}
	free := make([]int, 0, width)
	for w := width - 1; w >= 0; w-- {
		free = append(free, w)
	}
	done := make(chan result)
	running := 0
	var firstErr error
	yearSeen := map[int]bool{}
	for {
		for firstErr == nil && len(free) > 0 && len(ready) > 0 {
			best := 0
			for i, n := range ready {
				if n.order < ready[best].order {
					best = i
				}
			}
			n := ready[best]
			ready = append(ready[:best], ready[best+1:]...)
			if n.Year != 0 && !yearSeen[n.Year] {
				// A year begins: let the harness act (competitors that start at a year).
				yearSeen[n.Year] = true
				if p.cfg.BeforeYear != nil {
					p.cfg.BeforeYear(n.Year)
				}
			}
			w := free[len(free)-1]
			free = free[:len(free)-1]
			running++
			go func() { done <- result{n, w, runRecovered(ctx, w, n, run)} }()
		}
		if running == 0 {
			break
		}
		r := <-done
		running--
		free = append(free, r.worker)
		if r.err != nil {
			if firstErr == nil {
				firstErr = r.err
				cancel()
			}
			continue
		}
		for _, d := range r.n.dependents {
			indeg[d]--
			if indeg[d] == 0 {
				ready = append(ready, d)
			}
		}
	}
	if firstErr == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return firstErr
}

// runRecovered runs one node, turning a panic in it into an error that carries exit code 4
// (lockbench itself broke) with the panic and its stack: a panic in a goroutine would otherwise
// end the process with Go's exit code 2, which lockbench keeps for bad input, and without
// waiting for the other nodes.
func runRecovered(ctx context.Context, w int, n *Node, run func(ctx context.Context, worker int, n *Node) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = exitcode.WithCode(fmt.Errorf("%s: panic: %v\n%s", n.ID, v, debug.Stack()), exitcode.Internal)
		}
	}()
	return run(ctx, w, n)
}

// Settings are the DuckDB settings the workload opens its database with (read-write opens), on in
// every mode and both coordination settings; `simulate --verbose` lists them.
//
//   - preserve_insertion_order=false lets DuckDB write the rows of CREATE TABLE AS and INSERT in
//     whatever order its threads finish them, without buffering to restore the input order: no
//     model depends on physical row order (every ordering is an explicit ORDER BY, and the
//     fingerprint is order-insensitive). 5% less CPU at 100,000 employees × 5 years.
//   - checkpoint_threshold=1GB lets the write-ahead log grow to 1 GiB before DuckDB checkpoints
//     on its own (the default is 16 MiB). Every year rebuilds a dozen intermediate tables; with
//     the default, DuckDB checkpointed every few steps, compressing and writing each year's
//     intermediates into the database file just before the next year replaced them. Committed
//     data is durable in the log either way, and closing the database checkpoints once. 100,000
//     employees × 5 years: 7.4 s → 6.3 s, 360 → 500 MB peak; at 1,000,000 (whose large inserts
//     DuckDB writes to the file directly) no change in time, and a lower peak.
var Settings = map[string]string{"preserve_insertion_order": "false", "checkpoint_threshold": "1GB"}

// DSN returns the driver data source name for path with DuckDB's thread count. Read-write opens
// carry the workload's Settings: every read-write handle on a file in one process must use the
// same configuration (the driver shares one instance per file and refuses a second with another
// configuration).
func DSN(path string, threads int, readOnly bool) string {
	q := url.Values{}
	if threads > 0 {
		q.Set("threads", strconv.Itoa(threads))
	}
	if readOnly {
		q.Set("access_mode", "read_only")
	} else {
		for k, v := range Settings {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// openDB opens the database, recording an open span. With a retry policy, a lock conflict is
// retried with bounded exponential backoff, each wait recorded as a lock-wait span. Under the
// queue strategy it first takes the sidecar lock, which closeDB releases. Each attempt, and
// closeDB's close, holds the open lock (access.EnterOpen, access.EnterClose), so that no open of lockbench's reads
// the file's headers while another process of lockbench checkpoints and closes it (DuckDB 2.0.0
// would work on the stale headers); the open and close spans include the time it waited.
func openDB(ctx context.Context, cfg *Config, rec *trace.Recorder, worker int, name string, year int) (*sql.DB, error) {
	leave, err := enterQueue(ctx, cfg, rec, worker, name, year)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", cfg.DBPath, err)
	}
	db, err := openRetrying(ctx, cfg, rec, worker, name, year)
	if err != nil {
		leave()
		return nil, err
	}
	queued.Store(db, leave)
	return db, nil
}

func openRetrying(ctx context.Context, cfg *Config, rec *trace.Recorder, worker int, name string, year int) (*sql.DB, error) {
	wait := time.Duration(0)
	backoff := time.Duration(0)
	if cfg.LockRetry != nil {
		backoff = cfg.LockRetry.Initial
	}
	for {
		start := time.Now()
		unlock := lockInstance(cfg.DBPath)
		// No other process of lockbench closes the file while this one opens it.
		unguard, _, err := access.EnterOpen(ctx, cfg.DBPath)
		if err != nil {
			unlock()
			rec.Add(trace.Open, name, year, worker, start, err)
			return nil, fmt.Errorf("open %s: %w", cfg.DBPath, err)
		}
		db, err := sql.Open("duckdb", cfg.DSN())
		if err == nil {
			// Make sure a connection really exists (the driver opens the instance in Open).
			err = db.PingContext(ctx)
			if err != nil {
				db.Close()
			}
		}
		unguard()
		unlock()
		if err == nil {
			rec.Add(trace.Open, name, year, worker, start, nil)
			return db, nil
		}
		rec.Add(trace.Open, name, year, worker, start, err)
		if cfg.LockRetry == nil || !outcome.IsLockConflict(err) || wait >= cfg.LockRetry.Deadline {
			return nil, fmt.Errorf("open %s: %w", cfg.DBPath, err)
		}
		ws := time.Now()
		d := cfg.LockRetry.Delay(backoff)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			rec.Add(trace.LockWait, name, year, worker, ws, ctx.Err())
			return nil, ctx.Err()
		case <-t.C:
		}
		rec.Add(trace.LockWait, name, year, worker, ws, nil)
		wait += d
		backoff = min(backoff*2, cfg.LockRetry.Max)
	}
}

func closeDB(db *sql.DB, path string, rec *trace.Recorder, worker int, name string, year int) error {
	start := time.Now()
	unlock := lockInstance(path)
	// A close checkpoints: no other process of lockbench opens the file meanwhile.
	unguard, _, _ := access.EnterClose(context.Background(), path)
	err := db.Close()
	unguard()
	unlock()
	leaveQueue(db)
	rec.Add(trace.Close, name, year, worker, start, err)
	return err
}

// instanceLocks serialises opening and closing the database within this process, one lock per
// path. The driver shares one DuckDB instance among the handles of a path and tears it down when
// the last one closes; an open that lands while that teardown is still running fails with
// "Unique file handle conflict: Database ... is already attached" (the uncoordinated threaded
// mode, where steps open and close the file around themselves on several goroutines, hit it
// under load). Holding the lock across Open+Ping and across Close keeps the two apart; queries
// are not serialised.
var instanceLocks sync.Map // path -> *sync.Mutex

func lockInstance(path string) (unlock func()) {
	m, _ := instanceLocks.LoadOrStore(path, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// runHandle names the spans of the run's one database handle (coordinated in-process modes).
const runHandle = "run"

// runInProcess executes the plan inside this process. Coordinated, one database handle serves
// the run and every worker slot pins one connection of it; uncoordinated, every step opens and
// closes the database around itself, as the original project reopened it per query
// (docs/workforce-model.md#coordination).
func runInProcess(ctx context.Context, p *Plan, rec *trace.Recorder, width int) error {
	cfg := &p.cfg
	if !cfg.Coordination {
		return schedule(ctx, p, width, func(ctx context.Context, w int, n *Node) error {
			db, err := openDB(ctx, cfg, rec, w, n.Name, n.Year)
			if err != nil {
				return fmt.Errorf("%s: %w", n.ID, err)
			}
			err = withConn(ctx, db, func(c *sql.Conn) error {
				return (&stepEnv{plan: p, rec: rec, worker: w}).runNode(ctx, c, n)
			})
			if cerr := closeDB(db, cfg.DBPath, rec, w, n.Name, n.Year); err == nil && cerr != nil {
				err = cerr
			}
			return err
		})
	}
	db, err := openDB(ctx, cfg, rec, 0, runHandle, 0)
	if err != nil {
		return err
	}
	conns := make([]*sql.Conn, width)
	var mu sync.Mutex
	err = schedule(ctx, p, width, func(ctx context.Context, w int, n *Node) error {
		mu.Lock()
		c := conns[w]
		if c == nil {
			var err error
			if c, err = db.Conn(context.WithoutCancel(ctx)); err != nil {
				mu.Unlock()
				return err
			}
			conns[w] = c
		}
		mu.Unlock()
		return (&stepEnv{plan: p, rec: rec, worker: w}).runNode(ctx, c, n)
	})
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
	if cerr := closeDB(db, cfg.DBPath, rec, 0, runHandle, 0); err == nil {
		err = cerr
	}
	return err
}

// withConn pins one connection for f and always returns it outside a transaction.
func withConn(ctx context.Context, db *sql.DB, f func(*sql.Conn) error) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return f(c)
}

// absPath makes the database path absolute so worker processes and the instance cache agree.
func absPath(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("no database path")
	}
	return filepath.Abs(p)
}
