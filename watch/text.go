package watch

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"lockbench/holders"
	"lockbench/reports"
)

// secs formats seconds as every report does ("1.20s", "350ms").
func secs(v float64) string { return reports.Secs(v) }

// clock is the time of day events print.
const clock = "15:04:05.000"

// FormatEvent returns the one line a person reads for e, such as
//
//	15:04:05.120 +1.20s appeared: pid 4242 holds a read lock on /d/a.duckdb (/usr/bin/duckdb; duckdb -readonly /d/a.duckdb)
//	15:04:09.170 +5.25s gone: pid 4242 held a read lock on /d/a.duckdb for 4.05s (/usr/bin/duckdb; duckdb -readonly /d/a.duckdb)
//
// A lock outside this PID namespace is described as `lockbench who` describes it, with the
// file's device and inode.
func FormatEvent(e Event) string {
	at := e.Time.Format(clock) + " +" + secs(e.At)
	switch e.Kind {
	case Failed:
		return at + " failure: " + FormatFailure(*e.Failure)
	case Gone:
		if e.Lock.Waiting {
			return at + " gone: " + describeLock(*e.Lock, "waited for", " for "+secs(e.HeldS))
		}
		return at + " gone: " + describeLock(*e.Lock, "held", " for "+secs(e.HeldS))
	}
	if e.Lock.Waiting {
		return at + " appeared: " + describeLock(*e.Lock, "waits for", "")
	}
	return at + " appeared: " + describeLock(*e.Lock, "holds", "")
}

// describeLock describes l with verb ("holds" or "held") and what follows the file.
func describeLock(l Lock, verb, after string) string {
	if l.OutsideNamespace {
		readers := ""
		if l.Mode == holders.ModeRead {
			readers = " (one reader shown; there may be more)"
		}
		return fmt.Sprintf("a process outside this PID namespace %s a %s lock%s on %s%s (device %s, inode %d; F_GETLK says PID 0, /proc/locks here does not list it; run watch on the host to name it)",
			verb, l.Mode, readers, l.File, after, l.Device, l.Inode)
	}
	who := "pid " + strconv.Itoa(l.PID)
	if l.PID < 0 {
		who = "an open file description"
	}
	s := fmt.Sprintf("%s %s a %s lock on %s%s", who, verb, l.Mode, l.File, after)
	if p := program(l.Holder); p != "" {
		s += " (" + p + ")"
	}
	if l.Own {
		s += " [the watched command]"
	}
	return s
}

// program is a holder's executable and command line, as far as they are known.
func program(h Holder) string {
	switch {
	case h.Exe != "" && h.Cmdline != "":
		return h.Exe + "; " + h.Cmdline
	case h.Exe != "":
		return h.Exe
	}
	return h.Cmdline
}

// FormatFailure describes a failure and its holder in one line, such as
//
//	"IO Error: Could not set lock on file ...": held by pid 4242 (/usr/bin/duckdb; duckdb ...), which had held it for 3.20s and held it 4 times during the watch
func FormatFailure(f Failure) string {
	var b strings.Builder
	b.WriteString(shortMessage(f.Outcome.Message))
	if f.Count > 1 {
		fmt.Fprintf(&b, " (×%d)", f.Count)
	}
	switch {
	case f.Lane >= 0 && f.Holder != nil && f.Holder.OutsideNamespace:
		fmt.Fprintf(&b, "; held by a process outside this PID namespace, which had held it for %s and held the files %s during the watch (run watch on the host to name it)",
			heldFor(f), times(f.TimesHeld))
	case f.Lane >= 0 && f.Holder != nil:
		fmt.Fprintf(&b, "; held by pid %d", f.Holder.PID)
		if p := program(*f.Holder); p != "" {
			b.WriteString(" (" + p + ")")
		}
		fmt.Fprintf(&b, ", which had held it for %s and held the files %s during the watch", heldFor(f), times(f.TimesHeld))
	default:
		if f.Holder != nil && f.Holder.PID > 0 {
			fmt.Fprintf(&b, "; DuckDB named pid %d", f.Holder.PID)
			if p := program(*f.Holder); p != "" {
				b.WriteString(" (" + p + ")")
			}
		}
		if f.Note != "" {
			b.WriteString("; " + f.Note)
		}
	}
	return b.String()
}

// heldFor is how long a failure's holder had held the file: "3.20s", or "at least 3.20s (since
// before the watch began)".
func heldFor(f Failure) string {
	if f.HeldBefore {
		return "at least " + secs(f.HeldForS) + " (since before the watch began)"
	}
	return secs(f.HeldForS)
}

// shortMessage is DuckDB's lock error without the advice and the link that follow its first
// sentence (the JSON and HTML timelines keep it whole).
func shortMessage(m string) string {
	for _, tail := range []string{" However, you would be able", " See also "} {
		if i := strings.Index(m, tail); i > 0 {
			m = m[:i]
		}
	}
	return strings.TrimSuffix(m, ".")
}

// times says how many times, in words for one and two.
func times(n int) string {
	switch n {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return strconv.Itoa(n) + " times"
}

// maxHoldsShown is how many holds per holder the text summary lists.
const maxHoldsShown = 8

// WriteSummary writes the end of a watch for a person: what was watched and how closely, then
// per holder its PIDs, program, lock modes, how many times it held the files, for how long in
// all, how many times it came back, and its holds; then the failures.
func WriteSummary(w io.Writer, tl *Timeline) error {
	ew := &errWriter{w: w}
	files := strings.Join(tl.Files, ", ")
	ew.printf("watched %s (and .wal) for %s, sampling every %s (%d samples, longest gap %s): a hold shorter than %s may be missed\n",
		files, secs(tl.DurationS), secs(tl.IntervalS), tl.Samples, secs(tl.MaxGapS), secs(tl.IntervalS))
	for _, n := range tl.Notes {
		ew.printf("note: %s\n", n)
	}
	if tl.Command != nil {
		c := tl.Command
		how := "exited with status " + strconv.Itoa(c.ExitCode)
		if c.Signal != "" {
			how = "was ended by " + c.Signal
		}
		if c.Interrupted {
			how += " (stopped by the watch on Ctrl-C)"
		}
		ew.printf("command: %s (pid %d) %s\n", strings.Join(c.Args, " "), c.PID, how)
	}
	if len(tl.Lanes) == 0 {
		ew.printf("no holder seen\n")
	}
	for _, ln := range tl.Lanes {
		who := ln.Label
		if !ln.Own && !ln.OutsideNamespace {
			who = pidList(ln.PIDs)
			if p := program(Holder{Exe: ln.Exe, Cmdline: ln.Cmdline}); p != "" {
				who += " (" + p + ")"
			}
		}
		back := "never came back"
		if ln.Returns > 0 {
			back = "came back " + times(ln.Returns)
		}
		ew.printf("%s: %s lock, held the files %s for %s in all, %s\n",
			who, strings.Join(ln.Modes, " and "), times(len(ln.Holds)), secs(ln.HeldS), back)
		var spans []string
		for i, h := range ln.Holds {
			if i == maxHoldsShown {
				spans = append(spans, fmt.Sprintf("and %d more", len(ln.Holds)-maxHoldsShown))
				break
			}
			spans = append(spans, spanText(h))
		}
		ew.printf("  %s\n", strings.Join(spans, ", "))
	}
	for _, f := range tl.Failures {
		ew.printf("failure at +%s: %s\n", secs(f.At), FormatFailure(f))
	}
	return ew.err
}

// spanText is a hold as "+1.20s–+5.25s (4.05s)", ending in "…" when it was still held, and
// beginning "before the watch" when the first sample saw it.
func spanText(h Span) string {
	if h.Before {
		if h.StillHeld {
			return fmt.Sprintf("before the watch–… (more than %s, still held)", secs(h.EndS))
		}
		return fmt.Sprintf("before the watch–+%s (more than %s)", secs(h.EndS), secs(h.EndS))
	}
	if h.StillHeld {
		return fmt.Sprintf("+%s–… (%s, still held)", secs(h.StartS), secs(h.EndS-h.StartS))
	}
	return fmt.Sprintf("+%s–+%s (%s)", secs(h.StartS), secs(h.EndS), secs(h.EndS-h.StartS))
}

// pidList is "pid 4242" or "pids 4242, 4250 and 4311".
func pidList(pids []int) string {
	if len(pids) == 1 {
		return "pid " + strconv.Itoa(pids[0])
	}
	s := make([]string, len(pids))
	for i, p := range pids {
		s[i] = strconv.Itoa(p)
	}
	if len(s) > 6 {
		return fmt.Sprintf("pids %s … %s (%d processes)", strings.Join(s[:3], ", "), s[len(s)-1], len(s))
	}
	return "pids " + strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// JSONEvent is one line of `watch --json`: an Event, the start of the watch (Kind "start",
// with the files and the interval), or its end (Kind "end", with the whole Timeline).
type JSONEvent struct {
	Event
	Files     []string  `json:"files,omitempty"`
	IntervalS float64   `json:"interval_s,omitempty"`
	Timeline  *Timeline `json:"timeline,omitempty"`
}

// Kinds of JSONEvent besides those of Event.
const (
	// Started opens a --json stream.
	Started = "start"
	// Ended closes it, with the Timeline.
	Ended = "end"
)

// WriteJSONLine writes v as one line of JSON (NDJSON).
func WriteJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteJSON writes tl as indented JSON.
func WriteJSON(w io.Writer, tl *Timeline) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(tl)
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
