package reports

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"lockbench/history"
	"lockbench/verdict"
	"lockbench/vocab"
)

// environmentLeftOut is what withoutEnvironment left out of a report: trials that failed for
// environmental reasons (a full disk, an OOM kill, ...), which are not results of the code.
type environmentLeftOut struct {
	trials  int
	bySub   map[vocab.Sub]int
	missing int      // slots whose only trials failed for environmental reasons
	dirs    []string // the run directories with missing slots
}

// withoutEnvironment returns runs without their environment trials (vocab.Kind.Result) and
// what it left out. A slot (cell, trial, warmup) of a run that has no other trial is missing:
// `bench --resume` has not run it again yet.
func withoutEnvironment(runs []history.Run) ([]history.Run, environmentLeftOut) {
	left := environmentLeftOut{bySub: map[vocab.Sub]int{}}
	out := make([]history.Run, len(runs))
	for i, run := range runs {
		out[i] = run
		type slot struct {
			cell   string
			trial  int
			warmup bool
		}
		results, failed := map[slot]bool{}, map[slot]bool{}
		var kept []history.Trial
		for _, t := range run.Trials {
			s := slot{t.Cell, t.Trial, t.Warmup}
			if t.Outcome.Kind.Result() {
				kept = append(kept, t)
				results[s] = true
				continue
			}
			left.trials++
			left.bySub[t.Outcome.Sub]++
			failed[s] = true
		}
		if len(failed) == 0 {
			continue
		}
		out[i].Trials = kept
		missing := 0
		for s := range failed {
			if !results[s] {
				missing++
			}
		}
		if missing > 0 {
			left.missing += missing
			left.dirs = append(left.dirs, cmp.Or(run.Dir, "RUN_DIR"))
		}
	}
	return out, left
}

// warning says what was left out, or nothing when nothing was.
func (l environmentLeftOut) warning() []Warning {
	if l.trials == 0 {
		return nil
	}
	var subs []string
	for _, sub := range slices.Sorted(maps.Keys(l.bySub)) {
		subs = append(subs, fmt.Sprintf("%s %d", cmpSub(sub), l.bySub[sub]))
	}
	msg := fmt.Sprintf("%d %s failed for environmental reasons (%s) and %s not counted: the machine failed, not the code",
		l.trials, plural(l.trials, "trial", "trials"), strings.Join(subs, ", "), plural(l.trials, "is", "are"))
	if l.missing > 0 {
		var resume []string
		for _, d := range l.dirs {
			resume = append(resume, "`lockbench bench --resume "+d+"`")
		}
		msg += fmt.Sprintf("; %d %s no result yet, so the verdict is at best unknown: %s runs %s again",
			l.missing, plural(l.missing, "slot has", "slots have"), strings.Join(resume, ", "), plural(l.missing, "it", "them"))
	} else {
		msg += "; " + plural(l.trials, "it was", "every one of them was") + " run again"
	}
	return []Warning{{Code: string(vocab.Environment), Message: msg}}
}

// verdict is Unknown when a slot has no result, else Pass (it only ever lowers a verdict).
func (l environmentLeftOut) verdict() verdict.Verdict {
	if l.missing > 0 {
		return verdict.Unknown
	}
	return verdict.Pass
}

func cmpSub(s vocab.Sub) string {
	if s == "" {
		return string(vocab.Environment)
	}
	return string(s)
}
