package repro

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"lockbench/harness/competitor"
	"lockbench/internal/crash"
	"lockbench/internal/lockstall"
	"lockbench/internal/proc"
	"lockbench/release"
	"lockbench/vocab"
)

// staleRows is how many rows the first writer of the stale-header case commits on top of the
// creator's one; the second writer adds one more.
const staleRows = 50

// staleHeaderRef is where the stale-header behaviour is described.
const staleHeaderRef = "README.md (DuckDB 2.0.0: an open that races a close loses writes); lockbench's lock-retry workload lost seed and staging tables under load"

// releaseBugCases are behaviours of one DuckDB release that others do not have. Each runs
// lockbench binaries of the releases it compares (Env.Release), whichever release the running
// lockbench links, and skips when a binary cannot be had.
func releaseBugCases() []Case {
	return []Case{
		{
			Name: "open-reads-header-before-lock",
			Title: "DuckDB 2.0.0 reads a file's headers before it takes the lock: a writer that gets the lock as another writer closes " +
				"writes back the old state, and the other writer's committed rows are silently lost (1.5.6 keeps them)",
			Reference: staleHeaderRef,
			Releases:  []string{newRelease, oldRelease},
			Setup: fmt.Sprintf("A release creates a.db with one row; writer A of the release commits %d rows and holds a.db; writer B of "+
				"the release opens a.db to add one row and is held at its lock call (fcntl F_SETLK, stalled by a seccomp filter); A stops "+
				"(checkpointing as it closes); B goes on. Run with 2.0.0 on its own file, with 2.0.0 on a file 1.5.6 created, and with 1.5.6.", staleRows),
			Note: "DuckDB 2.0.0 opens the file twice without a lock and reads its headers (which database header is current, where the " +
				"catalog and free list are), then opens it again and locks it, and never reads the headers again: when the lock is " +
				"granted because the previous holder just closed, it works on the state before that holder's last checkpoint, and its " +
				"own checkpoint overwrites the newer header. Workers that open one file in turn with a lock-retry policy (parallel-processes " +
				"with --lock-retry, the retry strategy) hit it when a worker's open lands while another closes, most often on a loaded machine: " +
				"a model then fails with `Table with name ... does not exist`, or a table a finished worker created is gone. A 2.0.0 read-only " +
				"open, too, reads the headers before its lock. lockbench's workers and cooperating processes close the window among themselves with a flock(2) on " +
				"DB.open.lock, shared by opens and held alone by a closing writer (access.EnterOpen, access.EnterClose).",
			Expect: Expectation{Kind: vocab.LostWrite,
				Also: []string{
					"writer B is held at its lock call while A holds a.db: /proc/locks lists A alone",
					"A's close checkpoints: the header iteration goes from N to N+1",
					"2.0.0: B's checkpoint writes iteration N+1 again, over A's header: it built on the header it read before its lock",
					"2.0.0 on a file 1.5.6 created (the 1.x format): A's rows are lost the same way",
					fmt.Sprintf("1.5.6, the same sequence: all %d rows are there and B writes iteration N+2", staleRows+2),
				}},
			run: staleHeader,
		},
	}
}

// staleRun is what one run of the stale-header sequence found.
type staleRun struct {
	rows int
	// before, afterA and afterB are the header iterations while A holds the file, after A
	// closed and after B closed.
	before, afterA, afterB uint64
	// aloneA says whether A alone held a.db while B was held at its lock call.
	aloneA bool
}

func (s staleRun) String() string {
	return fmt.Sprintf("%d rows of %d committed; header iteration %d while A held the file, %d after A closed, %d after B closed",
		s.rows, staleRows+2, s.before, s.afterA, s.afterB)
}

func staleHeader(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	if err := needBoth(ctx, r); err != nil {
		return obs, err
	}
	newOwn, err := staleSequence(ctx, r, newRelease, newRelease, "a.db")
	if err != nil {
		return obs, err
	}
	newOld, err := staleSequence(ctx, r, oldRelease, newRelease, "old-format.db")
	if err != nil {
		return obs, err
	}
	old, err := staleSequence(ctx, r, oldRelease, oldRelease, "control.db")
	if err != nil {
		return obs, err
	}
	want := staleRows + 2
	obs.Outcome.Kind = vocab.OK
	if newOwn.rows != want {
		obs.Outcome = lostWrite("the %d rows a DuckDB %s writer committed, and checkpointed as it closed, are gone: %s has %d rows, %d were committed",
			want-newOwn.rows, newRelease, competitor.HolderTable, newOwn.rows, want)
	}
	obs.check("writer B is held at its lock call while A holds a.db: /proc/locks lists A alone", newOwn.aloneA && newOld.aloneA && old.aloneA,
		"A alone: %v (2.0.0), %v (2.0.0 on the 1.x file), %v (1.5.6)", newOwn.aloneA, newOld.aloneA, old.aloneA)
	obs.check("A's close checkpoints: the header iteration goes from N to N+1",
		newOwn.afterA == newOwn.before+1 && newOld.afterA == newOld.before+1 && old.afterA == old.before+1,
		"2.0.0: %s; 1.5.6: %s", newOwn, old)
	obs.check("2.0.0: B's checkpoint writes iteration N+1 again, over A's header: it built on the header it read before its lock",
		newOwn.afterB == newOwn.afterA, "%s", newOwn)
	obs.check("2.0.0 on a file 1.5.6 created (the 1.x format): A's rows are lost the same way", newOld.rows == newOwn.rows && newOld.afterB == newOld.afterA,
		"%s", newOld)
	obs.check(fmt.Sprintf("1.5.6, the same sequence: all %d rows are there and B writes iteration N+2", want), old.rows == want && old.afterB == old.afterA+1,
		"%s", old)
	return obs, nil
}

// staleSequence runs the sequence with writers of release rel on a file that release creator
// creates, and reports what it found.
func staleSequence(ctx context.Context, r *caseRun, creator, rel, name string) (staleRun, error) {
	var s staleRun
	db := r.path(name)
	if err := r.createWith(ctx, creator, db); err != nil {
		return s, err
	}
	bin, err := r.binary(ctx, rel)
	if err != nil {
		return s, err
	}
	launcher := competitor.Launcher{Path: bin, Args: []string{"hold"}}

	// Writer A: commits its rows, prints its ready line and holds a.db until SIGTERM.
	a := launcher.Command(competitor.HoldOptions{DB: db, Rows: staleRows})
	out, err := a.StdoutPipe()
	if err != nil {
		return s, err
	}
	if err := proc.StartGroup(a); err != nil {
		return s, err
	}
	waitA := waiter(a)
	r.later(func() { proc.KillGroup(a.Process.Pid); _ = waitA() })
	line, err := readLine(out, competitor.DefaultReadyTimeout)
	if err != nil || !strings.HasPrefix(line, competitor.ReadyPrefix) {
		return s, fmt.Errorf("DuckDB %s writer A: no ready line (%v): %q", rel, err, line)
	}
	r.step("DuckDB %s writer A (pid %d) committed %d rows to %s and holds it", rel, a.Process.Pid, staleRows, name)
	if s.before, err = release.ReadIteration(db); err != nil {
		return s, err
	}

	// Writer B: adds one row and closes; held at its lock call on the file.
	b := launcher.Command(competitor.HoldOptions{DB: db, Rows: 1, For: time.Millisecond})
	b.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	var stderr strings.Builder
	b.Stderr = &stderr
	stall, err := lockstall.Start(b, db)
	if errors.Is(err, lockstall.ErrUnsupported) {
		return s, skipf("this case stops a process at its lock call with a seccomp filter: %v", err)
	}
	if err != nil {
		return s, fmt.Errorf("start DuckDB %s writer B: %w", rel, err)
	}
	waitB := waiter(b)
	r.later(func() { proc.KillGroup(b.Process.Pid); _ = waitB(); stall.Close() })
	exitedB := make(chan error, 1)
	crash.Go(func() { exitedB <- waitB() })
	select {
	case <-stall.Reached():
	case err := <-exitedB:
		return s, fmt.Errorf("DuckDB %s writer B ended before its lock call (%v): %s", rel, err, strings.TrimSpace(stderr.String()))
	case <-ctx.Done():
		return s, ctx.Err()
	}
	locks, err := fileLocks(db, "")
	if err != nil {
		return s, err
	}
	// /proc/locks has a line per lock, and A was once listed twice here: A alone means that
	// no other PID is listed.
	slices.Sort(locks)
	s.aloneA = sameSet(slices.Compact(locks), []int{a.Process.Pid})
	r.step("DuckDB %s writer B (pid %d) opened %s and is held at its lock call; /proc/locks: %v", rel, b.Process.Pid, name, locks)

	if err := syscall.Kill(a.Process.Pid, syscall.SIGTERM); err != nil {
		return s, err
	}
	if err := waitA(); err != nil {
		return s, fmt.Errorf("DuckDB %s writer A: %w", rel, err)
	}
	if s.afterA, err = release.ReadIteration(db); err != nil {
		return s, err
	}
	r.step("writer A stopped: it closed %s (header iteration %d → %d) and released it", name, s.before, s.afterA)

	if err := stall.Release(); err != nil {
		return s, err
	}
	select {
	case err := <-exitedB:
		if err != nil {
			return s, fmt.Errorf("DuckDB %s writer B: %v: %s", rel, err, strings.TrimSpace(stderr.String()))
		}
	case <-ctx.Done():
		return s, ctx.Err()
	}
	if s.afterB, err = release.ReadIteration(db); err != nil {
		return s, err
	}
	r.step("writer B went on: it locked %s, added its row and closed it (header iteration %d)", name, s.afterB)
	if s.rows, err = r.peerRows(ctx, rel, db); err != nil {
		return s, err
	}
	return s, nil
}

// waiter returns a function that waits for cmd once, however often it is called.
func waiter(cmd *exec.Cmd) func() error {
	var once sync.Once
	var err error
	return func() error {
		once.Do(func() { err = cmd.Wait() })
		return err
	}
}
