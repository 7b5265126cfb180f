package competitor

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"lockbench/holders"
	"lockbench/internal/crash"
	"lockbench/internal/proc"
	"lockbench/vocab"
)

// Process states, for naming how a process ended.
const (
	stateRunning int32 = iota
	stateFrozen
	stateKilling
	stateTerminating
)

// child is one competitor process, the leader of its own process group.
type child struct {
	cmd    *exec.Cmd
	pid    int // the leader, and the process group's id
	holder atomic.Int64
	mode   string
	stderr *tail

	ready     chan string   // the first stdout line
	stdoutEOF chan struct{} // closed when stdout is drained
	done      chan struct{} // closed once the process is reaped and its exit recorded
	waitErr   error         // set before done is closed

	held  atomic.Bool  // took its lock: its exit is recorded as an event
	state atomic.Int32 // one of the state constants

	termOnce sync.Once
	termErr  error
}

// spawn starts cmd as the leader of a new process group and registers it, unless Stop has
// begun. With readyLine, stdout is read for the ready line, and every later line goes to rest
// when it is not nil; otherwise stdout is kept with stderr.
// The process gets SIGKILL if this process dies (a trial killed at its timeout), so no holder
// outlives the trial that started it.
func (r *Running) spawn(cmd *exec.Cmd, readyLine bool, rest func(string)) (*child, error) {
	cmd.WaitDelay = r.env.Grace
	p := &child{
		cmd:       cmd,
		stderr:    &tail{max: 16 << 10},
		ready:     make(chan string, 1),
		stdoutEOF: make(chan struct{}),
		done:      make(chan struct{}),
	}
	cmd.Stderr = p.stderr
	var pr, pw *os.File
	if readyLine {
		var err error
		if pr, pw, err = os.Pipe(); err != nil {
			return nil, fmt.Errorf("%s: %w", r.label, err)
		}
		cmd.Stdout = pw
	} else {
		cmd.Stdout = p.stderr
		close(p.stdoutEOF)
	}
	closePipes := func() {
		if pr != nil {
			pr.Close()
			pw.Close()
		}
	}

	r.mu.Lock()
	if r.stopping {
		r.mu.Unlock()
		closePipes()
		return nil, errStopping
	}
	if err := proc.StartGroup(cmd); err != nil {
		r.mu.Unlock()
		closePipes()
		return nil, fmt.Errorf("%s: start %s: %w", r.label, cmd.Path, err)
	}
	p.pid = cmd.Process.Pid
	p.holder.Store(int64(p.pid))
	r.procs = append(r.procs, p)
	r.mu.Unlock()

	if pr != nil {
		pw.Close()
		crash.Go(func() {
			defer close(p.stdoutEOF)
			defer pr.Close()
			br := bufio.NewReader(pr)
			if line, err := br.ReadString('\n'); err == nil {
				p.ready <- strings.TrimSpace(line)
			}
			if rest != nil {
				sc := bufio.NewScanner(br)
				sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
				for sc.Scan() {
					rest(sc.Text())
				}
			}
			_, _ = io.Copy(io.Discard, br)
		})
	}
	crash.Go(func() {
		p.waitErr = cmd.Wait()
		r.exited(p) // before done, so that the event is there when Stop returns
		close(p.done)
	})
	return p, nil
}

var rePID = regexp.MustCompile(`\(pid (\d+)\)`)

// launch runs a holder process with options o (on r's database) and waits for its ready line.
func (r *Running) launch(o HoldOptions) (*child, error) {
	o.DB = r.db
	p, err := r.spawn(r.env.Launcher.Command(o), true, nil)
	if err != nil {
		return nil, err
	}
	r.started(p, RoleHolder)
	p.mode = "read-write"
	if o.ReadOnly {
		p.mode = "read-only"
	}
	if _, err := r.awaitReady(p, ReadyPrefix); err != nil {
		return nil, err
	}
	r.held(p)
	return p, nil
}

// awaitReady waits for p's ready line, which must start with prefix and may name the PID that
// really holds the file ("(pid N)"). On failure p is terminated and the error says why.
func (r *Running) awaitReady(p *child, prefix string) (string, error) {
	timer := time.NewTimer(r.env.ReadyTimeout)
	defer timer.Stop()
	var line string
	select {
	case line = <-p.ready:
	case <-p.done:
		// It may have printed its line just before exiting (a very short hold).
		<-p.stdoutEOF
		select {
		case line = <-p.ready:
		default:
			return "", r.holderError(p, fmt.Errorf("exited before holding %s: %w", r.base(), p.waitErr))
		}
	case <-timer.C:
		_ = r.terminate(p)
		return "", r.holderError(p, fmt.Errorf("no ready line within %s", r.env.ReadyTimeout))
	case <-r.ctx.Done():
		_ = r.terminate(p)
		return "", errStopping
	}
	if !strings.HasPrefix(line, prefix) {
		_ = r.terminate(p)
		return "", r.holderError(p, fmt.Errorf("unexpected ready line %q", line))
	}
	if m := rePID.FindStringSubmatch(line); m != nil {
		if pid, err := strconv.Atoi(m[1]); err == nil {
			p.holder.Store(int64(pid))
		}
	}
	return line, nil
}

// held records that p holds its lock.
func (r *Running) held(p *child) {
	pid := int(p.holder.Load())
	r.mu.Lock()
	r.pids = append(r.pids, pid)
	r.mu.Unlock()
	p.held.Store(true)
	r.record(pid, ActionHolds, "holds %s %s (pid %d)", r.base(), p.mode, pid)
}

func (r *Running) holderError(p *child, err error) *HolderError {
	s := p.stderr.String()
	return &HolderError{Competitor: r.label, PID: p.pid, Stderr: s, Outcome: errorOutcome(s), Err: err}
}

// exited records how a process that held its lock ended.
func (r *Running) exited(p *child) {
	if !p.held.Load() {
		return // launch reports failures before the lock was held
	}
	pid := int(p.holder.Load())
	switch p.state.Load() {
	case stateKilling:
		r.record(pid, ActionKilled, "killed pid %d with SIGKILL; %s is free", pid, r.base())
	case stateTerminating:
		r.record(pid, ActionTerminated, "pid %d terminated by the harness", pid)
	default:
		if p.waitErr == nil {
			r.record(pid, ActionReleased, "released %s (pid %d)", r.base(), pid)
			return
		}
		r.fail(pid, r.holderError(p, fmt.Errorf("exited: %w", p.waitErr)))
	}
}

// terminate ends p's process group and reaps p: first the group's other members (so that their
// parent, still alive, reaps them), then the whole group; SIGCONT before SIGTERM so a frozen
// process can act on it; SIGKILL after the grace period. It is idempotent.
func (r *Running) terminate(p *child) error {
	p.termOnce.Do(func() {
		pg := p.pid
		defer proc.KillGroup(pg) // stragglers
		select {
		case <-p.done:
			return
		default:
		}
		p.state.CompareAndSwap(stateRunning, stateTerminating)
		p.state.CompareAndSwap(stateFrozen, stateTerminating)
		grace := r.env.Grace
		if others := proc.PendingMembers(pg); len(others) > 0 {
			for _, m := range others {
				_ = unix.Kill(m, unix.SIGCONT)
				_ = unix.Kill(m, unix.SIGTERM)
			}
			proc.WaitUntil(p.done, grace, 5*time.Millisecond, func() bool { return len(proc.PendingMembers(pg)) == 0 })
		}
		_ = proc.SignalGroup(pg, unix.SIGCONT)
		_ = proc.SignalGroup(pg, unix.SIGTERM)
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		proc.KillGroup(pg)
		t2 := time.NewTimer(30 * time.Second)
		defer t2.Stop()
		select {
		case <-p.done:
		case <-t2.C:
			p.termErr = fmt.Errorf("%s: pid %d survived SIGKILL for 30s", r.label, pg)
		}
	})
	return p.termErr
}

// freeze stops p's process group with SIGSTOP and waits until the holder is stopped.
func (r *Running) freeze(p *child) error {
	p.state.Store(stateFrozen)
	pid := int(p.holder.Load())
	if err := proc.SignalGroup(p.pid, unix.SIGSTOP); err != nil {
		return fmt.Errorf("%s: SIGSTOP pid %d: %w", r.label, p.pid, err)
	}
	if !proc.WaitUntil(p.done, r.env.ReadyTimeout, 2*time.Millisecond, func() bool { return proc.State(pid) == 'T' }) {
		return r.holderError(p, fmt.Errorf("pid %d did not stop", pid))
	}
	r.record(pid, ActionFrozen, "froze pid %d with SIGSTOP; it keeps its lock on %s", pid, r.base())
	return nil
}

// killLater kills p's process group with SIGKILL after d, unless Stop comes first.
func (r *Running) killLater(p *child, d time.Duration) {
	defer r.wg.Done()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-r.ctx.Done():
		return
	case <-p.done:
		return
	case <-t.C:
	}
	p.state.Store(stateKilling)
	proc.KillGroup(p.pid)
	<-p.done
}

// flap relaunches a holder one period after the previous one released the file, until Stop.
// A launch that finds the file locked (the workload has it) is part of the competition: it is
// recorded and retried a period later.
func (r *Running) flap(p *child, o HoldOptions, period time.Duration) {
	defer r.wg.Done()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-p.done:
		}
		for {
			t := time.NewTimer(period)
			select {
			case <-r.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			np, err := r.launch(o)
			if err == nil {
				p = np
				break
			}
			var he *HolderError
			switch {
			case errors.Is(err, errStopping):
				return
			case errors.As(err, &he) && he.Outcome.Kind == vocab.LockConflict:
				r.record(he.PID, ActionBlocked, "could not lock %s: %s", r.base(), he.Outcome.Message)
			default:
				r.fail(0, err)
				return
			}
		}
	}
}

// startExec runs the user's command and waits until a process of its group holds a lock on the
// database file, or the command ends.
func (r *Running) startExec() error {
	line := strings.ReplaceAll(r.spec.Command, "{db}", ShellWord(r.db))
	cmd := exec.Command("sh", "-c", line)
	cmd.Env = append(os.Environ(), "LOCKBENCH_DB="+r.db)
	p, err := r.spawn(cmd, false, nil)
	if err != nil {
		return err
	}
	r.started(p, RoleHolder)
	var h holders.Holder
	locked := func() bool {
		var ok bool
		h, ok = groupHolder(r.db, p.pid)
		return ok
	}
	stop := make(chan struct{}) // the command ended, or Stop began
	crash.Go(func() {
		select {
		case <-p.done:
		case <-r.ctx.Done():
		}
		close(stop)
	})
	if proc.WaitUntil(stop, r.env.ReadyTimeout, 5*time.Millisecond, locked) {
		p.holder.Store(int64(h.PID))
		p.mode = "read-write"
		if h.Mode == holders.ModeRead {
			p.mode = "read-only"
		}
		r.held(p)
		return nil
	}
	select {
	case <-p.done:
		if p.waitErr != nil {
			return r.holderError(p, fmt.Errorf("%q exited before locking %s: %w", line, r.base(), p.waitErr))
		}
		r.record(p.pid, ActionReleased, "command %q finished before it locked %s (pid %d)", line, r.base(), p.pid)
		return nil
	case <-r.ctx.Done():
		_ = r.terminate(p)
		return errStopping
	default:
		_ = r.terminate(p)
		return r.holderError(p, fmt.Errorf("%q did not lock %s within %s", line, r.base(), r.env.ReadyTimeout))
	}
}

// groupHolder returns a lock on db held by a process of process group pg.
func groupHolder(db string, pg int) (holders.Holder, bool) {
	hs, err := holders.Lookup(db)
	if err != nil {
		return holders.Holder{}, false
	}
	for _, h := range hs {
		st, _ := proc.ReadStat(h.PID)
		if h.PID > 0 && (h.PID == pg || st.PGRP == pg) {
			return h, true
		}
	}
	return holders.Holder{}, false
}

// ShellWord returns s as one word of a `sh -c` command line: unchanged when it holds only
// characters that sh never interprets (so a template that quotes it, `"{db}"`, still works for
// ordinary paths), single-quoted otherwise (spaces, quotes, $, globs).
func ShellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = append(t.b[:0], t.b[len(t.b)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
