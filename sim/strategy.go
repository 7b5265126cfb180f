package sim

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"lockbench/internal/outcome"
	"lockbench/sim/trace"
)

// Strategy is how a pipeline (the workload) and the file's other users (viewers that read, a
// second writer) share one DuckDB database. Each strategy fixes the pipeline's execution mode and
// the rules every cooperating participant follows (see Access).
type Strategy string

// The strategies of DESIGN.md. NoStrategy leaves the mode and lock-retry settings in charge and
// gives cooperating participants plain opens.
const (
	NoStrategy Strategy = "none"
	// Parallel is parallel worker processes without any protection: the pre-fix state and the
	// negative control.
	Parallel Strategy = "parallel"
	// SingleProcess is the S031-04 fix: one process, N connections. Other processes are locked
	// out while it runs.
	SingleProcess Strategy = "single-process"
	// Retry is parallel worker processes that retry the lock error with bounded exponential
	// backoff and jitter; cooperating participants retry the same way.
	Retry Strategy = "retry"
	// Queue is parallel worker processes that take an advisory flock(2) on a sidecar file (never
	// the database file) before they open the database and release it after they close it;
	// cooperating participants do the same (shared for readers, exclusive for writers).
	Queue Strategy = "queue"
	// Publish is one process working on a private file that, after each year, publishes a
	// consistent copy with DuckDB itself (ATTACH, COPY FROM DATABASE, DETACH) and rename(2)s it
	// over the shared path; viewers open the published copy read-only.
	Publish Strategy = "publish"
	// PerWorkerFiles is parallel worker processes that each write a file of their own, ATTACHing
	// the files of the steps they read read-only; a final step merges every file into the main
	// file.
	PerWorkerFiles Strategy = "per-worker-files"
	// ReadOnlyAttach is the single-process pipeline with participants that ATTACH the live file
	// from an in-memory database (viewers with READ_ONLY) instead of opening it.
	ReadOnlyAttach Strategy = "read-only-attach"
)

// Strategies lists every strategy besides NoStrategy, in the order reports show them.
var Strategies = []Strategy{Parallel, SingleProcess, Retry, Queue, Publish, PerWorkerFiles, ReadOnlyAttach}

// ParseStrategy returns the strategy named s ("" and "none" are NoStrategy), or an error listing
// the valid ones.
func ParseStrategy(s string) (Strategy, error) {
	if s == "" || s == string(NoStrategy) {
		return NoStrategy, nil
	}
	for _, st := range Strategies {
		if string(st) == s {
			return st, nil
		}
	}
	names := make([]string, len(Strategies))
	for i, st := range Strategies {
		names[i] = string(st)
	}
	return "", fmt.Errorf("unknown strategy %q: use one of %s (or none)", s, strings.Join(names, ", "))
}

// Mode returns the execution mode of the strategy's pipeline ("" for NoStrategy, whose mode is
// the caller's).
func (s Strategy) Mode() Mode {
	switch s {
	case Parallel, Retry, Queue, PerWorkerFiles:
		return ParallelProcesses
	case SingleProcess, Publish, ReadOnlyAttach:
		return Threaded
	}
	return ""
}

// StrategyRetry is the retry strategy's policy for pipeline workers (and the per-worker-files
// merge): --lock-retry's backoff with jitter, so that workers that collided do not retry in step.
var StrategyRetry = RetryPolicy{Initial: 5 * time.Millisecond, Max: 320 * time.Millisecond, Deadline: 2 * time.Minute, Jitter: true}

// CoopRetry is the retry strategy's policy for a cooperating viewer or second writer: the same
// backoff, but a participant gives up on one read or write after 5 s, as a dashboard would.
var CoopRetry = RetryPolicy{Initial: 5 * time.Millisecond, Max: 320 * time.Millisecond, Deadline: 5 * time.Second, Jitter: true}

// delay returns the wait before the next retry when the backoff is b: b itself, or with Jitter a
// uniformly random wait in [b/2, b) ("equal jitter").
func (r RetryPolicy) delay(b time.Duration) time.Duration {
	if !r.Jitter || b < 2 {
		return b
	}
	return b/2 + rand.N(b/2)
}

// validateStrategy checks the strategy against the rest of the configuration and fills the
// settings it implies: the mode when none is given, and the retry strategy's policy.
func (c *Config) validateStrategy() error {
	s, err := ParseStrategy(string(c.Strategy))
	if err != nil {
		return err
	}
	c.Strategy = s
	if s == NoStrategy {
		return nil
	}
	if c.Mode == "" {
		c.Mode = s.Mode()
	}
	if c.Mode != s.Mode() {
		return fmt.Errorf("strategy %s runs in mode %s, not %s: drop the mode or pick another strategy", s, s.Mode(), c.Mode)
	}
	switch {
	case s == Retry && c.LockRetry == nil:
		r := StrategyRetry
		c.LockRetry = &r
	case s != Retry && c.LockRetry != nil:
		return fmt.Errorf("strategy %s does not retry lock errors: retrying is the retry strategy (drop --lock-retry)", s)
	}
	return nil
}

// QueuePath is the sidecar lock file of the queue strategy for the database db. It is a file of
// its own: a process that holds the database must never open the database file by another route,
// since closing that descriptor would drop DuckDB's POSIX lock.
func QueuePath(db string) string { return db + ".queue.lock" }

// EnterQueue takes the queue strategy's advisory flock(2) on db's sidecar file, exclusive for a
// writer and shared for a reader, blocking in the kernel until it is granted or ctx ends. It
// returns the function that releases the lock and how long the call waited. flock(2) promises
// no order among waiters: when the holder releases, Linux wakes the waiters and one of them wins.
func EnterQueue(ctx context.Context, db string, exclusive bool) (leave func(), waited time.Duration, err error) {
	f, err := os.OpenFile(QueuePath(db), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return nil, 0, fmt.Errorf("queue: %w", err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	fd := int(f.Fd())
	leave = func() {
		_ = unix.Flock(fd, unix.LOCK_UN)
		f.Close()
	}
	if err := flock(fd, how|unix.LOCK_NB); err == nil {
		return leave, 0, nil
	} else if !errors.Is(err, unix.EWOULDBLOCK) {
		f.Close()
		return nil, 0, fmt.Errorf("queue: flock %s: %w", QueuePath(db), err)
	}
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- flock(fd, how) }()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, time.Since(start), fmt.Errorf("queue: flock %s: %w", QueuePath(db), err)
		}
		return leave, time.Since(start), nil
	case <-ctx.Done():
		// The blocked flock still owns f: close it once the call returns.
		go func() {
			<-done
			f.Close()
		}()
		return nil, time.Since(start), ctx.Err()
	}
}

// flock calls flock(2), repeating it when a signal interrupts it.
func flock(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// queued maps a database handle opened under the queue strategy to the release of its sidecar
// lock, which closeDB calls after the handle is closed.
var queued sync.Map // *sql.DB -> func()

// enterQueue takes the sidecar lock for the pipeline when the strategy is queue (exclusive: the
// pipeline writes), recording the time blocked as a lock-wait span. It returns a no-op otherwise.
func enterQueue(ctx context.Context, cfg *Config, rec *trace.Recorder, worker int, name string, year int) (func(), error) {
	if cfg.Strategy != Queue {
		return func() {}, nil
	}
	start := time.Now()
	leave, waited, err := EnterQueue(ctx, cfg.DBPath, true)
	if waited > 0 || err != nil {
		rec.Add(trace.LockWait, name, year, worker, start, err)
	}
	if err != nil {
		return nil, err
	}
	return leave, nil
}

// leaveQueue releases the sidecar lock held for db, if any.
func leaveQueue(db *sql.DB) {
	if f, ok := queued.LoadAndDelete(db); ok {
		f.(func())()
	}
}

// Access is how one participant opens the shared database under a strategy.
type Access struct {
	// Path is the file to open: the published copy under publish, the live file otherwise.
	Path string
	// ReadOnly opens (or attaches) the file read-only.
	ReadOnly bool
	// Attach opens an in-memory database and ATTACHes Path instead of opening it.
	Attach bool
	// Queue takes the sidecar flock first (shared when ReadOnly) and holds it until release.
	Queue bool
	// Retry, when set, retries the lock error with backoff.
	Retry *RetryPolicy
}

// AttachedName is the catalog name an Attach access gives the shared file; Open makes it the
// default database, so queries name tables as usual.
const AttachedName = "shared"

// ViewerAccess returns the rules a cooperating viewer of the database db follows.
func (s Strategy) ViewerAccess(db string) Access {
	a := Access{Path: db, ReadOnly: true}
	s.shape(&a)
	return a
}

// WriterAccess returns the rules a cooperating second writer of the database db follows. Under
// publish it writes the published path, the only shared file: the next publish replaces it.
func (s Strategy) WriterAccess(db string) Access {
	a := Access{Path: db}
	s.shape(&a)
	return a
}

func (s Strategy) shape(a *Access) {
	switch s {
	case Retry:
		r := CoopRetry
		a.Retry = &r
	case Queue:
		a.Queue = true
	case ReadOnlyAttach:
		a.Attach = true
	}
}

// Opened is a database opened by Access.Open.
type Opened struct {
	// DB is the handle, limited to one connection (an attached file is the default database of
	// that connection).
	DB *sql.DB
	// Waited is the time spent waiting for access: blocked on the queue, or sleeping between
	// retries. Opens themselves are not counted.
	Waited time.Duration
	// Tries is the number of opens attempted (1 without retries).
	Tries int
	leave func()
}

// Close closes the database and then leaves the queue.
func (o *Opened) Close() error {
	err := o.DB.Close()
	if o.leave != nil {
		o.leave()
	}
	return err
}

// Open opens the database by the access rules. On failure Waited and Tries still say how long it
// waited and how often it tried.
func (a Access) Open(ctx context.Context) (*Opened, error) {
	o := &Opened{}
	if a.Queue {
		leave, waited, err := EnterQueue(ctx, a.Path, !a.ReadOnly)
		o.Waited += waited
		if err != nil {
			return o, err
		}
		o.leave = leave
	}
	backoff := time.Duration(0)
	if a.Retry != nil {
		backoff = a.Retry.Initial
	}
	var sleptTotal time.Duration
	for {
		o.Tries++
		db, err := a.open(ctx)
		if err == nil {
			o.DB = db
			return o, nil
		}
		if a.Retry == nil || !outcome.IsLockConflict(err) || sleptTotal >= a.Retry.Deadline {
			if o.leave != nil {
				o.leave()
			}
			return o, err
		}
		d := a.Retry.delay(backoff)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return o, ctx.Err()
		case <-t.C:
		}
		sleptTotal += d
		o.Waited += d
		backoff = min(backoff*2, a.Retry.Max)
	}
}

// open makes one attempt: sql.Open and a ping, or an in-memory database that ATTACHes Path.
func (a Access) open(ctx context.Context) (*sql.DB, error) {
	dsn := DSN(a.Path, 0, a.ReadOnly)
	if a.Attach {
		dsn = ""
	}
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if a.Attach {
		opt := ""
		if a.ReadOnly {
			opt = " (READ_ONLY)"
		}
		for _, q := range []string{fmt.Sprintf("ATTACH %s AS %s%s", quoteLiteral(a.Path), AttachedName, opt), "USE " + AttachedName} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				db.Close()
				return nil, err
			}
		}
	}
	return db, nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// prepareStrategy changes the plan for the strategy before it runs: publish works on a private
// file and publishes after every year.
func prepareStrategy(p *Plan) error {
	if p.cfg.Strategy == Publish {
		return addPublishSteps(p)
	}
	return nil
}
