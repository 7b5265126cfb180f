package harness

import (
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"lockbench/history"
	"lockbench/internal/proc"
	"lockbench/outcome"
	"lockbench/vocab"
	"lockbench/watch"
)

// strangerWatch watches a trial's database file (and its .wal) while the trial runs, for
// Options.Watch: it samples the file's lock holders and waiters (package watch) and records
// the strangers, processes lockbench did not start, that held or waited for a lock on it. A
// stranger is the most common reason a trial fails when nothing in the code changed: a viewer,
// a notebook or a leftover process on the file.
//
// lockbench's own processes are the runner and everything descended from it (the trial, its
// workers, competitors and commands, by their parent PIDs), asked once per lock when it
// appears. A process that is gone by then cannot be told apart; it counts as lockbench's own,
// since its short-lived workers are by far the likeliest. A process that lockbench started and
// that outlived its parent (a daemon an exec command left behind) is a stranger: it no longer
// descends from the runner.
//
// The runner holds no lock on trial files and never opens them with DuckDB, so the watch may
// probe them with F_GETLK, which finds a holder in another PID namespace (a container sharing
// the run directory) that /proc/locks does not list.
type strangerWatch struct {
	s   *watch.Sampler
	dir string // the trial's directory
	err error  // why the watch could not start, or stopped early
}

// startStrangerWatch starts watching db every interval; it returns nil, a watch that records
// nothing, when interval is zero.
func startStrangerWatch(ctx context.Context, interval time.Duration, db string) *strangerWatch {
	if interval <= 0 {
		return nil
	}
	mine := watch.Descendants(os.Getpid())
	own := func(pid int) bool {
		if _, ok := proc.ReadStat(pid); !ok {
			return true
		}
		return mine(pid)
	}
	s, err := watch.Start(ctx, watch.Options{
		Files: []string{db}, Interval: interval, Probe: true, Waiters: true, Own: own, KeepOwn: true,
	})
	return &strangerWatch{s: s, dir: filepath.Dir(db), err: err}
}

// finish takes a last sample (a stranger still there when the trial ends is always seen), stops
// the watch and returns what it saw. The trial's outcome is res, or failure when the runner
// decided it; a stranger that its lock error named as the holder is marked Named. A nil watch
// returns nil.
func (w *strangerWatch) finish(res outcome.Outcome, failure *outcome.Outcome) *history.TrialWatch {
	if w == nil {
		return nil
	}
	o := res
	if failure != nil {
		o = *failure
	}
	if w.s == nil {
		return &history.TrialWatch{Note: "the watch could not start: " + w.err.Error()}
	}
	serr := w.s.Sample()
	tl, err := w.s.Stop()
	tw := &history.TrialWatch{IntervalS: tl.IntervalS, Samples: tl.Samples, MaxGapS: tl.MaxGapS}
	if err = cmp.Or(err, serr); err != nil {
		tw.Note = "the watch stopped early: " + err.Error()
	}
	for _, ln := range tl.Lanes {
		for _, l := range ln.Locks {
			if l.Own {
				tw.OwnLocks++
				continue
			}
			tw.Strangers = append(tw.Strangers, stranger(l, o, w.dir))
		}
	}
	slices.SortStableFunc(tw.Strangers, func(a, b history.Stranger) int {
		return cmp.Or(cmp.Compare(a.StartS, b.StartS), cmp.Compare(a.PID, b.PID), cmp.Compare(a.File, b.File))
	})
	return tw
}

// trialDirVar stands for the trial's directory in the records, which outlive it.
const trialDirVar = "$TRIAL_DIR"

// stranger is the record of a stranger's lock l in a trial whose outcome is o and whose
// directory is dir. The trial directory in its command line is written $TRIAL_DIR, as in the
// trial's messages, so that the same program reads the same in every trial.
func stranger(l watch.Lock, o outcome.Outcome, dir string) history.Stranger {
	named := o.Kind == vocab.LockConflict &&
		(o.HolderPID > 0 && l.PID == o.HolderPID || o.HolderRole == vocab.RoleOutsideNamespace && l.OutsideNamespace)
	names := []string{dir}
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dir {
		names = append(names, real)
	}
	cmdline := l.Cmdline
	for _, name := range names {
		cmdline = strings.ReplaceAll(cmdline, name, trialDirVar)
	}
	return history.Stranger{
		PID: l.PID, Exe: l.Exe, Cmdline: cmdline, OutsideNamespace: l.OutsideNamespace,
		File: filepath.Base(l.File), Mode: l.Mode, Waiting: l.Waiting,
		StartS: l.StartS, EndS: l.EndS, StillHeld: l.StillHeld, Named: named && !l.Waiting,
	}
}
