package watch

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// lockerEnv makes the test binary a locker: a process that takes POSIX locks (DuckDB's kind)
// on files, prints "locked", and keeps them until its standard input closes. The sampler only
// reads /proc/locks and F_GETLK, so a plain file stands in for a database here; the command's
// tests use real DuckDB holders.
const lockerEnv = "WATCH_TEST_LOCK"

func TestMain(m *testing.M) {
	if spec := os.Getenv(lockerEnv); spec != "" {
		os.Exit(locker(spec))
	}
	os.Exit(m.Run())
}

// locker takes the locks of spec, "read:FILE,FILE2" or "write:FILE", and holds them until
// stdin closes. "wait:FILE" prints "waiting" and then waits for a write lock (F_SETLKW) while
// another process holds one.
func locker(spec string) int {
	mode, files, _ := strings.Cut(spec, ":")
	typ := int16(unix.F_WRLCK)
	if mode == "read" {
		typ = unix.F_RDLCK
	}
	how := unix.F_SETLK
	if mode == "wait" {
		how = unix.F_SETLKW
		fmt.Println("waiting")
	}
	for _, f := range strings.Split(files, ",") {
		fd, err := unix.Open(f, unix.O_RDWR|unix.O_CREAT, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		lk := unix.Flock_t{Type: typ}
		if err := unix.FcntlFlock(uintptr(fd), how, &lk); err != nil {
			fmt.Fprintln(os.Stderr, "lock", f, err)
			return 1
		}
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// heldLock is a running locker and the moments the test knows about it.
type heldLock struct {
	pid     int
	spawned time.Time // just before it was started
	ready   time.Time // just after its ready line was read: it held its locks by then
	stopped time.Time // just before it was told to release them
	exited  time.Time // just after it was reaped: its locks were gone by then
	stdin   io.WriteCloser
	cmd     *exec.Cmd
}

// startLocker starts a locker of mode ("read" or "write") on files and returns once it holds
// them.
func startLocker(t testing.TB, mode string, files ...string) *heldLock {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockerEnv+"="+mode+":"+strings.Join(files, ","))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	h := &heldLock{stdin: stdin, cmd: cmd, spawned: time.Now()}
	require.NoError(t, cmd.Start())
	h.pid = cmd.Process.Pid
	t.Cleanup(func() {
		if h.exited.IsZero() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)
	h.ready = time.Now()
	return h
}

// stop releases the locker's locks and waits for it to end.
func (h *heldLock) stop(t testing.TB) {
	t.Helper()
	h.stopped = time.Now()
	require.NoError(t, h.stdin.Close())
	require.NoError(t, h.cmd.Wait())
	h.exited = time.Now()
}

// eventWaiter collects a sampler's events and waits for one.
type eventWaiter struct {
	ch      chan Event
	pending []Event // received, not yet asked for
}

func newEventWaiter() *eventWaiter { return &eventWaiter{ch: make(chan Event, 1000)} }

func (w *eventWaiter) onEvent(e Event) { w.ch <- e }

// next returns the first event not yet returned of kind about pid's lock on file (events may
// come in any order within a sample), or fails after a minute.
func (w *eventWaiter) next(t *testing.T, kind string, pid int, file string) Event {
	t.Helper()
	match := func(e Event) bool { return e.Kind == kind && e.Lock != nil && e.PID == pid && e.File == file }
	for i, e := range w.pending {
		if match(e) {
			w.pending = append(w.pending[:i], w.pending[i+1:]...)
			return e
		}
	}
	timeout := time.After(time.Minute)
	for {
		select {
		case e := <-w.ch:
			if match(e) {
				return e
			}
			w.pending = append(w.pending, e)
		case <-timeout:
			t.Fatalf("no %s event for pid %d on %s within a minute", kind, pid, file)
		}
	}
}

// slack is how late an event may be: two intervals, widened by however much longer than an
// interval the longest gap between samples was (the sampler itself kept from running on a
// busy machine; the tests check separately that the gaps were an interval on average).
func slack(tl *Timeline) time.Duration {
	iv := time.Duration(tl.IntervalS * float64(time.Second))
	stall := time.Duration(tl.MaxGapS*float64(time.Second)) - iv
	return 2*iv + max(0, stall)
}

// requireWithin checks that at lies in [lo, hi+slack].
func requireWithin(t *testing.T, what string, at, lo, hi time.Time, slack time.Duration) {
	t.Helper()
	require.Falsef(t, at.Before(lo), "%s at %s, before the earliest true moment %s", what, at.Format(time.StampMicro), lo.Format(time.StampMicro))
	require.Falsef(t, at.After(hi.Add(slack)), "%s at %s, more than %s after the latest true moment %s", what, at.Format(time.StampMicro), slack, hi.Format(time.StampMicro))
}
