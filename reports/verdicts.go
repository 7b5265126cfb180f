package reports

import (
	"cmp"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"lockbench/scenarios"
	"lockbench/vocab"
)

// TargetResult is the verdict on one target, with its evidence.
type TargetResult struct {
	// Target is the target judged.
	Target
	// Verdict is pass, fail or unknown.
	Verdict Verdict `json:"verdict"`
	// Reason explains the verdict in one sentence.
	Reason string `json:"reason"`
	// BaselineCells and CandidateCells are the keys of the cells each selector matched;
	// BaselineN and CandidateN count their pooled ok trials; BaselineMedian is the pooled
	// baseline median in seconds.
	BaselineCells  []string `json:"baseline_cells"`
	CandidateCells []string `json:"candidate_cells"`
	BaselineN      int      `json:"baseline_n"`
	CandidateN     int      `json:"candidate_n"`
	BaselineMedian float64  `json:"baseline_median"`
	// CandidateMedian is the pooled candidate median in seconds.
	CandidateMedian float64 `json:"candidate_median"`
	// Achieved is 1 − CandidateMedian/BaselineMedian and AchievedCI its bootstrap interval.
	Achieved   float64   `json:"achieved"`
	AchievedCI *Interval `json:"achieved_ci,omitempty"`
	// P is the two-sided Mann–Whitney U p-value of candidate against baseline.
	P *float64 `json:"p,omitempty"`
}

// Evidence renders the numbers behind the verdict in one line.
func (t TargetResult) Evidence() string {
	ci := "no interval"
	if t.AchievedCI != nil {
		ci = fmt.Sprintf("%.0f%% CI [%s, %s]", 100*t.AchievedCI.Level, pct(t.AchievedCI.Lo), pct(t.AchievedCI.Hi))
	}
	return fmt.Sprintf("%s: baseline median %s (n=%d) → candidate median %s (n=%d): reduction %s, %s; target ≥ %s",
		t.Metric, secs(t.BaselineMedian), t.BaselineN, secs(t.CandidateMedian), t.CandidateN,
		pct(t.Achieved), ci, pct(t.Reduction))
}

// ExpectationResult is the verdict on one expectation, with its evidence.
type ExpectationResult struct {
	// Name identifies the expectation; Verdict is pass, fail or unknown.
	Name    string  `json:"name"`
	Verdict Verdict `json:"verdict"`
	// Expected is the expected outcome kind ("" when each trial's own expectation applies).
	Expected string `json:"expected"`
	// Cells are the matched cell keys and Trials their non-warmup trials.
	Cells  []string `json:"cells"`
	Trials int      `json:"trials"`
	// Outcomes counts the matched trials by outcome kind.
	Outcomes []OutcomeCount `json:"outcomes"`
	// Mismatches lists the trials that differ from the expectation.
	Mismatches []string `json:"mismatches,omitempty"`
	// Messages are the distinct error messages of the matched trials (at most three, each
	// with its count), verbatim: for a lock conflict, DuckDB's text naming the holder.
	Messages []string `json:"messages,omitempty"`
	// Reason explains the verdict in one sentence.
	Reason string `json:"reason"`
	// Implicit is true for the per-cell expectation derived from the trials' Expected field.
	Implicit bool `json:"implicit"`

	cell string     // the cell key of an implicit expectation
	mism []mismatch // Mismatches, structured for renderers that label and fold them
}

// mismatch is one trial that differs from an expectation.
type mismatch struct {
	cell, run  string
	trial      int
	got, want  string
	strayOwner bool // a lock conflict from a process lockbench did not start
}

// text is the mismatch as one line, naming the cell by label.
func (m mismatch) text(label string) string {
	if m.strayOwner {
		return fmt.Sprintf("%s #%d (run %s): got %s from a process lockbench did not start, want %s from the injected competitor", label, m.trial, m.run, m.got, m.want)
	}
	return fmt.Sprintf("%s #%d (run %s): got %s, want %s", label, m.trial, m.run, m.got, m.want)
}

// pooled returns the keys and the metric's samples of the cells of one side of a target: the
// cells among resolved, the side's cells as the manifest recorded them, or, when resolved is
// nil, the cells sel matches.
func pooled(cells []*Cell, sel scenarios.Selector, resolved []string, metric string) (keys []string, xs []float64) {
	for _, c := range cells {
		in := sel.Matches(c.Key, c.Params)
		if resolved != nil {
			in = slices.Contains(resolved, c.Key)
		}
		if in {
			keys = append(keys, c.Key)
			xs = append(xs, values(c.samples[metric])...)
		}
	}
	return keys, xs
}

func judgeTarget(cells []*Cell, t Target, opts Options) TargetResult {
	tr := TargetResult{Target: t, Verdict: Unknown}
	var base, cand []float64
	tr.BaselineCells, base = pooled(cells, t.Baseline, t.BaselineCells, t.Metric)
	tr.CandidateCells, cand = pooled(cells, t.Candidate, t.CandidateCells, t.Metric)
	tr.BaselineN, tr.CandidateN = len(base), len(cand)
	if len(base) > 0 {
		tr.BaselineMedian = median(sortedCopy(base))
	}
	if len(cand) > 0 {
		tr.CandidateMedian = median(sortedCopy(cand))
	}
	switch {
	case len(tr.BaselineCells) == 0:
		tr.Reason = fmt.Sprintf("no cell matches the baseline selector %s", t.Baseline)
		return tr
	case len(tr.CandidateCells) == 0:
		tr.Reason = fmt.Sprintf("no cell matches the candidate selector %s", t.Candidate)
		return tr
	}
	ratio, ci, ok := BootstrapRatio(base, cand, opts.Resamples, opts.Confidence)
	if ok {
		tr.Achieved = 1 - ratio
		if ci != nil {
			tr.AchievedCI = &Interval{Lo: 1 - ci.Hi, Hi: 1 - ci.Lo, Level: ci.Level}
		}
	}
	if len(base) > 0 && len(cand) > 0 {
		if p, err := UTest(base, cand); err == nil && !math.IsNaN(p) {
			tr.P = &p
		}
	}
	switch {
	case len(base) < opts.MinTrials || len(cand) < opts.MinTrials:
		tr.Reason = fmt.Sprintf("too few ok trials: need >= %d per side, have %d baseline and %d candidate", opts.MinTrials, len(base), len(cand))
	case !ok:
		tr.Reason = "the baseline median is zero: no reduction can be computed"
	case tr.AchievedCI == nil:
		tr.Reason = "the bootstrap interval is not finite"
	case tr.AchievedCI.Lo >= t.Reduction:
		tr.Verdict = Pass
		tr.Reason = fmt.Sprintf("the whole interval is at or above the target: lower bound %s ≥ %s", pct(tr.AchievedCI.Lo), pct(t.Reduction))
	case tr.AchievedCI.Hi < t.Reduction:
		tr.Verdict = Fail
		tr.Reason = fmt.Sprintf("the whole interval is below the target: upper bound %s < %s", pct(tr.AchievedCI.Hi), pct(t.Reduction))
	default:
		tr.Reason = fmt.Sprintf("the interval [%s, %s] straddles the target %s: run more trials", pct(tr.AchievedCI.Lo), pct(tr.AchievedCI.Hi), pct(t.Reduction))
	}
	return tr
}

func judgeExpectation(cells []*Cell, e Expectation, implicit bool) ExpectationResult {
	er := ExpectationResult{Name: e.Name, Expected: e.Outcome, Implicit: implicit, Verdict: Unknown}
	if er.Name == "" {
		er.Name = "expect " + cmp.Or(e.Outcome, "expected outcome") + " in " + e.Cells.String()
	}
	counts := map[vocab.Kind]int{}
	expectSet := map[string]bool{}
	msgs := newMessageFolder()
	for _, c := range cells {
		if !e.Cells.Matches(c.Key, c.Params) {
			continue
		}
		er.Cells = append(er.Cells, c.Key)
		for _, v := range c.Values {
			if v.Warmup {
				continue
			}
			er.Trials++
			counts[v.Outcome]++
			if v.Message != "" {
				msgs.add(v.Message)
			}
			want := cmp.Or(e.Outcome, v.Expected)
			expectSet[want] = true
			m := mismatch{cell: c.Key, run: v.Run, trial: v.Trial, got: outcomeText(v), want: want}
			switch {
			case !accepts(want, v.Outcome) || v.Outcome == vocab.Mismatch:
			case v.Outcome == vocab.LockConflict && v.HolderRole == vocab.RoleOther:
				// An expected lock conflict must come from a process the harness started
				// (a competitor or a sibling worker), not from a stray holder.
				m.strayOwner = true
			default:
				continue
			}
			er.mism = append(er.mism, m)
			er.Mismatches = append(er.Mismatches, m.text(c.Key))
		}
	}
	if er.Expected == "" && len(expectSet) == 1 {
		for k := range expectSet {
			er.Expected = k
		}
	}
	er.Outcomes = countOutcomes(counts)
	er.Messages = msgs.lines(3)
	switch {
	case len(er.Cells) == 0:
		er.Reason = fmt.Sprintf("no cell matches %s", e.Cells)
	case er.Trials == 0:
		er.Reason = "no trials were recorded"
	case len(er.Mismatches) > 0:
		er.Verdict = Fail
		er.Reason = fmt.Sprintf("%d of %d trials differ from the expectation", len(er.Mismatches), er.Trials)
	default:
		er.Verdict = Pass
		er.Reason = fmt.Sprintf("all %d trials had the expected outcome", er.Trials)
	}
	return er
}

// reHolderPID is the part of a lock message that differs between otherwise identical trials.
var reHolderPID = regexp.MustCompile(`\(PID \d+\)`)

// messageFolder counts messages, folding those that differ only in the holder's PID.
type messageFolder struct {
	order []string
	first map[string]string
	count map[string]int
	pids  map[string][]string
}

func newMessageFolder() *messageFolder {
	return &messageFolder{first: map[string]string{}, count: map[string]int{}, pids: map[string][]string{}}
}

func (f *messageFolder) add(msg string) {
	key := reHolderPID.ReplaceAllString(msg, "(PID …)")
	if f.count[key] == 0 {
		f.order = append(f.order, key)
		f.first[key] = msg
	}
	f.count[key]++
	if pid := reHolderPID.FindString(msg); pid != "" {
		pid = strings.TrimSuffix(strings.TrimPrefix(pid, "(PID "), ")")
		if !slices.Contains(f.pids[key], pid) {
			f.pids[key] = append(f.pids[key], pid)
		}
	}
}

// lines returns at most n messages, most frequent folded first in first-seen order, each with
// its count: "msg (×6)", or for a message seen with several holder PIDs, the message with
// "(PID …)" and the PIDs: "msg (×6; PIDs 4681, 5392, 5612, …)".
func (f *messageFolder) lines(n int) []string {
	var out []string
	for _, key := range f.order {
		if len(out) == n {
			break
		}
		pids := f.pids[key]
		switch {
		case len(pids) > 1:
			shown := pids
			if len(shown) > 3 {
				shown = append(shown[:3:3], "…")
			}
			out = append(out, fmt.Sprintf("%s (×%d; PIDs %s)", key, f.count[key], strings.Join(shown, ", ")))
		default:
			out = append(out, fmt.Sprintf("%s (×%d)", f.first[key], f.count[key]))
		}
	}
	return out
}

func outcomeText(v TrialValues) string {
	s := string(v.Outcome)
	if v.Sub != "" {
		s += "/" + string(v.Sub)
	}
	if v.HolderPID != 0 {
		s += fmt.Sprintf(" (holder pid %d)", v.HolderPID)
	}
	return s
}

// accepts reports whether an expectation (one outcome, or several joined with "|") allows
// outcome.
func accepts(want string, outcome vocab.Kind) bool {
	for w := range strings.SplitSeq(want, "|") {
		if strings.TrimSpace(w) == string(outcome) {
			return true
		}
	}
	return false
}
