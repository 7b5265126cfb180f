// Package watch records which processes hold locks on DuckDB files over time, and lines those
// holds up with the lock errors a command printed.
//
// A Sampler looks at the holders of each watched file and of its .wal every Interval (through
// lockbench/harness/holders: /proc/locks, and F_GETLK when Probe is set) and turns what it sees
// into intervals: a holder appears at the first sample that sees its lock and goes at the first
// sample that does not. Mark records a failure (a lock error) at a moment, and Timeline matches
// each failure with the holder that held the file then. A Timeline renders as text, JSON and
// HTML (an SVG lane per holder).
//
// Sampling cannot see a lock that is taken and released between two samples: a hold shorter
// than the interval may be missed, and every time is known to within one interval.
//
// The package never prints; `lockbench watch` is its command.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"lockbench/holders"
	"lockbench/internal/crash"
	"lockbench/internal/proc"
)

// DefaultInterval is the sampling interval when Options.Interval is zero.
const DefaultInterval = 50 * time.Millisecond

// MinInterval is the shortest interval New accepts: below it a sample costs more than the
// time between samples on a busy machine.
const MinInterval = time.Millisecond

// Event kinds.
const (
	// Appeared is a lock the previous sample did not see.
	Appeared = "appeared"
	// Gone is a lock the previous sample saw and this one does not.
	Gone = "gone"
	// Failed is a lock error marked with Mark.
	Failed = "failure"
)

// Options configures a Sampler.
type Options struct {
	// Files are the database files to watch; each one's .wal is watched too. A file that does
	// not exist (yet, or any more) has no holders.
	Files []string
	// Interval is the time between samples; zero means DefaultInterval.
	Interval time.Duration
	// Probe also asks the kernel with fcntl(F_GETLK) (holders.Inspect), which finds locks whose
	// owner is outside this PID namespace. It opens and closes the files, which drops every
	// POSIX lock the calling process holds on them: set it only in a process that has none of
	// the files open. Without it the Sampler only reads /proc.
	Probe bool
	// Own reports whether a process is one of the caller's own (see Descendants). It is asked
	// once per lock, when the lock appears; nil means no process is.
	Own func(pid int) bool
	// KeepOwn records the caller's own processes' locks too, marked Own. Without it they are
	// ignored: the timeline holds only the other holders.
	KeepOwn bool
	// Waiters also records the processes blocked waiting for a lock on a watched file
	// (holders.LocksAndWaiters), as locks marked Waiting: a wait is recorded from the first
	// sample that saw it to the first that did not, and a waiter that gets the lock goes and
	// appears again as a holder. In a Lane, a wait counts like a hold.
	Waiters bool
	// OnEvent, when set, receives every appearance, departure and failure as it is recorded.
	// Calls are serialised, in time order; OnEvent must not call the Sampler.
	OnEvent func(Event)
}

// Holder is a process that holds a lock on a watched file.
type Holder struct {
	// PID is the process as this PID namespace sees it: 0 for a process outside it, -1 for an
	// open file description lock, which has no owning process.
	PID int `json:"pid"`
	// Exe is the process's executable (the one DuckDB names in its lock error), read when the
	// lock appeared; empty when it could not be read.
	Exe string `json:"exe,omitempty"`
	// Cmdline is the process's command line, read when the lock appeared.
	Cmdline string `json:"cmdline,omitempty"`
	// OutsideNamespace marks a lock whose owner this PID namespace cannot see (F_GETLK says PID
	// 0 and /proc/locks does not list it): only watch or who run on the host can name it.
	OutsideNamespace bool `json:"outside_namespace,omitempty"`
	// Own marks one of the caller's own processes (Options.Own).
	Own bool `json:"own,omitempty"`
}

// Lock is one lock on one file, from the sample that first saw it to the first sample that did
// not see it. A sample's time is when it finished reading, so Start and End are never earlier
// than the true moments, and later by at most the time between two samples.
type Lock struct {
	Holder
	// File is the locked file: a watched database file or its .wal, as an absolute path.
	File string `json:"file"`
	// Mode is holders.ModeRead or holders.ModeWrite.
	Mode string `json:"mode"`
	// Waiting marks a process blocked waiting for the lock rather than holding it (only with
	// Options.Waiters).
	Waiting bool `json:"waiting,omitempty"`
	// Device and Inode identify the locked file as the host's /proc/locks lists it.
	Device string `json:"device,omitempty"`
	Inode  uint64 `json:"inode,omitempty"`
	// Start is the time of the first sample that saw the lock.
	Start time.Time `json:"start"`
	// End is the time of the first sample that no longer saw it, or the time the watch ended
	// for a lock still held (StillHeld). It is zero while the lock is held.
	End time.Time `json:"end,omitzero"`
	// StillHeld is true for a lock that was held when the watch ended.
	StillHeld bool `json:"still_held,omitempty"`
	// StartS and EndS are Start and End in seconds since the watch began.
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s,omitempty"`
}

// Held returns how long the lock was held, as the samples saw it (to within one interval each
// way); zero while it is held.
func (l Lock) Held() time.Duration {
	if l.End.IsZero() {
		return 0
	}
	return l.End.Sub(l.Start)
}

// Event is one thing a Sampler recorded.
type Event struct {
	// Kind is Appeared, Gone or Failed.
	Kind string `json:"event"`
	// Time is when it was recorded: the sample's time, or the failure's.
	Time time.Time `json:"time"`
	// At is Time in seconds since the watch began.
	At float64 `json:"t_s"`
	// Lock is the lock that appeared or went (nil for a failure). A gone lock has End set.
	*Lock
	// HeldS is how long a gone lock was held, in seconds.
	HeldS float64 `json:"held_s,omitempty"`
	// Failure is the failure that was marked.
	Failure *Failure `json:"failure,omitempty"`
}

// key identifies a lock across samples.
type key struct {
	file    string
	pid     int
	mode    string
	outside bool
	waiting bool
}

// Sampler records the intervals during which processes hold locks on a set of files. Its
// methods are safe for concurrent use.
type Sampler struct {
	opts  Options
	files []string // absolute

	mu       sync.Mutex
	begin    time.Time
	last     time.Time // the latest sample
	samples  int
	maxGap   time.Duration
	open     map[key]*Lock
	ignored  map[key]bool // the caller's own locks, not kept
	closed   []Lock
	failures []Failure
	notes    []string
	end      time.Time

	// Set by Start.
	cancel context.CancelFunc
	done   chan struct{}
	runErr error
}

// New returns a Sampler for opts; it starts sampling at Start or Sample.
func New(opts Options) (*Sampler, error) {
	if len(opts.Files) == 0 {
		return nil, errors.New("watch: no file to watch")
	}
	if opts.Interval == 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Interval < MinInterval {
		return nil, fmt.Errorf("watch: interval %s is shorter than %s", opts.Interval, MinInterval)
	}
	s := &Sampler{opts: opts, open: map[key]*Lock{}, ignored: map[key]bool{}}
	for _, f := range opts.Files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", f, err)
		}
		if !slices.Contains(s.files, abs) {
			s.files = append(s.files, abs)
		}
	}
	return s, nil
}

// Start returns a Sampler that samples opts.Files every opts.Interval in a goroutine of its
// own, from now until Stop (or until ctx ends). It is the usual way to watch a file while
// something else runs:
//
//	s, err := watch.Start(ctx, watch.Options{Files: []string{db}, Own: watch.Descendants(os.Getpid())})
//	...
//	tl, err := s.Stop() // the other processes' locks on db and db.wal while it ran
func Start(ctx context.Context, opts Options) (*Sampler, error) {
	s, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := s.Sample(); err != nil {
		return nil, err
	}
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	crash.Go(func() { s.loop(ctx) })
	return s, nil
}

// loop samples every interval until ctx ends or a sample fails.
func (s *Sampler) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Sample(); err != nil {
				s.mu.Lock()
				s.runErr = err
				s.mu.Unlock()
				return
			}
		}
	}
}

// Stop ends a Sampler made by Start (a Sampler made by New only stops recording), closes the
// locks still held (StillHeld) and returns the timeline with its failures matched. The error
// is the sample that ended sampling early, if one failed. Stop may be called more than once.
func (s *Sampler) Stop() (*Timeline, error) {
	if s.cancel != nil {
		s.cancel()
		<-s.done
	}
	s.mu.Lock()
	if s.end.IsZero() {
		s.end = time.Now()
		if s.begin.IsZero() {
			s.begin = s.end
		}
		for k, l := range s.open {
			l.End, l.StillHeld, l.EndS = s.end, true, s.since(s.end)
			s.closed = append(s.closed, *l)
			delete(s.open, k)
		}
	}
	err := s.runErr
	s.mu.Unlock()
	return s.Timeline(), err
}

// Sample looks at the holders of every watched file once and records what changed since the
// previous sample. A file that does not exist has no holders; an F_GETLK probe that fails is
// noted in the timeline. It returns an error only when the holders cannot be read at all
// (/proc/locks is unreadable).
func (s *Sampler) Sample() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sample()
}

func (s *Sampler) sample() error {
	if !s.end.IsZero() {
		return nil
	}
	var seen []holders.Holder
	for _, f := range s.files {
		hs, err := s.read(f)
		var perr *holders.ProbeError
		switch {
		case err == nil:
		case errors.As(err, &perr):
			s.note(err.Error())
		case errors.Is(err, fs.ErrNotExist):
			s.note(f + " did not exist at times: it had no holders then")
		default:
			return fmt.Errorf("watch: %w", err)
		}
		seen = append(seen, hs...)
	}
	// The sample's time is when the reading ended: a lock it sees was taken before, a lock it
	// misses was released before, so an event is never earlier than what it records.
	now := time.Now()
	if s.begin.IsZero() {
		s.begin = now
	} else if gap := now.Sub(s.last); gap > s.maxGap {
		s.maxGap = gap
	}
	s.last = now
	s.samples++

	present := make(map[key]bool, len(seen))
	for _, h := range seen {
		k := key{file: h.File, pid: h.PID, mode: h.Mode, outside: h.OutsideNamespace, waiting: h.Waiting}
		present[k] = true
		if s.open[k] != nil || s.ignored[k] {
			continue
		}
		own := s.opts.Own != nil && h.PID > 0 && s.opts.Own(h.PID)
		if own && !s.opts.KeepOwn {
			s.ignored[k] = true
			continue
		}
		l := &Lock{
			Holder: Holder{PID: h.PID, Exe: proc.Exe(h.PID), Cmdline: proc.Cmdline(h.PID), OutsideNamespace: h.OutsideNamespace, Own: own},
			File:   h.File, Mode: h.Mode, Waiting: h.Waiting, Device: h.Device, Inode: h.Inode,
			Start: now, StartS: s.since(now),
		}
		s.open[k] = l
		s.emit(Event{Kind: Appeared, Time: now, At: l.StartS, Lock: ptr(*l)})
	}
	for k := range s.ignored {
		if !present[k] {
			delete(s.ignored, k)
		}
	}
	var gone []key
	for k := range s.open {
		if !present[k] {
			gone = append(gone, k)
		}
	}
	// Departures in a stable order: by when they appeared, then by file and PID.
	slices.SortFunc(gone, func(a, b key) int {
		la, lb := s.open[a], s.open[b]
		if c := la.Start.Compare(lb.Start); c != 0 {
			return c
		}
		if c := strings.Compare(a.file, b.file); c != 0 {
			return c
		}
		return a.pid - b.pid
	})
	for _, k := range gone {
		l := s.open[k]
		delete(s.open, k)
		l.End, l.EndS = now, s.since(now)
		s.closed = append(s.closed, *l)
		s.emit(Event{Kind: Gone, Time: now, At: l.EndS, Lock: ptr(*l), HeldS: l.Held().Seconds()})
	}
	return nil
}

// read returns the holders of one database file and its .wal, without their executables and
// command lines: the sample looks those up once per new lock.
//
// With Probe, F_GETLK comes first: when it finds no lock on either file, nobody holds one
// (a write-lock probe conflicts with every POSIX lock of another process, and this process
// holds none), and the costly /proc/locks (a tenth of a millisecond or more to generate) is
// not read. Most of the time a watched file is not held.
func (s *Sampler) read(file string) ([]holders.Holder, error) {
	if s.opts.Probe && !probeLocked(file) {
		return nil, nil // no lock, so nobody waits for one either
	}
	if s.opts.Waiters {
		return holders.LocksAndWaiters(file, s.opts.Probe)
	}
	return holders.Locks(file, s.opts.Probe)
}

// probeLocked reports whether F_GETLK finds a lock on file or its .wal, or could not tell (then
// holders.Locks reports why).
func probeLocked(file string) bool {
	for i, p := range []string{file, file + ".wal"} {
		c, err := holders.Probe(p)
		switch {
		case err != nil && i > 0 && errors.Is(err, fs.ErrNotExist):
		case err != nil || c.Locked:
			return true
		}
	}
	return false
}

// since returns t in seconds since the first sample.
func (s *Sampler) since(t time.Time) float64 {
	if s.begin.IsZero() {
		return 0
	}
	return t.Sub(s.begin).Seconds()
}

// note records a remark about the watch once.
func (s *Sampler) note(n string) {
	if !slices.Contains(s.notes, n) {
		s.notes = append(s.notes, n)
	}
}

func (s *Sampler) emit(e Event) {
	if s.opts.OnEvent != nil {
		s.opts.OnEvent(e)
	}
}

func ptr[T any](v T) *T { return &v }

// Descendants returns an Options.Own that is true for the processes roots, every process
// descended from one of them (by the parent PIDs in /proc), and every member of a process group
// led by one of them: the processes a program started, such as `lockbench watch -- CMD` for
// CMD, or the trial runner for os.Getpid(). A process that was re-parented to init after its
// parent ended, and left its group, no longer counts.
func Descendants(roots ...int) func(pid int) bool {
	return func(pid int) bool {
		for p, depth := pid, 0; p > 1 && depth < 128; depth++ {
			if slices.Contains(roots, p) {
				return true
			}
			st, ok := proc.ReadStat(p)
			if !ok {
				return false
			}
			if p == pid && slices.Contains(roots, st.PGRP) {
				return true
			}
			p = st.PPID
		}
		return false
	}
}
