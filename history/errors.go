package history

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"lockbench/internal/exitcode"
	"lockbench/trace"
	"lockbench/vocab"
)

// InputError is a problem with what a command was given to read: a path that is not a run
// directory (errors.Is(err, ErrNotRunDir)), a manifest that cannot be read, or a history line
// that is not a trial's record (a *CorruptError). It is bad input, exit code 2; its message
// names the path, and the file and line where there is one.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

// ExitCode is exitcode.Usage: the input was bad, nothing was changed.
func (e *InputError) ExitCode() exitcode.Code { return exitcode.Usage }

func inputErr(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// ErrNotRunDir is matched (errors.Is) by the errors about a path that is not a run directory (a
// directory with manifest.json), nor, where folders are accepted, a folder of them.
var ErrNotRunDir = errors.New("not a run directory")

// notRunDir is an ErrNotRunDir with its own words.
type notRunDir string

func (e notRunDir) Error() string        { return string(e) }
func (e notRunDir) Is(target error) bool { return target == ErrNotRunDir }

func notRunDirf(format string, args ...any) error {
	return &InputError{Err: notRunDir(fmt.Sprintf(format, args...))}
}

// MaxSeconds bounds every timing a history may hold (a year): a larger figure is a corrupt
// line, not a measurement, and would overflow the statistics.
const MaxSeconds = 365 * 24 * 3600

// ErrCorrupt is matched (errors.Is) by every error about a trial that cannot be a trial's
// record: an ok trial without its timings, a trial without a cell, or a timing that is
// negative, not finite or absurdly large.
var ErrCorrupt = errors.New("corrupt history")

// CorruptError is a trial that cannot be a trial's record. It is bad input (exit code 2).
type CorruptError struct {
	// File and Line locate the line (Line 0 when the trial was not read from a file; File is
	// then the run's name).
	File string
	Line int
	// Trial names the trial (cell #n) when the line could be decoded.
	Trial string
	// Msg says what is wrong.
	Msg string
}

// Error returns "file:line: corrupt trial cell #n: msg; repair or delete the line".
func (e *CorruptError) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	what := "corrupt trial"
	if e.Trial != "" {
		what += " " + e.Trial
	}
	return fmt.Sprintf("%s: %s: %s; repair or delete the line", where, what, e.Msg)
}

// Is makes a CorruptError match ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// ExitCode is exitcode.Usage: a corrupt history is bad input, not a harness failure.
func (e *CorruptError) ExitCode() exitcode.Code { return exitcode.Usage }

// Check returns a *CorruptError when the trial holds a timing no trial can measure (see
// checkTiming); source names where the trial came from (a run's directory or ID).
func (t Trial) Check(source string) error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"wall_s", t.WallS}, {"sql_s", t.SQLS}, {"overhead_s", t.OverheadS}} {
		if msg := checkTiming(f.name, f.v); msg != "" {
			return &CorruptError{File: source, Trial: t.name(), Msg: msg}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(t.OverheadByKind)) {
		if msg := checkTiming("overhead_by_kind."+string(k), t.OverheadByKind[k]); msg != "" {
			return &CorruptError{File: source, Trial: t.name(), Msg: msg}
		}
	}
	return nil
}

// name names the trial in messages: "cell #n".
func (t Trial) name() string { return fmt.Sprintf("%s #%d", t.Cell, t.Trial) }

// checkTiming returns what is wrong with a timing field's value, or "". Wall and sql times
// are from 0 to MaxSeconds; overhead (wall − sql) and its parts may be slightly negative from
// rounding, so only their size is bounded.
func checkTiming(field string, v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprintf("%s is %v, not a number of seconds", field, v)
	case (field == "wall_s" || field == "sql_s") && v < 0:
		return fmt.Sprintf("%s %g is negative", field, v)
	case math.Abs(v) > MaxSeconds:
		return fmt.Sprintf("%s %g is more than a year (%d s)", field, v, MaxSeconds)
	}
	return ""
}

// checkLine checks the timings of a decoded history line: an ok trial must have wall_s, sql_s
// and overhead_s (a missing or null one would enter the statistics as 0 s), and every timing
// present must pass checkTiming.
func checkLine(file string, line int, t Trial, wall, sql, overhead *float64, byKind map[trace.Kind]*float64) error {
	corrupt := func(format string, args ...any) error {
		return &CorruptError{File: file, Line: line, Trial: t.name(), Msg: fmt.Sprintf(format, args...)}
	}
	if t.Cell == "" {
		return &CorruptError{File: file, Line: line, Msg: "no cell: the line is not a trial's record"}
	}
	for _, f := range []struct {
		name string
		v    *float64
	}{{"wall_s", wall}, {"sql_s", sql}, {"overhead_s", overhead}} {
		if f.v == nil {
			if t.Outcome.Kind == vocab.OK {
				return corrupt("an ok trial without %s (missing or null), which the timing statistics need", f.name)
			}
			continue
		}
		if msg := checkTiming(f.name, *f.v); msg != "" {
			return corrupt("%s", msg)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(byKind)) {
		if v := byKind[k]; v != nil {
			if msg := checkTiming("overhead_by_kind."+string(k), *v); msg != "" {
				return corrupt("%s", msg)
			}
		}
	}
	return nil
}
