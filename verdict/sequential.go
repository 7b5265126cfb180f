package verdict

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"lockbench/criteria"
	"lockbench/internal/units"
	"lockbench/stats"
	"lockbench/stats/sequential"
	"lockbench/vocab"
)

// Sequential verdicts judge the targets and expectations of a run whose design is
// group-sequential (criteria.Design): the evidence is examined only at the design's planned
// looks, in trial order, so that the verdict is the one a runner that stopped at each look would
// have reached, whatever more trials a run holds (resumed, or merged from shards). The
// statistics are package sequential's.

// sequentialVerdict maps a sequential verdict onto a run verdict: undecided is unknown.
func sequentialVerdict(v sequential.Verdict) Verdict {
	switch v {
	case sequential.Pass:
		return Pass
	case sequential.Fail:
		return Fail
	}
	return Unknown
}

// orderedSide returns the values of metric of the ok non-warmup trials of the cells among cells
// whose keys are in side, in trial order: by trial number, then by the cell's place in cells,
// then as the cells list them (runs in order). The order is fixed before any value is seen,
// as the sequential method needs.
func orderedSide(cells []Cell, side []string, metric vocab.Metric) []float64 {
	type obs struct {
		trial, cell int
		v           float64
	}
	var xs []obs
	for ci, c := range cells {
		if !slices.Contains(side, c.Key) {
			continue
		}
		for _, t := range c.Trials {
			if t.Warmup || t.Outcome != vocab.OK {
				continue
			}
			if v, ok := t.Metrics[metric]; ok {
				xs = append(xs, obs{t.Trial, ci, v})
			}
		}
	}
	slices.SortStableFunc(xs, func(a, b obs) int { return cmp.Or(cmp.Compare(a.trial, b.trial), cmp.Compare(a.cell, b.cell)) })
	out := make([]float64, len(xs))
	for i, o := range xs {
		out[i] = o.v
	}
	return out
}

// JudgeTargetSequential judges t on cells with the sequential design d: each side pools the ok
// trials of its cells in trial order, and sequential.Design.DecideTarget walks the planned looks
// (the log-ratio Welch interval at each look's spent level). Pass and fail are the decision's,
// undecided is unknown. The medians, trial counts and p-value describe every pooled ok trial,
// as JudgeTarget's do; Achieved and AchievedCI are the deciding look's estimate and interval,
// and Sequential holds the decision (look, trials used, level, method, the next look's trials).
func JudgeTargetSequential(t criteria.ResolvedTarget, cells []Cell, d sequential.Design) TargetResult {
	tr, _, _, ok := pooled(t, cells)
	if !ok {
		return tr
	}
	dec, err := d.DecideTarget(orderedSide(cells, tr.BaselineCells, t.Metric), orderedSide(cells, tr.CandidateCells, t.Metric), t.Reduction)
	if err != nil {
		tr.Reason = err.Error()
		return tr
	}
	tr.Sequential = &dec
	tr.Verdict, tr.Reason = sequentialVerdict(dec.Verdict), dec.Reason
	if dec.HasInterval() {
		tr.Achieved = dec.Estimate
		tr.AchievedCI = &stats.Interval{Lo: dec.Lower, Hi: dec.Upper, Level: dec.Level}
	}
	return tr
}

// JudgeExpectationSequential judges e on cells with the sequential design d. A trial that does
// not show the expected outcome fails it, at whatever trial it came (a mismatch is an observed
// fact, not an estimate). Otherwise every cell it selects must pass
// sequential.Design.DecideExpectation at maxRate: at the first planned look whose matching
// trials bound the cell's mismatch rate at or below maxRate. Until then it is unknown.
// Sequential holds the decision: the failing cell's, else an undecided cell's, else the last
// cell's (they pass at the same look).
func JudgeExpectationSequential(e criteria.Expectation, cells []Cell, d sequential.Design, maxRate float64) ExpectationResult {
	return judgeSequential(judgeExpectation(e, cells, false), e, cells, d, maxRate)
}

// JudgeCellSequential is JudgeCell with the sequential design d (see
// JudgeExpectationSequential).
func JudgeCellSequential(c Cell, d sequential.Design, maxRate float64) ExpectationResult {
	er := JudgeCell(c)
	e := criteria.Expectation{Cells: criteria.Selector{criteria.CellAxis: c.Key}}
	return judgeSequential(er, e, []Cell{c}, d, maxRate)
}

func judgeSequential(er ExpectationResult, e criteria.Expectation, cells []Cell, d sequential.Design, maxRate float64) ExpectationResult {
	if len(er.Cells) == 0 || er.Trials == 0 {
		return er
	}
	var last *sequential.ExpectationDecision
	for _, c := range cells {
		if !slices.Contains(er.Cells, c.Key) {
			continue
		}
		matched := cellMatches(e, c)
		dec, err := d.DecideExpectation(matched, maxRate)
		if err != nil {
			er.Verdict, er.Reason = Unknown, err.Error()
			return er
		}
		if i := slices.Index(matched, false); i >= 0 && dec.Verdict != sequential.Fail {
			// A mismatch after the look that passed: the expectation is about every trial.
			dec.Verdict, dec.Trials, dec.Mismatch, dec.Bound, dec.Next = sequential.Fail, i+1, i+1, 0, 0
			dec.Look = min(d.Reached(i, i)+1, len(d.Looks))
			dec.Reason = fmt.Sprintf("trial %d did not show the expected outcome", i+1)
		}
		switch dec.Verdict {
		case sequential.Fail:
			er.Sequential = &dec
			er.Verdict = Fail // judgeExpectation has said why, listing every mismatch
			return er
		case sequential.Undecided:
			if last == nil || last.Verdict != sequential.Undecided {
				dec.Reason = c.Key + ": " + dec.Reason
				last = &dec
			}
		default:
			if last == nil || last.Verdict == sequential.Pass {
				last = &dec
			}
		}
	}
	er.Sequential = last
	er.Verdict = sequentialVerdict(last.Verdict)
	if last.Verdict == sequential.Pass {
		er.Reason = fmt.Sprintf("all %d trials had the expected outcome", er.Trials)
	} else {
		er.Reason = last.Reason
	}
	return er
}

// cellMatches returns, in trial order, whether each non-warmup trial of c shows what e expects.
func cellMatches(e criteria.Expectation, c Cell) []bool {
	ts := slices.Clone(c.Trials)
	slices.SortStableFunc(ts, func(a, b Trial) int { return cmp.Compare(a.Trial, b.Trial) })
	var out []bool
	for _, v := range ts {
		if v.Warmup {
			continue
		}
		ok, _ := matches(wantOf(e, v), v)
		out = append(out, ok)
	}
	return out
}

// Decided says, in one line, where a sequential verdict on the target was reached and how: the
// look, the trials it used, its interval at the look's adjusted level and the method. It is
// empty for a target judged at the end of a fixed run.
func (t TargetResult) Decided() string {
	d := t.Sequential
	if d == nil {
		return ""
	}
	var b strings.Builder
	switch {
	case d.Look == 0:
		fmt.Fprintf(&b, "sequential: no look reached yet (the first needs %d ok trials per side)", d.Next)
	case d.Verdict == sequential.Undecided:
		fmt.Fprintf(&b, "sequential: undecided at look %d of %d (the first %d baseline and %d candidate ok trials)", d.Look, d.Looks, d.TrialsBaseline, d.TrialsCandidate)
	default:
		fmt.Fprintf(&b, "sequential: decided at look %d of %d on the first %d baseline and %d candidate ok trials", d.Look, d.Looks, d.TrialsBaseline, d.TrialsCandidate)
	}
	if d.HasInterval() {
		fmt.Fprintf(&b, ", %s interval [%s, %s]", levelText(d.Level), units.Pct(d.Lower), units.Pct(d.Upper))
	}
	fmt.Fprintf(&b, "; method: %s", d.Method)
	return b.String()
}

// Decided says, in one line, where a sequential verdict on the expectation was reached and how:
// the look, the trials per cell it used, the bound it showed on the mismatch rate and the
// method. It is empty for an expectation judged at the end of a fixed run.
func (e ExpectationResult) Decided() string {
	d := e.Sequential
	if d == nil {
		return ""
	}
	const method = "method: a mismatch fails at once; a pass needs every trial up to a look to match, with a one-sided Clopper–Pearson bound of the mismatch rate"
	switch d.Verdict {
	case sequential.Pass:
		return fmt.Sprintf("sequential: decided at look %d of %d on %d trials per cell: mismatch rate at most %s at %s confidence; %s",
			d.Look, d.Looks, d.Trials, units.Pct(d.Bound), levelText(d.Level), method)
	case sequential.Fail:
		return fmt.Sprintf("sequential: decided at look %d of %d by trial %d, which did not show the expected outcome; %s", d.Look, d.Looks, d.Mismatch, method)
	}
	return fmt.Sprintf("sequential: undecided after %d trials per cell (look %d of %d; the next look needs %d); %s", d.Trials, d.Look, d.Looks, d.Next, method)
}

// levelText formats a confidence level with up to two decimals: 0.9792 → "97.92%", 0.95 → "95%".
func levelText(p float64) string {
	s := fmt.Sprintf("%.2f", 100*p)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}
