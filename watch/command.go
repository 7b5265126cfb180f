package watch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"lockbench/internal/crash"
	"lockbench/internal/exitcode"
	"lockbench/internal/proc"
)

// DefaultGrace is how long RunCommand lets a command end after SIGINT before it kills the
// command's process group.
const DefaultGrace = 5 * time.Second

// CommandOptions configures RunCommand.
type CommandOptions struct {
	// Args are the command and its arguments; Args[0] is looked up in PATH.
	Args []string
	// Stdout and Stderr receive the command's output as it comes (nil discards it). The
	// command's standard input is empty.
	Stdout, Stderr io.Writer
	// Started, when set, is called with the command's PID as soon as it runs.
	Started func(pid int)
	// OnLine, when set, receives every line the command writes to stdout or stderr (without
	// its newline) with the time it arrived, after the line has been passed on. Calls may come
	// from two goroutines at once.
	OnLine func(at time.Time, line string)
	// Grace is how long the command may take to end after SIGINT once ctx ends, before its
	// process group is killed; zero means DefaultGrace.
	Grace time.Duration
}

// RunCommand runs a command as the leader of a process group of its own, with a parent-death
// signal (internal/proc), passes its output through, and waits for it. When ctx ends first
// (Ctrl-C), it sends SIGINT to the whole group, and SIGKILL after Grace. Once the command has
// ended, whatever it left running in its group is killed too. The result says how it ended;
// the error is only for a command that could not start or be waited for.
func RunCommand(ctx context.Context, o CommandOptions) (Command, error) {
	res := Command{Args: o.Args}
	if len(o.Args) == 0 {
		return res, errors.New("watch: no command to run")
	}
	if o.Grace <= 0 {
		o.Grace = DefaultGrace
	}
	cmd := exec.Command(o.Args[0], o.Args[1:]...)
	var taps []*lineTap
	for _, w := range []struct {
		dst *io.Writer
		to  io.Writer
	}{{&cmd.Stdout, o.Stdout}, {&cmd.Stderr, o.Stderr}} {
		to := w.to
		if to == nil {
			to = io.Discard
		}
		t := &lineTap{w: to, onLine: o.OnLine}
		taps = append(taps, t)
		*w.dst = t
	}
	// A grandchild that keeps the output open must not keep the watch waiting.
	cmd.WaitDelay = time.Second
	if err := proc.StartGroup(cmd); err != nil {
		// The command the user named cannot be started (not found, not executable): bad input.
		return res, exitcode.Usagef("watch: cannot run %s: %w", o.Args[0], err)
	}
	pid := cmd.Process.Pid
	res.PID = pid
	if o.Started != nil {
		o.Started(pid)
	}
	done := make(chan error, 1)
	crash.Go(func() { done <- cmd.Wait() })
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		res.Interrupted = true
		_ = proc.SignalGroup(pid, syscall.SIGINT)
		t := time.NewTimer(o.Grace)
		select {
		case err = <-done:
		case <-t.C:
			proc.KillGroup(pid)
			err = <-done
		}
		t.Stop()
	}
	proc.KillGroup(pid)
	for _, t := range taps {
		t.flush()
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			res.ExitCode, res.Signal = 128+int(ws.Signal()), unix.SignalName(ws.Signal())
		} else {
			res.ExitCode = ee.ExitCode()
		}
	case errors.Is(err, exec.ErrWaitDelay):
		// The command ended; something it started kept its output open and was killed.
		res.ExitCode = cmd.ProcessState.ExitCode()
	default:
		return res, fmt.Errorf("watch: wait for %s: %w", o.Args[0], err)
	}
	return res, nil
}

// maxLine is the longest line lineTap hands to OnLine; a longer one is handed on in pieces.
const maxLine = 64 << 10

// lineTap passes every write on to w at once and hands each complete line to onLine.
type lineTap struct {
	w      io.Writer
	onLine func(time.Time, string)
	mu     sync.Mutex
	buf    []byte
}

func (t *lineTap) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if t.onLine == nil {
		return n, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	t.buf = append(t.buf, p...)
	for {
		i := bytes.IndexByte(t.buf, '\n')
		if i < 0 {
			if len(t.buf) >= maxLine {
				t.onLine(now, string(t.buf))
				t.buf = t.buf[:0]
			}
			break
		}
		t.onLine(now, string(bytes.TrimSuffix(t.buf[:i], []byte("\r"))))
		t.buf = t.buf[i+1:]
	}
	if len(t.buf) == 0 {
		t.buf = nil
	}
	return n, err
}

// flush hands on a last line that had no newline.
func (t *lineTap) flush() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.onLine != nil && len(t.buf) > 0 {
		t.onLine(time.Now(), string(t.buf))
	}
	t.buf = nil
}
