package verdict

import (
	"fmt"
	"math"
	"slices"

	"lockbench/criteria"
	"lockbench/internal/units"
	"lockbench/scenarios"
	"lockbench/stats"
	"lockbench/stats/sequential"
)

// TargetResult is the verdict on one target, with its evidence.
type TargetResult struct {
	// ResolvedTarget is the target judged. (Its lists of resolved cells are shadowed in JSON by
	// the cells this result pooled.)
	criteria.ResolvedTarget
	// Verdict is pass, fail or unknown.
	Verdict Verdict `json:"verdict"`
	// Reason explains the verdict in one sentence.
	Reason string `json:"reason"`
	// BaselineCells and CandidateCells are the keys of the cells each side pooled;
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
	Achieved   float64         `json:"achieved"`
	AchievedCI *stats.Interval `json:"achieved_ci,omitempty"`
	// P is the two-sided Mann–Whitney U p-value of candidate against baseline.
	P *float64 `json:"p,omitempty"`
	// Sequential is the decision of a sequential verdict (JudgeTargetSequential): the look at
	// which it was reached, the trials it used, its interval's level and the method. Nil for a
	// target judged at the end of a fixed run.
	Sequential *sequential.Decision `json:"sequential,omitempty"`
}

// Evidence renders the numbers behind the verdict in one line.
func (t TargetResult) Evidence() string {
	ci := "no interval"
	if t.AchievedCI != nil {
		ci = fmt.Sprintf("%s CI [%s, %s]", levelText(t.AchievedCI.Level), units.Pct(t.AchievedCI.Lo), units.Pct(t.AchievedCI.Hi))
	}
	return fmt.Sprintf("%s: baseline median %s (n=%d) → candidate median %s (n=%d): reduction %s, %s; target ≥ %s",
		t.Metric, units.Secs(t.BaselineMedian), t.BaselineN, units.Secs(t.CandidateMedian), t.CandidateN,
		units.Pct(t.Achieved), ci, units.Pct(t.Reduction))
}

// pooled starts the result of target t on cells: each side's cells and ok samples of the
// target's metric (see pool), their counts and medians, and the Mann–Whitney p-value of the
// two sides. ok is false, with the reason given, when a side has no cell.
func pooled(t criteria.ResolvedTarget, cells []Cell) (tr TargetResult, base, cand []float64, ok bool) {
	tr = TargetResult{ResolvedTarget: t, Verdict: Unknown}
	tr.BaselineCells, base = pool(cells, t.Baseline, t.BaselineCells, t.Target)
	tr.CandidateCells, cand = pool(cells, t.Candidate, t.CandidateCells, t.Target)
	tr.BaselineN, tr.CandidateN = len(base), len(cand)
	if len(base) > 0 {
		tr.BaselineMedian = stats.Median(base)
	}
	if len(cand) > 0 {
		tr.CandidateMedian = stats.Median(cand)
	}
	if len(base) > 0 && len(cand) > 0 {
		if p, err := stats.UTest(base, cand); err == nil && !math.IsNaN(p) {
			tr.P = &p
		}
	}
	switch {
	case len(tr.BaselineCells) == 0:
		tr.Reason = fmt.Sprintf("no cell matches the baseline selector %s", t.Baseline)
		return tr, base, cand, false
	case len(tr.CandidateCells) == 0:
		tr.Reason = fmt.Sprintf("no cell matches the candidate selector %s", t.Candidate)
		return tr, base, cand, false
	}
	return tr, base, cand, true
}

// pool returns the keys and the metric's samples of the cells of one side of a target: the
// cells among resolved (the side's cells as the manifest recorded them), or, when resolved is
// nil, the cells sel matches.
func pool(cells []Cell, sel criteria.Selector, resolved []string, t criteria.Target) (keys []string, xs []float64) {
	for _, c := range cells {
		in := scenarios.Selects(sel, c.Key, c.Params)
		if resolved != nil {
			in = slices.Contains(resolved, c.Key)
		}
		if in {
			keys = append(keys, c.Key)
			xs = append(xs, c.Samples[t.Metric]...)
		}
	}
	return keys, xs
}

// JudgeTarget judges t on cells. Each side pools the ok trials of its cells (see
// criteria.ResolvedTarget); the reduction 1 − median(candidate)/median(baseline) gets a
// percentile-bootstrap interval at s.Confidence, and the verdict follows the interval's place
// against t.Reduction (see the package documentation). s is used with its defaults.
func JudgeTarget(t criteria.ResolvedTarget, cells []Cell, s Settings) TargetResult {
	s = s.WithDefaults()
	tr, base, cand, ok := pooled(t, cells)
	if !ok {
		return tr
	}
	ratio, ci, ok := stats.BootstrapRatio(base, cand, s.Resamples, s.Confidence)
	if ok {
		tr.Achieved = 1 - ratio
		if ci != nil {
			tr.AchievedCI = &stats.Interval{Lo: 1 - ci.Hi, Hi: 1 - ci.Lo, Level: ci.Level}
		}
	}
	pct := units.Pct
	switch {
	case len(base) < s.MinTrials || len(cand) < s.MinTrials:
		tr.Reason = fmt.Sprintf("too few ok trials: need >= %d per side, have %d baseline and %d candidate", s.MinTrials, len(base), len(cand))
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
