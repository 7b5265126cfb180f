package e2e

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"lockbench/holders"
)

// The helpers of the tests that run lockbench next to a reader that is not lockbench and
// follows no protocol: testdata/poller, a dashboard that opens the file read-only with
// duckdb-go every 50 ms, counts each simulation year's rows and closes it again.

// simData is the run every test here simulates: small, a second or two per run.
var simData = []string{"--employees", "200", "--years", "2025", "2026", "--threads", "2"}

// simYears are the years of simData.
var simYears = []int{2025, 2026}

// waitLimit bounds every wait for a process to reach a state; it is far above what any state
// takes on a loaded machine and only ends a test that hangs.
const waitLimit = 2 * time.Minute

// pollAttempt is one line of the poller's output.
type pollAttempt struct {
	PID      int           `json:"pid"`
	Start    time.Time     `json:"start"`
	End      time.Time     `json:"end"`
	OK       bool          `json:"ok"`
	Tables   bool          `json:"tables"`
	Snapshot map[int]int64 `json:"snapshot"`
	Events   map[int]int64 `json:"events"`
	Error    string        `json:"error"`
}

// refused reports whether DuckDB refused the attempt's open because of another process's lock.
func (a pollAttempt) refused() bool { return strings.Contains(a.Error, "Conflicting lock is held") }

// yearRows is the number of rows of each simulation year in the two fact tables.
type yearRows struct {
	Snapshot map[int]int64
	Events   map[int]int64
}

// finishedRows counts the rows of each simulation year in the finished file at path, with a
// query of the test's own, read-only.
func finishedRows(t *testing.T, path string) yearRows {
	t.Helper()
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	require.NoError(t, err)
	defer db.Close()
	out := yearRows{Snapshot: map[int]int64{}, Events: map[int]int64{}}
	for table, m := range map[string]map[int]int64{"fct_workforce_snapshot": out.Snapshot, "fct_yearly_events": out.Events} {
		rows, err := db.Query("SELECT simulation_year, count(*) FROM " + table + " GROUP BY simulation_year")
		require.NoError(t, err)
		for rows.Next() {
			var y int
			var n int64
			require.NoError(t, rows.Scan(&y, &n))
			m[y] = n
		}
		require.NoError(t, rows.Err())
		rows.Close()
	}
	require.Equal(t, simYears, slices.Sorted(maps.Keys(out.Snapshot)), "the finished file has every year's snapshot")
	require.Equal(t, simYears, slices.Sorted(maps.Keys(out.Events)), "the finished file has every year's events")
	return out
}

// partial returns what is wrong with a successful read, or "" when it saw whole years: the
// first years of the run, each with exactly the rows the finished file has for it in both
// fact tables. A read of a file without the fact tables saw no years, which is whole.
func partial(a pollAttempt, final yearRows) string {
	if !a.Tables {
		return ""
	}
	snap, ev := slices.Sorted(maps.Keys(a.Snapshot)), slices.Sorted(maps.Keys(a.Events))
	switch {
	case !slices.Equal(snap, ev):
		return fmt.Sprintf("snapshot years %v, event years %v", snap, ev)
	case len(snap) > len(simYears) || !slices.Equal(snap, simYears[:len(snap)]):
		return fmt.Sprintf("years %v are not the first years of %v", snap, simYears)
	}
	for _, y := range snap {
		if a.Snapshot[y] != final.Snapshot[y] || a.Events[y] != final.Events[y] {
			return fmt.Sprintf("%d: %d snapshot rows and %d events, the finished file has %d and %d",
				y, a.Snapshot[y], a.Events[y], final.Snapshot[y], final.Events[y])
		}
	}
	return ""
}

// complete reports whether a successful read saw every year of the run whole.
func complete(a pollAttempt, final yearRows) bool {
	return a.Tables && len(a.Snapshot) == len(simYears) && partial(a, final) == ""
}

// poller is a running testdata/poller.
type poller struct {
	cmd    *exec.Cmd
	pid    int
	stderr bytes.Buffer

	mu   sync.Mutex
	seen []pollAttempt
	bad  []string      // lines that did not parse
	more chan struct{} // signalled after every line
	eof  chan struct{} // closed when its stdout is drained

	endOnce sync.Once
}

// startPoller starts the poller on db; the test's cleanup kills it if the test did not stop it.
func startPoller(t *testing.T, db string) *poller {
	t.Helper()
	p := &poller{more: make(chan struct{}, 1), eof: make(chan struct{})}
	p.cmd = exec.Command("poller", "-every", "50ms", db)
	p.cmd.Stderr = &p.stderr
	out, err := p.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, p.cmd.Start())
	p.pid = p.cmd.Process.Pid
	go func() {
		defer close(p.eof)
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var a pollAttempt
			err := json.Unmarshal(sc.Bytes(), &a)
			p.mu.Lock()
			if err != nil {
				p.bad = append(p.bad, sc.Text())
			} else {
				p.seen = append(p.seen, a)
			}
			p.mu.Unlock()
			select {
			case p.more <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { p.end(syscall.SIGKILL) })
	return p
}

// end continues the poller if it was stopped, sends it sig, and waits for it to exit.
func (p *poller) end(sig syscall.Signal) error {
	var err error
	p.endOnce.Do(func() {
		_ = p.cmd.Process.Signal(syscall.SIGCONT)
		_ = p.cmd.Process.Signal(sig)
		<-p.eof
		err = p.cmd.Wait()
	})
	return err
}

// stop ends the poller with SIGTERM (it finishes the attempt in progress) and returns every
// attempt it made.
func (p *poller) stop(t *testing.T) []pollAttempt {
	t.Helper()
	require.NoError(t, p.end(syscall.SIGTERM), "the poller failed: %s", p.stderr.String())
	p.mu.Lock()
	defer p.mu.Unlock()
	require.Empty(t, p.bad, "the poller printed lines that are not attempts")
	return slices.Clone(p.seen)
}

// waitAttempt returns the poller's first attempt that started after since.
func (p *poller) waitAttempt(t *testing.T, since time.Time) pollAttempt {
	t.Helper()
	limit := time.After(waitLimit)
	for {
		p.mu.Lock()
		for _, a := range p.seen {
			if a.Start.After(since) {
				p.mu.Unlock()
				return a
			}
		}
		p.mu.Unlock()
		select {
		case <-p.more:
		case <-p.eof:
			t.Fatalf("the poller exited: %s", p.stderr.String())
		case <-limit:
			t.Fatalf("the poller made no attempt after %s within %s", since.Format(time.RFC3339Nano), waitLimit)
		}
	}
}

// waitRead waits for the poller's first successful read, so that it reads before the runs
// that follow begin.
func (p *poller) waitRead(t *testing.T) {
	t.Helper()
	since := time.Time{}
	for {
		a := p.waitAttempt(t, since)
		if a.OK {
			return
		}
		since = a.Start
	}
}

// freeze stops the poller with SIGSTOP at a moment when it holds its read lock on db (holding
// true) or holds nothing (holding false), and returns once it is stopped so.
func (p *poller) freeze(t *testing.T, db string, holding bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		waitUntil(t, fmt.Sprintf("the poller (pid %d) to hold=%v a lock on %s", p.pid, holding, db), p.eof,
			func() bool { return holdsLock(db, p.pid) == holding })
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGSTOP))
		waitStopped(t, p.pid)
		if holdsLock(db, p.pid) == holding {
			return
		}
		require.NoError(t, p.cmd.Process.Signal(syscall.SIGCONT))
	}
	t.Fatalf("could not stop the poller while hold=%v", holding)
}

// resume continues the stopped poller.
func (p *poller) resume(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGCONT))
}

// holdsLock reports whether process pid holds a lock on the database file at path (or its
// WAL), from /proc/locks.
func holdsLock(path string, pid int) bool {
	hs, err := holders.Lookup(path)
	if err != nil {
		return false // not there yet
	}
	return slices.ContainsFunc(hs, func(h holders.Holder) bool { return h.PID == pid })
}

// waitUntil polls cond every millisecond until it holds; it fails the test after waitLimit,
// or at once when gone is closed first (the process it waits for exited).
func waitUntil(t *testing.T, what string, gone <-chan struct{}, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		select {
		case <-gone:
			t.Fatalf("waiting for %s: the process exited", what)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not within %s", what, waitLimit)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitStopped waits until every thread of process pid is stopped by a signal.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("pid %d to stop", pid), nil, func() bool {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		if err != nil || len(tasks) == 0 {
			return false
		}
		for _, task := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name()))
			if err != nil {
				return false
			}
			// pid (comm) STATE ...; comm may hold spaces and parentheses.
			i := bytes.LastIndexByte(b, ')')
			if i < 0 || i+2 >= len(b) || (b[i+2] != 'T' && b[i+2] != 't') {
				return false
			}
		}
		return true
	})
}

// process is a lockbench command running in the background.
type process struct {
	cmd      *exec.Cmd
	pid      int
	out, err bytes.Buffer
	done     chan struct{}
	code     int
}

// startLockbench starts the built lockbench in dir; the test's cleanup kills it if it is still
// running.
func startLockbench(t *testing.T, dir string, args ...string) *process {
	t.Helper()
	p := &process{done: make(chan struct{})}
	p.cmd = exec.Command("lockbench", args...)
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.err
	require.NoError(t, p.cmd.Start())
	p.pid = p.cmd.Process.Pid
	go func() {
		defer close(p.done)
		err := p.cmd.Wait()
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			p.code = ee.ExitCode()
		default:
			p.code = -1
		}
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGCONT)
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// wait waits for the command to exit and returns its exit code and output.
func (p *process) wait(t *testing.T) (code int, stdout, stderr string) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(waitLimit):
		t.Fatalf("lockbench %s did not exit within %s", strings.Join(p.cmd.Args[1:], " "), waitLimit)
	}
	return p.code, p.out.String(), p.err.String()
}

// freezeHolding waits until the command holds a lock on path, stops it with SIGSTOP, and
// returns once it is stopped with the lock still held.
func (p *process) freezeHolding(t *testing.T, path string) {
	t.Helper()
	waitUntil(t, fmt.Sprintf("lockbench (pid %d) to lock %s", p.pid, path), p.done, func() bool { return holdsLock(path, p.pid) })
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGSTOP))
	waitStopped(t, p.pid)
	require.True(t, holdsLock(path, p.pid), "lockbench still holds %s", path)
}

// resume continues the stopped command.
func (p *process) resume(t *testing.T) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGCONT))
}

// dirWatch counts, with inotify, the closes of descriptors that were opened for writing on the
// files of one directory (IN_CLOSE_WRITE): every read-write open of a file ends in one, even an
// open whose lock DuckDB refused, and a read-only open never does.
type dirWatch struct {
	fd     int
	closes map[string]int
}

func watchDir(t *testing.T, dir string) *dirWatch {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	require.NoError(t, err)
	t.Cleanup(func() { unix.Close(fd) })
	_, err = unix.InotifyAddWatch(fd, dir, unix.IN_CLOSE_WRITE)
	require.NoError(t, err)
	return &dirWatch{fd: fd, closes: map[string]int{}}
}

// writeCloses returns how many descriptors opened for writing on dir/name were closed since the
// watch began.
func (w *dirWatch) writeCloses(t *testing.T, name string) int {
	t.Helper()
	buf := make([]byte, 64<<10)
	for {
		n, err := unix.Read(w.fd, buf)
		if errors.Is(err, unix.EAGAIN) {
			return w.closes[name]
		}
		if errors.Is(err, unix.EINTR) {
			continue
		}
		require.NoError(t, err)
		// struct inotify_event: wd, mask, cookie, len (4 bytes each), then len bytes of name.
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			mask := binary.NativeEndian.Uint32(buf[off+4:])
			size := int(binary.NativeEndian.Uint32(buf[off+12:]))
			require.Zero(t, mask&unix.IN_Q_OVERFLOW, "the inotify queue overflowed")
			file := string(bytes.TrimRight(buf[off+unix.SizeofInotifyEvent:off+unix.SizeofInotifyEvent+size], "\x00"))
			if mask&unix.IN_CLOSE_WRITE != 0 {
				w.closes[file]++
			}
			off += unix.SizeofInotifyEvent + size
		}
	}
}

// prepareShared makes dir/shared.duckdb a finished simulation file, as the file a dashboard
// already reads, and returns its path.
func prepareShared(t *testing.T, dir string) string {
	t.Helper()
	code, stdout, stderr := lockbench(t, dir, append([]string{"simulate", "--mode", "sequential", "--db", "shared.duckdb"}, simData...)...)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	return filepath.Join(dir, "shared.duckdb")
}

// simulateArgs is `simulate --strategy S --db shared.duckdb` on simData, with extra flags.
func simulateArgs(strategy string, extra ...string) []string {
	return append(append([]string{"simulate", "--strategy", strategy, "--db", "shared.duckdb"}, simData...), extra...)
}
