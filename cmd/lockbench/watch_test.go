package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/harness/repro"
	"lockbench/internal/exitcode"
	"lockbench/internal/proc"
	"lockbench/watch"
)

const watchInterval = 50 * time.Millisecond

func TestWatchBadInput(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "a.duckdb")
	code, _, stderr := lockbench(t, "hold", "--for=1ms", db)
	require.Equal(t, 0, code, stderr)
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"nothing to watch", []string{"watch"}, "give the DuckDB file(s) to watch"},
		{"db without a command", []string{"watch", "--db", db}, "--db " + db + " needs the command to run after --"},
		{"command without db", []string{"watch", "--", "true"}, "a command after -- needs --db FILE"},
		{"for with a command", []string{"watch", "--for", "1s", "--db", db, "--", "true"}, "drop --for"},
		{"negative for", []string{"watch", "--for", "-1s", db}, "--for -1s: give a positive duration"},
		{"interval too short", []string{"watch", "--interval", "0s", db}, "--interval 0s: give a duration from 1ms to 1m0s"},
		{"interval too long", []string{"watch", "--interval", "2h", db}, "--interval 2h0m0s"},
		{"bad out", []string{"watch", "--out", filepath.Join(dir, "w.txt"), db}, "name an .html or .json file"},
		{"out in a missing directory", []string{"watch", "--out", filepath.Join(dir, "no", "w.html"), db}, "does not exist"},
		{"missing file", []string{"watch", filepath.Join(dir, "none.duckdb")}, "does not exist"},
		{"a directory", []string{"watch", dir}, "is a directory"},
		{"db in a missing directory", []string{"watch", "--db", filepath.Join(dir, "no", "a.duckdb"), "--", "true"}, "no"},
		{"command not found", []string{"watch", "--db", db, "--", filepath.Join(dir, "no-such-command")}, "cannot run"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := lockbench(t, tc.args...)
			assert.Equal(t, int(exitcode.Usage), code, stderr)
			assert.Contains(t, stderr, tc.stderr)
		})
	}
}

// watchStream is a running `lockbench watch --json` and the events it printed.
type watchStream struct {
	cmd     *exec.Cmd
	events  chan watch.JSONEvent
	pending []watch.JSONEvent // received, not yet asked for
}

// startWatch runs `lockbench watch --json --interval 50ms ARGS...` (this test binary), wrapped in
// prefix (such as unshare), and returns once it has printed its start line.
func startWatch(t *testing.T, prefix []string, args ...string) *watchStream {
	t.Helper()
	argv := append(append(append([]string{}, prefix...), os.Args[0], "watch", "--json", "--interval", watchInterval.String()), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	w := &watchStream{cmd: cmd, events: make(chan watch.JSONEvent, 1000)}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	go func() {
		defer close(w.events)
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var e watch.JSONEvent
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Errorf("watch printed a line that is not JSON: %q: %v", sc.Text(), err)
				continue
			}
			w.events <- e
		}
	}()
	start := w.next(t, func(e watch.JSONEvent) bool { return e.Kind == watch.Started })
	require.Equal(t, watchInterval.Seconds(), start.IntervalS, "the stream states the interval")
	return w
}

// next returns the first event not yet returned that matches (events may come in any order
// within a sample), or fails after a minute.
func (w *watchStream) next(t *testing.T, match func(watch.JSONEvent) bool) watch.JSONEvent {
	t.Helper()
	for i, e := range w.pending {
		if match(e) {
			w.pending = append(w.pending[:i], w.pending[i+1:]...)
			return e
		}
	}
	timeout := time.After(time.Minute)
	for {
		select {
		case e, ok := <-w.events:
			require.True(t, ok, "watch ended its output early")
			if match(e) {
				return e
			}
			w.pending = append(w.pending, e)
		case <-timeout:
			t.Fatal("no such event from watch within a minute")
		}
	}
}

// lockEvent matches an event of kind about pid's lock on file.
func lockEvent(kind string, pid int, file string) func(watch.JSONEvent) bool {
	return func(e watch.JSONEvent) bool {
		return e.Kind == kind && e.Lock != nil && e.PID == pid && e.File == file
	}
}

// end stops the watch with SIGINT (Ctrl-C) and returns its timeline.
func (w *watchStream) end(t *testing.T, pid int) *watch.Timeline {
	t.Helper()
	require.NoError(t, syscall.Kill(pid, syscall.SIGINT))
	e := w.next(t, func(e watch.JSONEvent) bool { return e.Kind == watch.Ended })
	require.NotNil(t, e.Timeline)
	require.NoError(t, w.cmd.Wait(), "Ctrl-C ends a watch with exit 0")
	return e.Timeline
}

// holdProc is a `lockbench hold` started by a test, with the moments the test knows.
type holdProc struct {
	cmd     *exec.Cmd
	pid     int       // the holder's PID on this host
	spawned time.Time // just before it was started: it held nothing yet
	ready   time.Time // just after its ready line was read: it held the file by then
	stopped time.Time // just before SIGTERM: it still held the file
	exited  time.Time // just after it was reaped: it held nothing any more
}

// startHold starts `lockbench hold ARGS...` (this test binary), wrapped in prefix, and returns
// once it holds the file. With a prefix (unshare), the holder is the first child of the
// command started.
func startHold(t *testing.T, prefix []string, args ...string) *holdProc {
	t.Helper()
	argv := append(append(append([]string{}, prefix...), os.Args[0], "hold"), args...)
	h := &holdProc{cmd: exec.Command(argv[0], argv[1:]...)}
	h.cmd.Stderr = os.Stderr
	out, err := h.cmd.StdoutPipe()
	require.NoError(t, err)
	h.spawned = time.Now()
	require.NoError(t, h.cmd.Start())
	t.Cleanup(func() {
		if h.exited.IsZero() {
			_ = h.cmd.Process.Kill()
			_ = h.cmd.Wait()
		}
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	h.ready = time.Now()
	require.True(t, strings.HasPrefix(line, "holding "), line)
	h.pid = h.cmd.Process.Pid
	if len(prefix) > 0 {
		h.pid = proc.FirstChild(h.cmd.Process.Pid)
		require.NotZero(t, h.pid)
	}
	return h
}

// stop ends the holder with SIGTERM and waits for it.
func (h *holdProc) stop(t *testing.T) {
	t.Helper()
	h.stopped = time.Now()
	require.NoError(t, syscall.Kill(h.pid, syscall.SIGTERM))
	require.NoError(t, h.cmd.Wait())
	h.exited = time.Now()
}

// watchSlack is how late watch may report a change: two intervals, widened by however much
// longer than an interval its longest gap between samples was (watch itself kept from running
// on a busy machine; the caller checks that the gaps were an interval on average).
func watchSlack(tl *watch.Timeline) time.Duration {
	stall := time.Duration(tl.MaxGapS*float64(time.Second)) - watchInterval
	return 2*watchInterval + max(0, stall)
}

func within(t *testing.T, what string, at, lo, hi time.Time, slack time.Duration) {
	t.Helper()
	assert.Falsef(t, at.Before(lo), "%s at %s, before the earliest true moment %s", what, at.Format(time.StampMicro), lo.Format(time.StampMicro))
	assert.Falsef(t, at.After(hi.Add(slack)), "%s at %s, more than %s after the latest true moment %s", what, at.Format(time.StampMicro), slack, hi.Format(time.StampMicro))
}

// TestWatchJSONReportsEveryHolder starts DuckDB holders at known moments while `watch --json`
// runs: a writer, a writer that has written (it holds the .wal too), two read-only holders at
// once, and, where PID namespaces can be made, a read-only holder in another PID namespace (seen
// from the host with its host PID). Each appearance and departure must be reported with PID,
// executable and lock mode, never before the true moment and at most two intervals after it.
func TestWatchJSONReportsEveryHolder(t *testing.T) {
	db := filepath.Join(t.TempDir(), "w.duckdb")
	code, _, stderr := lockbench(t, "hold", "--for=1ms", db)
	require.Equal(t, 0, code, stderr)
	w := startWatch(t, nil, db)
	exe, err := os.Executable()
	require.NoError(t, err)

	type seen struct {
		h          *holdProc
		file, mode string
		app, gone  watch.JSONEvent
	}
	var all []seen
	// hold runs holders at once, waits for watch to see every lock, then stops them in turn.
	hold := func(hs []*holdProc, locks [][2]string) {
		var got []seen
		for _, h := range hs {
			for _, l := range locks {
				got = append(got, seen{h: h, file: l[0], mode: l[1], app: w.next(t, lockEvent(watch.Appeared, h.pid, l[0]))})
			}
		}
		for _, h := range hs {
			h.stop(t)
			for i := range got {
				if got[i].h == h {
					got[i].gone = w.next(t, lockEvent(watch.Gone, h.pid, got[i].file))
				}
			}
		}
		all = append(all, got...)
	}
	dbLock := [2]string{db, "write"}
	hold([]*holdProc{startHold(t, nil, db)}, [][2]string{dbLock})
	hold([]*holdProc{startHold(t, nil, "--write-every=1h", db)}, [][2]string{dbLock, {db + ".wal", "write"}})
	hold([]*holdProc{startHold(t, nil, "--read-only", db), startHold(t, nil, "--read-only", db)}, [][2]string{{db, "read"}})
	unshare, nsErr := repro.PIDNamespaceSupport()
	if nsErr == nil {
		ns := startHold(t, []string{unshare, "--pid", "--fork", "--mount-proc", "--kill-child"}, "--read-only", db)
		assert.Equal(t, []string{strconv.Itoa(ns.pid), "1"}, proc.NSpid(ns.pid), "the holder is PID 1 of its own namespace")
		hold([]*holdProc{ns}, [][2]string{{db, "read"}})
	}

	tl := w.end(t, w.cmd.Process.Pid)
	require.Less(t, tl.MeanGapS, 1.5*watchInterval.Seconds(), "samples came an interval apart on average")
	slack := watchSlack(tl)
	for _, s := range all {
		within(t, "appearance of "+s.file+" by "+strconv.Itoa(s.h.pid), s.app.Time, s.h.spawned, s.h.ready, slack)
		within(t, "departure of "+s.file+" by "+strconv.Itoa(s.h.pid), s.gone.Time, s.h.stopped, s.h.exited, slack)
		for _, e := range []watch.JSONEvent{s.app, s.gone} {
			assert.Equal(t, s.mode, e.Mode)
			assert.Equal(t, exe, e.Exe)
			assert.Contains(t, e.Cmdline, " hold ")
			assert.False(t, e.OutsideNamespace)
		}
		// HeldS is measured on watch's monotonic clock, as are the t_s offsets; the JSON times
		// are wall-clock, which the system may adjust while the lock is held (CI saw 12 µs over
		// 149 ms), so they need only agree to within a few milliseconds.
		held := s.gone.HeldS
		assert.InDelta(t, s.gone.At-s.app.At, held, 1e-6, "held_s against the t_s offsets")
		assert.InDelta(t, s.gone.Time.Sub(s.app.Time).Seconds(), held, 5e-3, "held_s against the wall-clock times")
		// Independently of watch's clocks: the lock was taken between spawn and ready and let go
		// between stop and exit (the test's own monotonic clock), each seen at most slack late.
		lo, hi := s.h.stopped.Sub(s.h.ready)-slack, s.h.exited.Sub(s.h.spawned)+slack
		assert.GreaterOrEqualf(t, held, lo.Seconds(), "held_s of %s by %d", s.file, s.h.pid)
		assert.LessOrEqualf(t, held, hi.Seconds(), "held_s of %s by %d", s.file, s.h.pid)
	}
	if nsErr != nil {
		t.Logf("no holder in another PID namespace: %v", nsErr)
	}
	// The summary has one lane per program (executable and command line): the writer, the
	// writer that wrote, and the read-only holders, which overlapped (one hold) and, with the
	// holder in another namespace (the same command line), came back once.
	require.Len(t, tl.Lanes, 3)
	ro := tl.Lanes[2]
	assert.Equal(t, []string{"read"}, ro.Modes)
	wantHolds := 1
	if nsErr == nil {
		wantHolds = 2
	}
	assert.Len(t, ro.Holds, wantHolds)
	assert.Equal(t, wantHolds-1, ro.Returns)
	for _, ln := range tl.Lanes[:2] {
		assert.Len(t, ln.Holds, 1)
		assert.Equal(t, []string{"write"}, ln.Modes)
	}
}

// TestWatchOutsideThePIDNamespace runs watch as PID 1 of a new PID namespace (a container's
// view) while a writer on the host holds the file: watch reports the lock as who does, with
// PID 0, the file's device and inode, when it appears and when it goes.
func TestWatchOutsideThePIDNamespace(t *testing.T) {
	unshare, err := repro.PIDNamespaceSupport()
	if err != nil {
		t.Skip(err)
	}
	db := filepath.Join(t.TempDir(), "ns.duckdb")
	code, _, stderr := lockbench(t, "hold", "--for=1ms", db)
	require.Equal(t, 0, code, stderr)
	w := startWatch(t, []string{unshare, "--pid", "--fork", "--mount-proc", "--kill-child"}, db)
	h := startHold(t, nil, db)
	app := w.next(t, lockEvent(watch.Appeared, 0, db))
	hostIDs := lockIDs(t, h.pid) // what the host's /proc/locks lists for the holder
	h.stop(t)
	gone := w.next(t, lockEvent(watch.Gone, 0, db))
	tl := w.end(t, proc.FirstChild(w.cmd.Process.Pid))

	var st syscall.Stat_t
	require.NoError(t, syscall.Stat(db, &st))
	for _, e := range []watch.JSONEvent{app, gone} {
		assert.True(t, e.OutsideNamespace)
		assert.Equal(t, "write", e.Mode)
		assert.Equal(t, st.Ino, e.Inode)
		assert.Equal(t, hostIDs[st.Ino], e.Device+":"+strconv.FormatUint(e.Inode, 10), "device and inode as the host's /proc/locks lists them")
	}
	slack := watchSlack(tl)
	within(t, "appearance", app.Time, h.spawned, h.ready, slack)
	within(t, "departure", gone.Time, h.stopped, h.exited, slack)
	require.Len(t, tl.Lanes, 1)
	assert.True(t, tl.Lanes[0].OutsideNamespace)
}

// TestWatchCommandMarksTheFailure runs a command that fails on a file a writer holds, under
// `watch --db`: watch exits with the command's status and marks the failure with the holder's
// PID in the JSON and HTML timelines.
func TestWatchCommandMarksTheFailure(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "held.duckdb")
	holder := startHold(t, nil, db)
	script := `echo pipeline starting; "$0" hold --for=1ms "$1" || exit 5`
	for _, out := range []string{"timeline.json", "timeline.html"} {
		t.Run(out, func(t *testing.T) {
			path := filepath.Join(dir, out)
			code, stdout, stderr := lockbench(t, "watch", "--db", db, "--out", path, "--", "sh", "-c", script, os.Args[0], db)
			require.Equal(t, 5, code, "watch exits with the command's status; stderr:\n%s", stderr)
			assert.Equal(t, "pipeline starting\n", stdout, "the command's stdout passes through, alone")
			assert.Contains(t, stderr, "Conflicting lock is held in", "the command's stderr passes through")
			assert.Contains(t, stderr, "watch: ")
			assert.Contains(t, stderr, "failure: IO Error: Could not set lock on file")
			assert.Contains(t, stderr, "held by pid "+strconv.Itoa(holder.pid))
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			if strings.HasSuffix(out, ".json") {
				var tl watch.Timeline
				require.NoError(t, json.Unmarshal(b, &tl))
				require.Len(t, tl.Failures, 1)
				f := tl.Failures[0]
				assert.Equal(t, holder.pid, f.Outcome.HolderPID, "DuckDB named the holder")
				require.NotNil(t, f.Holder)
				assert.Equal(t, holder.pid, f.Holder.PID, "watch saw the holder then")
				assert.True(t, f.HeldBefore, "it held the file before the watch began")
				assert.Equal(t, 1, f.TimesHeld)
				assert.GreaterOrEqual(t, f.Lane, 0)
				assert.Equal(t, []int{holder.pid}, tl.Lanes[f.Lane].PIDs)
				require.NotNil(t, tl.Command)
				assert.Equal(t, 5, tl.Command.ExitCode)
				// The command's own processes were watched too, marked as its own.
				for _, ln := range tl.Lanes {
					assert.Equal(t, !slices.Contains(ln.PIDs, holder.pid), ln.Own, ln.Label)
				}
			} else {
				html := string(b)
				assert.Contains(t, html, "1 failure(s)")
				assert.Contains(t, html, "pid "+strconv.Itoa(holder.pid)+" (")
				assert.Contains(t, html, "Conflicting lock is held in")
				assert.Contains(t, html, "<svg")
			}
		})
	}
}

// TestWatchCtrlCStopsTheCommand interrupts `watch --db` (SIGINT, as Ctrl-C): the command's
// whole group is stopped, watch exits with the command's status, and the timeline is written.
func TestWatchCtrlCStopsTheCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "tl.json")
	pidFile := filepath.Join(dir, "sleeper")
	cmd := exec.Command(os.Args[0], "watch", "--db", filepath.Join(dir, "new.duckdb"), "--out", out, "--",
		"sh", "-c", `sleep 60 & echo $! > "$0"; echo started; wait`, pidFile)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "started\n", line)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 128+int(syscall.SIGINT), ee.ExitCode(), "sh died of SIGINT")
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	var tl watch.Timeline
	require.NoError(t, json.Unmarshal(b, &tl))
	require.NotNil(t, tl.Command)
	assert.True(t, tl.Command.Interrupted)
	assert.Equal(t, "SIGINT", tl.Command.Signal)
	b, err = os.ReadFile(pidFile)
	require.NoError(t, err)
	sleeper, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	assert.True(t, proc.WaitUntil(nil, 10*time.Second, 10*time.Millisecond, func() bool {
		s := proc.State(sleeper)
		return s == 0 || s == 'Z' || s == 'X'
	}), "the command's child was stopped with its group")
}

// TestTrailingYearsLeavesTheCommandAlone: simulate's `--years 2025 2026` joining stops at --,
// so that `watch --db F -- lockbench simulate --years 2025 2026` runs the command as given.
func TestTrailingYearsLeavesTheCommandAlone(t *testing.T) {
	assert.Equal(t, []string{"simulate", "--years", "2025,2026"}, trailingYears([]string{"simulate", "--years", "2025", "2026"}))
	cmd := []string{"watch", "--db", "f", "--", "lockbench", "simulate", "--years", "2025", "2026"}
	assert.Equal(t, cmd, trailingYears(cmd))
}

// TestWatchTextSummary watches, for a moment, a file a writer holds throughout: the text output
// states the interval, shows the holder appear at the first sample and ends with its summary.
func TestWatchTextSummary(t *testing.T) {
	db := filepath.Join(t.TempDir(), "t.duckdb")
	h := startHold(t, nil, db)
	code, out, stderr := lockbench(t, "watch", "--for", "300ms", "--interval", "20ms", db)
	require.Equal(t, 0, code, stderr)
	pid := strconv.Itoa(h.pid)
	for _, want := range []string{
		"watching " + db + " and its .wal every 20ms for 300ms (or until Ctrl-C); a hold shorter than 20ms may be missed\n",
		" +0s appeared: pid " + pid + " holds a write lock on " + db + " (" + os.Args[0] + "; " + os.Args[0] + " hold " + db + ")\n",
		"sampling every 20.0ms (",
		"pid " + pid + " (" + os.Args[0] + "; " + os.Args[0] + " hold " + db + "): write lock, held the files once for ",
		"  before the watch–… (more than ",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, " gone: ", "the writer held the file throughout")
}
