package sequential

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Decision is the sequential verdict on a target, with the evidence of the look that gave it.
type Decision struct {
	// Verdict is pass, fail or undecided.
	Verdict Verdict `json:"verdict"`
	// Look is the look (1-based) at which the target was decided or, when undecided, the last
	// look evaluated; 0 when no look has been reached. Looks is the number of planned looks.
	Look  int `json:"look"`
	Looks int `json:"looks"`
	// TrialsBaseline and TrialsCandidate are the trials the look used: the first
	// Design.Looks[Look−1] of each side.
	TrialsBaseline  int `json:"trials_baseline"`
	TrialsCandidate int `json:"trials_candidate"`
	// Estimate is the reduction 1 − exp(mean log candidate − mean log baseline), which for
	// lognormal data estimates 1 − median(candidate)/median(baseline).
	Estimate float64 `json:"estimate"`
	// Lower and Upper bound the reduction at confidence Level. Level is the look's adjusted
	// two-sided level 1 − 2·Alpha, where Alpha is the one-sided level this look spent.
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
	Level float64 `json:"level"`
	Alpha float64 `json:"alpha"`
	// Target is the reduction the candidate must reach.
	Target float64 `json:"target"`
	// Method names the method in prose.
	Method string `json:"method"`
	// Reason explains the verdict in one sentence.
	Reason string `json:"reason"`
	// Next is the number of trials per side the next look needs; 0 when no further trial can
	// change the verdict (the target is decided, the last look has been evaluated, or the data
	// cannot be used by this method). A runner stops when Next is 0.
	Next int `json:"next"`
}

// HasInterval reports whether Estimate, Lower and Upper hold a computed interval.
func (d Decision) HasInterval() bool { return d.Level > 0 }

// String renders the decision in one line.
func (d Decision) String() string {
	s := string(d.Verdict)
	if d.Look > 0 {
		s += fmt.Sprintf(" at look %d of %d (%d baseline, %d candidate trials)", d.Look, d.Looks, d.TrialsBaseline, d.TrialsCandidate)
	}
	if d.HasInterval() {
		s += fmt.Sprintf(": reduction %s, %s interval [%s, %s], target %s",
			pctText(d.Estimate), pctText(d.Level), pctText(d.Lower), pctText(d.Upper), pctText(d.Target))
	}
	return s + "; " + d.Reason
}

// DecideTarget judges whether the candidate reduces the metric by at least target against the
// baseline: target 0.65 asks for 1 − median(candidate)/median(baseline) ≥ 65%, target 0 for a
// candidate no slower than the baseline, and a negative target allows a slowdown. baseline and
// candidate hold one positive value per trial, in the order the trials ran (or in any order
// fixed before the values were seen, never sorted by value). It evaluates the planned looks
// both sides have reached, in order, and returns the first that decides; see the package
// documentation. The error reports an invalid design or target; data the method cannot use (a
// value that is not positive and finite) gives an undecided verdict with its reason.
func (d Design) DecideTarget(baseline, candidate []float64, target float64) (Decision, error) {
	alphas, err := d.LookAlphas()
	if err != nil {
		return Decision{}, err
	}
	if !(target < 1) || math.IsInf(target, 0) {
		return Decision{}, fmt.Errorf("target reduction is %v: it must be finite and below 1 (0.65 means 65%% less than the baseline)", target)
	}
	return d.decideTarget(rule{alphas: alphas}, baseline, candidate, target), nil
}

// rule is how decideTarget tests at each look. DecideTarget always uses the design's spending
// and the conservative degrees of freedom; the simulation tests also run the rules the package
// rejects (no spending, Welch–Satterthwaite degrees of freedom) through the same code, to
// measure what they would cost.
type rule struct {
	// alphas is the one-sided level of each look.
	alphas []float64
	// welchDF selects the Welch–Satterthwaite degrees of freedom instead of min(n) − 1.
	welchDF bool
}

// decideTarget is DecideTarget with the test at each look given by r.
func (d Design) decideTarget(r rule, baseline, candidate []float64, target float64) Decision {
	alphas := r.alphas
	dec := Decision{Verdict: Undecided, Looks: len(d.Looks), Target: target, Method: d.TargetMethod()}
	reached := d.Reached(len(baseline), len(candidate))
	if reached == 0 {
		dec.Next = d.Looks[0]
		dec.Reason = fmt.Sprintf("too few trials for the first look: it needs %d per side, have %d baseline and %d candidate",
			d.Looks[0], len(baseline), len(candidate))
		return dec
	}
	logTarget := math.Log1p(-target) // the log ratio at which the reduction equals target
	lb := make([]float64, 0, d.MaxTrials())
	lc := make([]float64, 0, d.MaxTrials())
	for k := 0; k < reached; k++ {
		n := d.Looks[k]
		dec.Look, dec.TrialsBaseline, dec.TrialsCandidate = k+1, n, n
		// The fields of the interval describe this look only.
		dec.Estimate, dec.Lower, dec.Upper, dec.Level, dec.Alpha = 0, 0, 0, 0, 0
		reason := appendLogs(&lb, baseline[len(lb):n], "baseline", len(lb))
		if reason == "" {
			reason = appendLogs(&lc, candidate[len(lc):n], "candidate", len(lc))
		}
		if reason != "" {
			dec.Reason = reason // no later look can use these values either
			return dec
		}
		est, half, ok := welch(lb, lc, alphas[k], r.welchDF)
		dec.Alpha = alphas[k]
		if !ok {
			dec.Reason = fmt.Sprintf("the first %d values of each side are all equal: no interval", n)
			continue
		}
		// A larger log ratio is a smaller reduction, so the bounds swap.
		dec.Estimate = -math.Expm1(est)
		dec.Lower, dec.Upper = -math.Expm1(est+half), -math.Expm1(est-half)
		dec.Level = 1 - 2*alphas[k]
		switch {
		case est+half <= logTarget:
			dec.Verdict = Pass
			dec.Reason = fmt.Sprintf("the whole interval is at or above the target: lower bound %s ≥ %s", pctText(dec.Lower), pctText(target))
			return dec
		case est-half > logTarget:
			dec.Verdict = Fail
			dec.Reason = fmt.Sprintf("the whole interval is below the target: upper bound %s < %s", pctText(dec.Upper), pctText(target))
			return dec
		}
		dec.Reason = fmt.Sprintf("the interval [%s, %s] straddles the target %s", pctText(dec.Lower), pctText(dec.Upper), pctText(target))
	}
	if reached < len(d.Looks) {
		dec.Next = d.Looks[reached]
		dec.Reason += fmt.Sprintf(": run look %d at %d trials per side", reached+1, dec.Next)
	} else {
		dec.Reason += ": the last planned look is spent, the verdict stays undecided"
	}
	return dec
}

// appendLogs appends the logs of xs to *logs, or returns why it cannot: a value that is not
// positive and finite. offset is the number of values of the side already taken.
func appendLogs(logs *[]float64, xs []float64, side string, offset int) string {
	for i, x := range xs {
		if !(x > 0) || math.IsInf(x, 0) {
			return fmt.Sprintf("%s trial %d has the value %v: the log-ratio method needs positive, finite values", side, offset+i+1, x)
		}
		*logs = append(*logs, math.Log(x))
	}
	return ""
}

// welch returns mean(lc) − mean(lb) and the half-width of its two-sided Welch t interval at
// one-sided level alpha (two-sided 1 − 2·alpha). The t quantile has min(nb, nc) − 1 degrees of
// freedom, which keeps the level at or below alpha whatever the ratio of the two variances for
// normal data (Mickey and Brown, 1966); welchDF selects the Welch–Satterthwaite degrees of
// freedom instead, which are larger but let the level exceed alpha when the variances differ and
// the samples are small. ok is false when both samples have no spread (tested exactly: rounding
// must not turn identical values into a tiny variance).
func welch(lb, lc []float64, alpha float64, welchDF bool) (est, half float64, ok bool) {
	if constant(lb) && constant(lc) {
		return 0, 0, false
	}
	mb, vb := stat.MeanVariance(lb, nil)
	mc, vc := stat.MeanVariance(lc, nil)
	nb, nc := float64(len(lb)), float64(len(lc))
	qb, qc := vb/nb, vc/nc
	se2 := qb + qc
	if !(se2 > 0) {
		return 0, 0, false
	}
	df := min(nb, nc) - 1
	if welchDF {
		df = se2 * se2 / (qb*qb/(nb-1) + qc*qc/(nc-1))
	}
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(1 - alpha)
	return mc - mb, q * math.Sqrt(se2), true
}

// constant reports whether all values of xs are equal.
func constant(xs []float64) bool {
	for _, x := range xs[1:] {
		if x != xs[0] {
			return false
		}
	}
	return true
}
