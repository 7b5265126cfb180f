package watch

import (
	"cmp"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"lockbench/outcome"
	"lockbench/release"
	"lockbench/vocab"
)

// Timeline is what a watch recorded: every lock, grouped in lanes (one per holder), and every
// failure matched with the holder of the file at that moment.
type Timeline struct {
	// Files are the watched database files (each with its .wal).
	Files []string `json:"files"`
	// IntervalS is the sampling interval in seconds: a hold shorter than it may be missed.
	IntervalS float64 `json:"interval_s"`
	// Probe says whether F_GETLK was asked too (holders outside this PID namespace are seen).
	Probe bool `json:"probe"`
	// Start and End are the first sample's time and the end of the watch (the latest sample
	// while it runs).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// DurationS is End − Start in seconds.
	DurationS float64 `json:"duration_s"`
	// Samples is how many samples were taken; MeanGapS and MaxGapS are the mean and longest
	// time between two of them, in seconds: a longest gap well above the interval means the
	// watch itself was kept from running (a busy machine) and could miss longer holds.
	Samples  int     `json:"samples"`
	MeanGapS float64 `json:"mean_gap_s"`
	MaxGapS  float64 `json:"max_gap_s"`
	// Lanes are the holders, in the order they first appeared.
	Lanes []Lane `json:"holders"`
	// Failures are the marked failures, in time order.
	Failures []Failure `json:"failures"`
	// Command is the command watched with `watch --db FILE -- COMMAND`, when there is one.
	Command *Command `json:"command,omitempty"`
	// Notes are remarks about the watch itself: a file that did not exist, a probe that failed.
	Notes []string `json:"notes,omitempty"`
}

// Lane is one holder over the whole watch: one program (the same executable and command line,
// whatever its PIDs), the processes outside this PID namespace, or the caller's own processes.
type Lane struct {
	// Label names the holder in a few words, such as "pid 4242 duckdb".
	Label string `json:"label"`
	// Exe and Cmdline are the program's, when they could be read.
	Exe     string `json:"exe,omitempty"`
	Cmdline string `json:"cmdline,omitempty"`
	// PIDs are the processes of this holder that held a lock, in the order they appeared.
	PIDs []int `json:"pids"`
	// OutsideNamespace is the lane of locks whose owners this PID namespace cannot see.
	OutsideNamespace bool `json:"outside_namespace,omitempty"`
	// Own is the lane of the caller's own processes (the watched command and its children).
	Own bool `json:"own,omitempty"`
	// Modes are the lock modes the holder took: read, write or both.
	Modes []string `json:"modes"`
	// Locks are its locks on every file, by start.
	Locks []Lock `json:"locks"`
	// Holds are the periods in which it held at least one watched file (the union of Locks).
	Holds []Span `json:"holds"`
	// HeldS is the total time of Holds, in seconds.
	HeldS float64 `json:"held_s"`
	// Returns is how many times it came back after letting go: len(Holds) − 1.
	Returns int `json:"returns"`
}

// Span is a period in seconds since the watch began.
type Span struct {
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s"`
	// Before is true for a hold the first sample saw: it began before the watch did.
	Before bool `json:"before_watch,omitempty"`
	// StillHeld is true for a hold that had not ended when the watch did.
	StillHeld bool `json:"still_held,omitempty"`
}

// Failure is a lock error at a moment of the watch, with the holder of the file then.
type Failure struct {
	// Time is when the error was seen, At the same in seconds since the watch began.
	Time time.Time `json:"time"`
	At   float64   `json:"t_s"`
	// Outcome is what the error said, as internal/outcome parses it: DuckDB's message, the
	// file, and the holder's PID and executable when DuckDB named them.
	Outcome outcome.Outcome `json:"outcome"`
	// Count is how many identical errors this one stands for (the same message within a
	// second, as a program that logs an error twice prints it).
	Count int `json:"count"`
	// Holder is the process that held the file at that moment: the one DuckDB named, as the
	// watch saw it, or (when DuckDB named nobody) another holder the watch saw then.
	Holder *Holder `json:"holder,omitempty"`
	// Lane is the holder's index in Timeline.Lanes, or -1 when the watch did not see it.
	Lane int `json:"lane"`
	// HeldForS is how long the holder had held the file at that moment, in seconds (to within
	// an interval); at least that long when HeldBefore says the hold began before the watch.
	HeldForS   float64 `json:"held_for_s"`
	HeldBefore bool    `json:"held_before_watch,omitempty"`
	// TimesHeld is how many separate times the holder held the files during the watch, and
	// HeldTotalS for how long in all.
	TimesHeld  int     `json:"times_held"`
	HeldTotalS float64 `json:"held_total_s"`
	// Note says why the holder could not be matched, when it could not.
	Note string `json:"note,omitempty"`
}

// Command is the command a watch ran, with how it ended.
type Command struct {
	Args []string `json:"args"`
	PID  int      `json:"pid"`
	// ExitCode is the command's exit status, or 128 + the signal that ended it.
	ExitCode int `json:"exit_code"`
	// Signal names the signal that ended it, if one did.
	Signal string `json:"signal,omitempty"`
	// Interrupted is true when the watch stopped the command (Ctrl-C).
	Interrupted bool `json:"interrupted,omitempty"`
}

// mergeWindow is how close two identical errors must be to count as one failure.
const mergeWindow = time.Second

// Mark records a lock error o seen at time at (usually now): the sampler first takes a sample,
// so that the holder of that moment is known, fills in the holder's command line from /proc
// while it still runs, and matches the holder. The same message again within a second only
// raises the previous failure's Count. It returns the failure as known so far; Timeline
// matches it again with everything the watch saw.
func (s *Sampler) Mark(at time.Time, o outcome.Outcome) Failure {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.end.IsZero() && !at.Before(s.last) {
		_ = s.sample() // an unreadable /proc/locks ends Start's loop, which reports it
	}
	outcome.Enrich(&o, release.Release{})
	if n := len(s.failures); n > 0 {
		p := &s.failures[n-1]
		if p.Outcome.Message == o.Message && at.Sub(p.Time) < mergeWindow && at.Sub(p.Time) >= 0 {
			p.Count++
			return *p
		}
	}
	f := Failure{Time: at, At: s.since(at), Outcome: o, Count: 1}
	tl := s.timeline()
	match(&f, tl)
	s.failures = append(s.failures, f)
	s.emit(Event{Kind: Failed, Time: at, At: f.At, Failure: &f})
	return f
}

// Timeline returns what the sampler has recorded so far, with every failure matched. Locks
// still held are shown as held until the latest sample.
func (s *Sampler) Timeline() *Timeline {
	s.mu.Lock()
	defer s.mu.Unlock()
	tl := s.timeline()
	for _, f := range s.failures {
		match(&f, tl)
		tl.Failures = append(tl.Failures, f)
	}
	return tl
}

// timeline builds the timeline of the locks recorded so far, without failures.
func (s *Sampler) timeline() *Timeline {
	end := s.end
	if end.IsZero() {
		end = s.last
	}
	tl := &Timeline{
		Files: slices.Clone(s.files), IntervalS: s.opts.Interval.Seconds(), Probe: s.opts.Probe,
		Start: s.begin, End: end, DurationS: end.Sub(s.begin).Seconds(),
		Samples: s.samples, MaxGapS: s.maxGap.Seconds(), Notes: slices.Clone(s.notes),
		Failures: []Failure{},
	}
	if s.samples > 1 {
		tl.MeanGapS = s.last.Sub(s.begin).Seconds() / float64(s.samples-1)
	}
	locks := slices.Clone(s.closed)
	for _, l := range s.open {
		l := *l
		l.End, l.EndS, l.StillHeld = end, s.since(end), true
		locks = append(locks, l)
	}
	tl.Lanes = lanes(locks)
	return tl
}

// laneKey groups locks into lanes: the caller's own processes, the processes outside this PID
// namespace, and otherwise one program (executable and command line), or one PID when neither
// could be read.
func laneKey(l Lock) string {
	switch {
	case l.Own:
		return "own"
	case l.OutsideNamespace:
		return "outside"
	case l.Exe != "" || l.Cmdline != "":
		return "prog\x00" + l.Exe + "\x00" + l.Cmdline
	}
	return "pid\x00" + strconv.Itoa(l.PID)
}

// lanes groups locks into lanes, in the order their holders first appeared.
func lanes(locks []Lock) []Lane {
	slices.SortStableFunc(locks, func(a, b Lock) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.File, b.File), cmp.Compare(a.PID, b.PID))
	})
	var out []Lane
	index := map[string]int{}
	for _, l := range locks {
		k := laneKey(l)
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, Lane{Exe: l.Exe, Cmdline: l.Cmdline, OutsideNamespace: l.OutsideNamespace, Own: l.Own, PIDs: []int{}})
		}
		ln := &out[i]
		ln.Locks = append(ln.Locks, l)
		if !slices.Contains(ln.PIDs, l.PID) {
			ln.PIDs = append(ln.PIDs, l.PID)
		}
		if !slices.Contains(ln.Modes, l.Mode) {
			ln.Modes = append(ln.Modes, l.Mode)
		}
	}
	for i := range out {
		ln := &out[i]
		slices.Sort(ln.Modes)
		ln.Holds = union(ln.Locks)
		for _, h := range ln.Holds {
			ln.HeldS += h.EndS - h.StartS
		}
		ln.Returns = max(0, len(ln.Holds)-1)
		ln.Label = laneLabel(*ln)
	}
	return out
}

// union returns the periods covered by locks (sorted by start), merging overlapping and
// touching ones: a writer's locks on the database and on its .wal are one hold.
func union(locks []Lock) []Span {
	var out []Span
	for _, l := range locks {
		if n := len(out); n > 0 && l.StartS <= out[n-1].EndS {
			if l.EndS > out[n-1].EndS {
				out[n-1].EndS, out[n-1].StillHeld = l.EndS, l.StillHeld
			} else if l.EndS == out[n-1].EndS {
				out[n-1].StillHeld = out[n-1].StillHeld || l.StillHeld
			}
			continue
		}
		out = append(out, Span{StartS: l.StartS, EndS: l.EndS, Before: l.StartS == 0, StillHeld: l.StillHeld})
	}
	return out
}

// laneLabel names a lane in a few words.
func laneLabel(ln Lane) string {
	switch {
	case ln.Own:
		return "the watched command"
	case ln.OutsideNamespace:
		return "outside this PID namespace"
	}
	prog := filepath.Base(ln.Exe)
	if ln.Exe == "" {
		prog = firstWord(ln.Cmdline)
	}
	if len(ln.PIDs) > 1 {
		return prog + " (" + strconv.Itoa(len(ln.PIDs)) + " processes)"
	}
	if prog == "" || prog == "." {
		return "pid " + strconv.Itoa(ln.PIDs[0])
	}
	return "pid " + strconv.Itoa(ln.PIDs[0]) + " " + prog
}

func firstWord(s string) string {
	for i, r := range s {
		if r == ' ' {
			return filepath.Base(s[:i])
		}
	}
	return filepath.Base(s)
}

// match finds, in tl, the holder of the file at the moment of failure f: a lock of the PID
// DuckDB named (a lock outside this PID namespace when it named PID 0; a holder other than the
// caller's own when it named none) that was held then, give or take one interval, preferring a
// lock on the file DuckDB named, then the lock taken last. It fills the failure's holder, lane
// and figures.
func match(f *Failure, tl *Timeline) {
	f.Lane, f.Holder, f.HeldForS, f.HeldBefore, f.TimesHeld, f.HeldTotalS, f.Note = -1, nil, 0, false, 0, 0, ""
	o := f.Outcome
	outside := o.HolderRole == vocab.RoleOutsideNamespace
	tol := tl.IntervalS
	type cand struct {
		lane int
		lock Lock
		file bool
	}
	var best *cand
	for li, ln := range tl.Lanes {
		for _, l := range ln.Locks {
			switch {
			case o.HolderPID > 0 && l.PID != o.HolderPID:
				continue
			case outside && !l.OutsideNamespace:
				continue
			case o.HolderPID <= 0 && !outside && l.Own:
				continue
			}
			if l.StartS > f.At+tol || l.EndS < f.At-tol {
				continue
			}
			c := cand{lane: li, lock: l, file: samePath(l.File, o.Path)}
			if best == nil || (c.file && !best.file) || (c.file == best.file && c.lock.StartS > best.lock.StartS) {
				best = &c
			}
		}
	}
	if best == nil {
		if o.HolderPID > 0 || o.HolderExe != "" {
			f.Holder = &Holder{PID: o.HolderPID, Exe: o.HolderExe, Cmdline: o.HolderCmdline}
		}
		who := "the holder"
		switch {
		case o.HolderPID > 0:
			who = "PID " + strconv.Itoa(o.HolderPID)
		case outside:
			who = "a holder outside this PID namespace"
		}
		f.Note = "the watch did not see " + who + " hold the file around then: it held it for less than the " +
			secs(tl.IntervalS) + " interval, between two samples"
		if outside && !tl.Probe {
			f.Note = "DuckDB named PID 0, a process outside this PID namespace, which only F_GETLK (which this watch did not use) or a watch on the host can see"
		}
		return
	}
	ln := tl.Lanes[best.lane]
	h := best.lock.Holder
	f.Holder, f.Lane = &h, best.lane
	f.TimesHeld, f.HeldTotalS = len(ln.Holds), ln.HeldS
	for _, sp := range ln.Holds {
		if sp.StartS <= best.lock.StartS && best.lock.StartS <= sp.EndS {
			f.HeldForS, f.HeldBefore = max(0, min(f.At, sp.EndS)-sp.StartS), sp.Before
			break
		}
	}
}

// samePath reports whether the watched file a is the file DuckDB named as b (which may be
// relative to the failing command's directory).
func samePath(a, b string) bool {
	if b == "" {
		return false
	}
	if filepath.IsAbs(b) {
		return a == filepath.Clean(b)
	}
	rel := filepath.Clean(b)
	return a == rel || len(a) > len(rel) && a[len(a)-len(rel)-1] == filepath.Separator && a[len(a)-len(rel):] == rel
}
