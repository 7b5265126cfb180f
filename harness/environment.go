package harness

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/outcome"
	"lockbench/vocab"
)

// This file keeps the machine's failures apart from the code's: a full disk, a read-only or
// vanished run directory, too many open files, memory exhausted, an OOM kill. Such a trial is
// recorded with kind environment, but it is not a result: a resumed run runs its slot again,
// reports leave it out, and the runner stops when the machine is plainly the problem (see
// envGuard) and exits 3, so that no verdict is reached on a broken machine.

// EnvironmentError is the error of a run that the machine, not the code under test, kept from
// finishing: Execute stopped scheduling after environment failures (Stopped), or finished its
// schedule with slots whose trials failed for environmental reasons. Its exit code is 3
// (unknown) and it wraps ErrInterrupted: what was recorded is kept and reported, and `bench
// --resume` runs the missing trials again once the machine is fixed.
type EnvironmentError struct {
	// Outcome is the last environment failure, with its file system facts.
	Outcome outcome.Outcome
	// Failed counts the trials of this session that failed for environmental reasons.
	Failed int
	// Done and Planned are the trials with a result and the trials in the run's schedule.
	Done, Planned int
	// Dir is the run directory.
	Dir string
	// Stopped is true when the runner stopped scheduling (rather than finishing the schedule).
	Stopped bool
}

func (e *EnvironmentError) Error() string {
	what := fmt.Sprintf("%s/%s", e.Outcome.Kind, e.Outcome.Sub)
	if e.Outcome.Message != "" {
		what += " (" + e.Outcome.Message + ")"
	}
	if e.Outcome.Sub == vocab.SubVanished {
		return fmt.Sprintf("the machine failed, not the code: %s; the run stopped after %d of %d trials, and what it recorded went with its directory: start the run again", what, e.Done, e.Planned)
	}
	verb := "finished its schedule with"
	if e.Stopped {
		verb = "stopped after"
	}
	failed := fmt.Sprintf("%d failed for environmental reasons and are not results", e.Failed)
	if e.Failed == 1 {
		failed = "1 failed for environmental reasons and is not a result"
	}
	return fmt.Sprintf("the machine failed, not the code: %s; the run %s %d of %d trials (%s; no verdict is reached): resume with: lockbench bench --resume %s",
		what, verb, e.Done, e.Planned, failed, e.Dir)
}

// Unwrap makes an EnvironmentError an interrupted run.
func (e *EnvironmentError) Unwrap() error { return ErrInterrupted }

// ExitCode is 3 (unknown): nothing about the code was decided.
func (e *EnvironmentError) ExitCode() exitcode.Code { return exitcode.Unknown }

// Hint says what to do about the machine.
func (e *EnvironmentError) Hint() string {
	if e.Outcome.Sub == vocab.SubVanished {
		return "something removed the run directory (or unmounted its file system) while the run was writing it: keep runs where nothing cleans up behind a running bench, then run it again."
	}
	o := e.Outcome
	if strings.HasPrefix(o.Path, "$TRIAL_DIR") {
		// The trial's directory is gone: the run's is where the space or permission is missing.
		o.Path = e.Dir
	}
	return outcome.Advice(o, "")
}

// envGuard decides when environment failures stop a run and notices a run directory that
// vanished. A full disk, a read-only file system and a vanished run directory stop the run at
// once (no later trial can succeed); any other environment failure (permission, too many open
// files, out of memory, an OOM kill) stops it the second time the same one happens, since once
// may be a passing shortage.
type envGuard struct {
	dir     string
	history os.FileInfo // the history file as opened, to notice that it was removed
	seen    map[vocab.Sub]int
	failed  int // environment failures, recorded or not
	results int // trials recorded with a result
	last    outcome.Outcome
	stopped bool
}

func newEnvGuard(dir string) *envGuard {
	g := &envGuard{dir: dir, seen: map[vocab.Sub]int{}}
	g.history, _ = os.Stat(filepath.Join(dir, history.HistoryFile))
	return g
}

// vanished returns an environment failure (vanished) when the run directory or its history is
// no longer the one the run opened: removed, or its file system unmounted.
func (g *envGuard) vanished() (outcome.Outcome, bool) {
	p := filepath.Join(g.dir, history.HistoryFile)
	st, err := os.Stat(p)
	if err == nil && (g.history == nil || os.SameFile(st, g.history)) {
		return outcome.Outcome{}, false
	}
	o := outcome.Outcome{Kind: vocab.Environment, Sub: vocab.SubVanished, Path: g.dir,
		Message: fmt.Sprintf("the run directory %s disappeared during the run (removed, or its file system unmounted)", g.dir)}
	outcome.EnrichEnvironment(&o, g.dir)
	return o, true
}

// observe counts o and reports whether the run must stop after it.
func (g *envGuard) observe(o outcome.Outcome) bool {
	if o.Kind.Result() {
		return false
	}
	g.failed++
	g.last = o
	g.seen[o.Sub]++
	switch o.Sub {
	case vocab.SubDiskFull, vocab.SubReadOnlyFS, vocab.SubVanished:
		g.stopped = true
	default:
		g.stopped = g.seen[o.Sub] >= 2
	}
	return g.stopped
}

// record checks that the run directory is still there, appends t to the history and decides
// whether the run goes on. It returns whether t was recorded, and the error that ends the run:
// nil to go on, an *EnvironmentError (finished by Execute) when the machine failed, any other
// error as it is.
func (g *envGuard) record(app *history.Appender, t history.Trial) (bool, error) {
	if o, gone := g.vanished(); gone {
		g.observe(o)
		return false, errEnvStop
	}
	if err := app.Append(t); err != nil {
		o := outcome.Classify(err)
		if o.Kind != vocab.Environment {
			return false, err
		}
		outcome.EnrichEnvironment(&o, g.dir)
		// The runner cannot record: no later trial can be kept either.
		g.observe(o)
		g.stopped = true
		return false, errEnvStop
	}
	if t.Outcome.Kind.Result() {
		g.results++
	}
	if g.observe(t.Outcome) {
		return true, errEnvStop
	}
	return true, nil
}

// errEnvStop is record's signal that environment failures stop the run; Execute turns it into
// an *EnvironmentError with the run's counts.
var errEnvStop = errors.New("environment failures stop the run")

// result returns the error of a run that ended with the results it recorded and skipped (those
// of an earlier session) of planned trials: an *EnvironmentError when environment failures
// stopped it, or left slots without a result in a run that was not interrupted; else nil (the
// caller decides about an interrupted run).
func (g *envGuard) result(skipped, planned int, interrupted bool) error {
	done := g.results + skipped
	if g.failed == 0 || (!g.stopped && (interrupted || done >= planned)) {
		return nil
	}
	return &EnvironmentError{Outcome: g.last, Failed: g.failed, Done: done, Planned: planned, Dir: g.dir, Stopped: g.stopped}
}

// harnessFailure is the outcome of the runner's own work for a trial that failed (what: create
// its directory, start its process): an environment failure, with the facts of the file system
// of dir, when the machine caused it; else an error.
func harnessFailure(what string, err error, dir string) outcome.Outcome {
	err = fmt.Errorf("%s: %w", what, err)
	if o := outcome.Classify(err); o.Kind == vocab.Environment {
		outcome.EnrichEnvironment(&o, dir)
		return o
	}
	return outcome.Outcome{Kind: vocab.Error, Message: err.Error()}
}

// trialMachine is what the runner knows about the machine before a trial starts: the kernel's
// OOM-kill count of its memory cgroup.
type trialMachine struct {
	oomKills int
	oomKnown bool
}

func beforeTrial() trialMachine {
	n, ok := outcome.OOMKills()
	return trialMachine{oomKills: n, oomKnown: ok}
}

// settle names a trial's environment failure: a SIGKILL while the OOM-kill count rose is an
// OOM kill, and an environment failure gets the facts of its file system (of dir when it names
// no path) now, while the trial's files still take their space.
func (m trialMachine) settle(o *outcome.Outcome, dir string) {
	outcome.OOMKilled(o, m.oomKills, m.oomKnown)
	outcome.EnrichEnvironment(o, dir)
}

// envInStderr turns a trial process that ended without a result into an environment failure
// when what it printed says the machine failed it (a Go runtime out of memory, too many open
// files, a full disk).
func envInStderr(o *outcome.Outcome, stderr string) {
	if strings.TrimSpace(stderr) == "" {
		return
	}
	if e := outcome.ClassifyText(stderr); e.Kind == vocab.Environment {
		e.Message = o.Message
		*o = e
	}
}

// openHistory opens the run's history for appending. A run directory that cannot be written
// (read-only, not ours, full) is bad input, found before any trial runs.
func openHistory(dir string) (*history.Appender, error) {
	app, err := history.OpenAppender(dir)
	if err != nil {
		return nil, writableErr(dir, err)
	}
	return app, nil
}

// writableErr is the error of a run directory that cannot be written at the start of a run:
// bad input (exit 2) with the machine's advice when the machine said why, else err itself.
func writableErr(dir string, err error) error {
	if exitcode.Of(err) == exitcode.Usage {
		return err
	}
	o := outcome.Classify(err)
	if o.Kind != vocab.Environment {
		return err
	}
	outcome.EnrichEnvironment(&o, dir)
	return exitcode.WithHint(exitcode.Usagef("the run directory %s cannot be written, so no trial was run: %w", dir, err), outcome.Advice(o, ""))
}
