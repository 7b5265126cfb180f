package watch

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/holders"
	"lockbench/internal/proc"
	"lockbench/outcome"
	"lockbench/vocab"
)

const testInterval = 25 * time.Millisecond

func newFile(t *testing.T) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "a.duckdb")
	require.NoError(t, os.WriteFile(f, []byte("x"), 0o644))
	return f
}

// TestSamplerSeesLocksComeAndGo starts lockers at known moments (a writer on the file and its
// .wal, then two readers at once) and checks every appearance and departure against them: never
// before the true moment, and at most two intervals after it.
func TestSamplerSeesLocksComeAndGo(t *testing.T) {
	for _, probe := range []bool{false, true} {
		t.Run(map[bool]string{false: "proc-locks", true: "probe"}[probe], func(t *testing.T) {
			db := newFile(t)
			wal := db + ".wal"
			ev := newEventWaiter()
			s, err := Start(context.Background(), Options{Files: []string{db}, Interval: testInterval, Probe: probe, OnEvent: ev.onEvent})
			require.NoError(t, err)
			defer s.Stop()

			w := startLocker(t, "write", db, wal)
			wApp := []Event{ev.next(t, Appeared, w.pid, db), ev.next(t, Appeared, w.pid, wal)}
			w.stop(t)
			wGone := []Event{ev.next(t, Gone, w.pid, db), ev.next(t, Gone, w.pid, wal)}

			r1 := startLocker(t, "read", db)
			r2 := startLocker(t, "read", db)
			r1App, r2App := ev.next(t, Appeared, r1.pid, db), ev.next(t, Appeared, r2.pid, db)
			r1.stop(t)
			r1Gone := ev.next(t, Gone, r1.pid, db)
			r2.stop(t)
			r2Gone := ev.next(t, Gone, r2.pid, db)

			tl, err := s.Stop()
			require.NoError(t, err)
			require.Less(t, tl.MeanGapS, 1.5*testInterval.Seconds(), "samples came an interval apart on average")
			sl := slack(tl)
			for _, c := range []struct {
				h        *heldLock
				app, gon Event
			}{{w, wApp[0], wGone[0]}, {w, wApp[1], wGone[1]}, {r1, r1App, r1Gone}, {r2, r2App, r2Gone}} {
				requireWithin(t, "appearance", c.app.Time, c.h.spawned, c.h.ready, sl)
				requireWithin(t, "departure", c.gon.Time, c.h.stopped, c.h.exited, sl)
				assert.InDelta(t, c.gon.Time.Sub(c.app.Time).Seconds(), c.gon.HeldS, 1e-9)
			}
			exe, err := os.Executable()
			require.NoError(t, err)
			for _, e := range append(wApp, wGone...) {
				assert.Equal(t, holders.ModeWrite, e.Mode)
				assert.Equal(t, exe, e.Exe)
				assert.Contains(t, e.Cmdline, os.Args[0])
				assert.False(t, e.OutsideNamespace)
			}
			assert.Equal(t, holders.ModeRead, r1App.Mode)
			assert.Equal(t, holders.ModeRead, r2Gone.Mode)

			// The lockers share their executable and command line: one program, one lane.
			require.Len(t, tl.Lanes, 1)
			ln := tl.Lanes[0]
			assert.Equal(t, []int{w.pid, r1.pid, r2.pid}, ln.PIDs)
			assert.Equal(t, []string{holders.ModeRead, holders.ModeWrite}, ln.Modes)
			assert.Len(t, ln.Locks, 4)
			// The writer's two locks are one hold; the readers overlap: one more.
			require.Len(t, ln.Holds, 2)
			assert.Equal(t, 1, ln.Returns)
			assert.InDelta(t, wGone[1].EndS-wApp[0].StartS, ln.Holds[0].EndS-ln.Holds[0].StartS, 1e-9)
			assert.InDelta(t, r2Gone.EndS-r1App.StartS, ln.Holds[1].EndS-ln.Holds[1].StartS, 1e-9)
			assert.InDelta(t, ln.Holds[0].EndS-ln.Holds[0].StartS+ln.Holds[1].EndS-ln.Holds[1].StartS, ln.HeldS, 1e-9)
		})
	}
}

// TestSamplerOwnProcesses ignores the caller's own processes, or keeps them marked Own.
func TestSamplerOwnProcesses(t *testing.T) {
	db := newFile(t)
	mine := startLocker(t, "read", db)
	other := startLocker(t, "read", db)
	for _, keep := range []bool{false, true} {
		s, err := Start(context.Background(), Options{Files: []string{db}, Interval: testInterval, Own: Descendants(mine.pid), KeepOwn: keep})
		require.NoError(t, err)
		tl, err := s.Stop()
		require.NoError(t, err)
		var pids []int
		for _, ln := range tl.Lanes {
			pids = append(pids, ln.PIDs...)
			assert.Equal(t, ln.PIDs[0] == mine.pid, ln.Own, "lane %s", ln.Label)
		}
		if keep {
			assert.ElementsMatch(t, []int{mine.pid, other.pid}, pids)
		} else {
			assert.Equal(t, []int{other.pid}, pids)
		}
	}
	assert.True(t, Descendants(os.Getpid())(mine.pid), "a child descends from its parent")
	assert.False(t, Descendants(mine.pid)(os.Getpid()), "a parent does not descend from its child")
}

// TestMarkMatchesTheHolder marks lock errors while a locker holds the file and after it left.
func TestMarkMatchesTheHolder(t *testing.T) {
	db := newFile(t)
	ev := newEventWaiter()
	s, err := Start(context.Background(), Options{Files: []string{db}, Interval: testInterval, OnEvent: ev.onEvent})
	require.NoError(t, err)
	h := startLocker(t, "write", db)
	msg := `IO Error: Could not set lock on file "` + db + `": Conflicting lock is held`
	o := outcome.Outcome{Kind: vocab.LockConflict, Sub: "database", Message: msg, HolderPID: h.pid, Path: db}
	f := s.Mark(time.Now(), o)
	require.Equal(t, 0, f.Lane, "Mark samples first, so the holder is known at once")
	require.NotNil(t, f.Holder)
	assert.Equal(t, h.pid, f.Holder.PID)
	assert.Equal(t, 1, f.TimesHeld)
	assert.Contains(t, f.Outcome.HolderCmdline, os.Args[0], "Mark fills the holder's command line from /proc")
	again := s.Mark(time.Now(), o)
	assert.Equal(t, 2, again.Count, "the same message within a second is one failure")
	h.stop(t)
	h2 := startLocker(t, "write", db)
	ev.next(t, Appeared, h2.pid, db)
	h2.stop(t)
	// A PID the sampler never saw hold the file (here: the test itself).
	o2 := o
	o2.HolderPID, o2.Message = os.Getpid(), msg+" (2)"
	s.Mark(time.Now(), o2)
	tl, err := s.Stop()
	require.NoError(t, err)
	require.Len(t, tl.Failures, 2)
	f = tl.Failures[0]
	assert.Equal(t, 2, f.Count)
	assert.Equal(t, 0, f.Lane)
	assert.Equal(t, 2, f.TimesHeld, "the program held the file twice during the watch")
	assert.Greater(t, f.HeldTotalS, 0.0)
	assert.Empty(t, f.Note)
	assert.Equal(t, -1, tl.Failures[1].Lane)
	assert.Contains(t, tl.Failures[1].Note, "did not see PID")
	assert.Contains(t, FormatFailure(tl.Failures[0]), "held by pid "+strconv.Itoa(h.pid))
}

func TestSamplerMissingFileAndBadOptions(t *testing.T) {
	_, err := New(Options{})
	assert.Error(t, err)
	_, err = New(Options{Files: []string{"x"}, Interval: time.Microsecond})
	assert.Error(t, err)
	missing := filepath.Join(t.TempDir(), "later.duckdb")
	s, err := New(Options{Files: []string{missing}})
	require.NoError(t, err)
	require.NoError(t, s.Sample())
	tl, err := s.Stop()
	require.NoError(t, err)
	assert.Empty(t, tl.Lanes)
	assert.Equal(t, []string{missing + " did not exist at times: it had no holders then"}, tl.Notes)
}

// TestSamplerWaiters: with Waiters, a process blocked waiting for a lock appears as a waiting
// lock, and when it gets the lock the wait goes and a hold appears; without, it is not seen.
// Samples are taken by hand, at moments the test knows.
func TestSamplerWaiters(t *testing.T) {
	db := newFile(t)
	holder := startLocker(t, "write", db)
	var events []Event
	s, err := New(Options{Files: []string{db}, Waiters: true, OnEvent: func(e Event) { events = append(events, e) }})
	require.NoError(t, err)
	plain, err := New(Options{Files: []string{db}})
	require.NoError(t, err)

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockerEnv+"=wait:"+db)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "waiting\n", line)
	waiter := cmd.Process.Pid
	require.True(t, proc.WaitUntil(nil, time.Minute, 5*time.Millisecond, func() bool {
		hs, err := holders.LocksAndWaiters(db, false)
		require.NoError(t, err)
		return slices.ContainsFunc(hs, func(h holders.Holder) bool { return h.PID == waiter && h.Waiting })
	}), "the waiter never blocked")

	require.NoError(t, s.Sample())
	require.NoError(t, plain.Sample())
	require.Len(t, events, 2, "the holder and the waiter appeared")
	e := events[slices.IndexFunc(events, func(e Event) bool { return e.PID == waiter })]
	assert.Equal(t, Appeared, e.Kind)
	assert.True(t, e.Waiting)
	assert.Equal(t, holders.ModeWrite, e.Mode)
	assert.Contains(t, FormatEvent(e), "appeared: pid "+strconv.Itoa(waiter)+" waits for a write lock on "+db)
	for _, ln := range plain.Timeline().Lanes {
		assert.Equal(t, []int{holder.pid}, ln.PIDs, "without Waiters the waiter is not seen")
	}

	holder.stop(t)
	line, err = out.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)
	events = nil
	require.NoError(t, s.Sample())
	var got []string
	for _, e := range events {
		got = append(got, fmt.Sprintf("%s %d waiting=%v", e.Kind, e.PID, e.Waiting))
	}
	assert.ElementsMatch(t, []string{
		fmt.Sprintf("gone %d waiting=false", holder.pid),
		fmt.Sprintf("gone %d waiting=true", waiter),
		fmt.Sprintf("appeared %d waiting=false", waiter),
	}, got)
	for _, e := range events {
		if e.Kind == Gone && e.Waiting {
			assert.Contains(t, FormatEvent(e), "gone: pid "+strconv.Itoa(waiter)+" waited for a write lock on "+db+" for ")
		}
	}
}
