// Package access holds the rules by which a participant (a pipeline step, a viewer, a second
// writer) opens a shared DuckDB database under a sharing strategy: which path it opens, read-only
// or not, by ATTACH from an in-memory database or directly, behind the queue strategy's flock(2)
// on a sidecar file, and with which lock-retry policy. The simulation follows these rules for
// its own opens and the cooperating competitors follow them for theirs, so both sides of a
// strategy are written once.
package access

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"lockbench/internal/crash"
	"lockbench/outcome"
	"lockbench/vocab"
)

// RetryPolicy is a bounded exponential backoff applied when opening the database fails with
// DuckDB's "Conflicting lock is held" error.
type RetryPolicy struct {
	Initial  time.Duration // first wait
	Max      time.Duration // cap on one wait
	Deadline time.Duration // give up once this much time has been spent waiting in total
	// Jitter makes each wait a random time in [wait/2, wait), so that processes that collided
	// do not retry in step (the retry strategy).
	Jitter bool `json:",omitempty"`
}

// DefaultRetry is the policy used by --lock-retry.
var DefaultRetry = RetryPolicy{Initial: 5 * time.Millisecond, Max: 320 * time.Millisecond, Deadline: 2 * time.Minute}

// StrategyRetry is the retry strategy's policy for pipeline workers (and the per-worker-files
// merge): --lock-retry's backoff with jitter, so that workers that collided do not retry in step.
var StrategyRetry = RetryPolicy{Initial: 5 * time.Millisecond, Max: 320 * time.Millisecond, Deadline: 2 * time.Minute, Jitter: true}

// CoopRetry is the retry strategy's policy for a cooperating viewer or second writer: the same
// backoff, but a participant gives up on one read or write after 5 s, as a dashboard would.
var CoopRetry = RetryPolicy{Initial: 5 * time.Millisecond, Max: 320 * time.Millisecond, Deadline: 5 * time.Second, Jitter: true}

// Delay returns the wait before the next retry when the backoff is b: b itself, or with Jitter a
// uniformly random wait in [b/2, b) ("equal jitter").
func (r RetryPolicy) Delay(b time.Duration) time.Duration {
	if !r.Jitter || b < 2 {
		return b
	}
	return b/2 + rand.N(b/2)
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
	leave, waited, err = take(ctx, f, how)
	if err != nil && ctx.Err() == nil {
		err = fmt.Errorf("queue: flock %s: %w", QueuePath(db), err)
	}
	return leave, waited, err
}

// OpenLockPath is the sidecar lock file that keeps lockbench's processes from opening the
// database db while one of them closes it (EnterOpen, EnterClose).
func OpenLockPath(db string) string { return db + ".open.lock" }

// EnterOpen takes db's open lock (OpenLockPath) for an open, shared with other opens, blocking
// while a close holds it or until ctx ends, and returns the function that releases it and how
// long the call waited. Every process of lockbench holds it across each open of db (from
// sql.Open until DuckDB holds its lock on the file, or has refused to), and takes it alone
// (EnterClose) across each read-write close (until DuckDB has checkpointed and released its
// lock), never longer: an open and a checkpointing close of the same file never overlap.
//
// This works around DuckDB 2.0.0, which reads a file's headers before it takes its lock and does
// not read them again: an open whose lock is granted because another process has just
// checkpointed and closed the file works on the state before that checkpoint, and its own
// checkpoint then overwrites it, losing what the other process committed. With the open lock,
// an open either meets the holder's lock (and retries, if it retries) or starts after the close
// has finished. Releases up to 1.5.6 read the headers after taking the lock; for them the open
// lock costs an uncontended flock(2). Processes that are not lockbench do not take it, so they
// are not protected from each other or from lockbench.
//
// When the lock file cannot be created or locked (a directory this process may not write to, a
// file system without flock), the open goes ahead unguarded, as it would without lockbench: the
// returned leave does nothing. The error is ctx's, when it ends first.
func EnterOpen(ctx context.Context, db string) (leave func(), waited time.Duration, err error) {
	return guard(ctx, db, unix.LOCK_SH)
}

// EnterClose takes db's open lock alone for a read-write close, blocking while opens or another
// close hold it or until ctx ends; see EnterOpen. A read-only close writes nothing and needs
// no open lock.
func EnterClose(ctx context.Context, db string) (leave func(), waited time.Duration, err error) {
	return guard(ctx, db, unix.LOCK_EX)
}

func guard(ctx context.Context, db string, how int) (leave func(), waited time.Duration, err error) {
	f, err := os.OpenFile(OpenLockPath(db), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return func() {}, 0, nil
	}
	leave, waited, err = take(ctx, f, how)
	if err != nil && ctx.Err() == nil {
		return func() {}, waited, nil
	}
	return leave, waited, err
}

// take takes flock(2) how on f, blocking until it is granted or ctx ends; f is closed when the
// returned leave is called or when the lock is not granted.
func take(ctx context.Context, f *os.File, how int) (leave func(), waited time.Duration, err error) {
	fd := int(f.Fd())
	leave = func() {
		_ = unix.Flock(fd, unix.LOCK_UN)
		f.Close()
	}
	if err := flock(fd, how|unix.LOCK_NB); err == nil {
		return leave, 0, nil
	} else if !errors.Is(err, unix.EWOULDBLOCK) {
		f.Close()
		return nil, 0, err
	}
	start := time.Now()
	done := make(chan error, 1)
	crash.Go(func() { done <- flock(fd, how) })
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, time.Since(start), err
		}
		return leave, time.Since(start), nil
	case <-ctx.Done():
		// The blocked flock still owns f: close it once the call returns.
		crash.Go(func() {
			<-done
			f.Close()
		})
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
func ViewerAccess(s vocab.Strategy, db string) Access {
	a := Access{Path: db, ReadOnly: true}
	shape(s, &a)
	return a
}

// WriterAccess returns the rules a cooperating second writer of the database db follows. Under
// publish it writes the published path, the only shared file: the next publish replaces it.
func WriterAccess(s vocab.Strategy, db string) Access {
	a := Access{Path: db}
	shape(s, &a)
	return a
}

// shape applies a strategy's rules to a participant's access.
func shape(s vocab.Strategy, a *Access) {
	switch s {
	case vocab.Retry:
		r := CoopRetry
		a.Retry = &r
	case vocab.Queue:
		a.Queue = true
	case vocab.ReadOnlyAttach:
		a.Attach = true
	}
}

// Opened is a database opened by Access.Open.
type Opened struct {
	// DB is the handle, limited to one connection (an attached file is the default database of
	// that connection).
	DB *sql.DB
	// Waited is the time spent waiting for access: blocked on the queue or on the open lock,
	// or sleeping between retries. Opens themselves are not counted.
	Waited time.Duration
	// Tries is the number of opens attempted (1 without retries).
	Tries    int
	leave    func()
	path     string
	readOnly bool
}

// Close closes the database, when read-write under the open lock (EnterClose), and then leaves
// the queue.
func (o *Opened) Close() error {
	unguard := func() {}
	if !o.readOnly {
		unguard, _, _ = EnterClose(context.Background(), o.path)
	}
	err := o.DB.Close()
	unguard()
	if o.leave != nil {
		o.leave()
	}
	return err
}

// Open opens the database by the access rules, each attempt under the open lock (EnterOpen). On
// failure Waited and Tries still say how long it waited and how often it tried.
func (a Access) Open(ctx context.Context) (*Opened, error) {
	o := &Opened{path: a.Path, readOnly: a.ReadOnly}
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
		unguard, waited, err := EnterOpen(ctx, a.Path)
		o.Waited += waited
		if err != nil {
			if o.leave != nil {
				o.leave()
			}
			return o, err
		}
		db, err := a.open(ctx)
		unguard()
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
		d := a.Retry.Delay(backoff)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			if o.leave != nil {
				o.leave()
			}
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
	dsn := a.Path
	switch {
	case a.Attach:
		dsn = ""
	case a.ReadOnly:
		dsn += "?access_mode=read_only"
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
