package sequential

import (
	"fmt"
	"math"
)

// ExpectationDecision is the sequential verdict on an expectation: every trial of a cell must
// show a given outcome.
type ExpectationDecision struct {
	// Verdict is pass, fail or undecided.
	Verdict Verdict `json:"verdict"`
	// Look is the look (1-based) at which the expectation was decided: for a pass the look that
	// passed it, for a fail the look in progress when the first mismatch came (the first look
	// whose trial count covers it). Undecided, it is the last look reached (0 for none). Looks is
	// the number of planned looks.
	Look  int `json:"look"`
	Looks int `json:"looks"`
	// Trials is the number of trials the decision used: the look's trial count for a pass, the
	// number of the first mismatching trial for a fail, and the trials up to the last look
	// reached when undecided.
	Trials int `json:"trials"`
	// Mismatch is the number (1-based) of the first mismatching trial; 0 when none.
	Mismatch int `json:"mismatch"`
	// Bound is the one-sided Clopper–Pearson upper bound, at confidence Level, of the mismatch
	// rate after Trials matching trials (1 when there are none); 0 for a fail.
	Bound float64 `json:"bound"`
	Level float64 `json:"level"`
	// MaxRate is the mismatch rate a pass must exclude.
	MaxRate float64 `json:"max_rate"`
	// Method names the method in prose; Reason explains the verdict in one sentence.
	Method string `json:"method"`
	Reason string `json:"reason"`
	// Next is the number of trials the next look needs; 0 when no further trial can change the
	// verdict. A runner may stop at any trial that mismatches, without waiting for a look.
	Next int `json:"next"`
}

// String renders the decision in one line.
func (e ExpectationDecision) String() string {
	s := string(e.Verdict)
	if e.Look > 0 {
		s += fmt.Sprintf(" at look %d of %d (%d trials)", e.Look, e.Looks, e.Trials)
	}
	return s + ": " + e.Reason
}

// TrialsToPass returns the smallest number n of trials, all matching, whose one-sided
// Clopper–Pearson bound 1 − (α/2)^(1/n) at confidence 1 − α/2 is at most maxRate: the smallest
// n with (1 − maxRate)^n ≤ α/2. maxRate must lie in (0, 1).
func (d Design) TrialsToPass(maxRate float64) (int, error) {
	if err := d.Validate(); err != nil {
		return 0, err
	}
	if !(maxRate > 0 && maxRate < 1) {
		return 0, fmt.Errorf("maximum mismatch rate is %v: it must lie strictly between 0 and 1, such as 0.3", maxRate)
	}
	a := d.Alpha / 2
	n := max(1, int(math.Ceil(math.Log(a)/math.Log1p(-maxRate))))
	// Correct the rounding of the logarithms in either direction.
	for n > 1 && math.Pow(1-maxRate, float64(n-1)) <= a {
		n--
	}
	for math.Pow(1-maxRate, float64(n)) > a {
		n++
	}
	return n, nil
}

// MismatchBound returns the one-sided Clopper–Pearson upper bound, at confidence 1 − α/2, of
// the mismatch rate after n trials that all matched: 1 − (α/2)^(1/n), and 1 for n = 0.
func (d Design) MismatchBound(n int) float64 {
	if n <= 0 {
		return 1
	}
	return -math.Expm1(math.Log(d.Alpha/2) / float64(n))
}

// DecideExpectation judges an expectation from matched, one entry per trial in the order the
// trials ran (true when the trial showed the expected outcome). It passes at the first planned
// look whose trial count n has MismatchBound(n) ≤ maxRate, when all n trials matched, and fails
// at the first mismatch before that; trials after that look are never used. A pass when the
// true mismatch rate is maxRate or more therefore has probability at most α/2. The error reports an invalid design, or a
// maxRate that no planned look can show (see TrialsToPass).
func (d Design) DecideExpectation(matched []bool, maxRate float64) (ExpectationDecision, error) {
	need, err := d.TrialsToPass(maxRate)
	if err != nil {
		return ExpectationDecision{}, err
	}
	if need > d.MaxTrials() {
		return ExpectationDecision{}, fmt.Errorf("showing a mismatch rate below %s at %s confidence needs %d matching trials, but the last look is at %d: raise the last look or the rate",
			pctText(maxRate), pctText(1-d.Alpha/2), need, d.MaxTrials())
	}
	e := ExpectationDecision{Verdict: Undecided, Looks: len(d.Looks), Level: 1 - d.Alpha/2, MaxRate: maxRate, Method: d.ExpectationMethod()}
	// Walk the trials as a runner sees them: a mismatch fails at once, and the first look that
	// can pass ends the walk, so trials after it are never seen.
	passAt := firstLookAtLeast(d.Looks, need)
	usable := matched[:min(len(matched), passAt)]
	for i, ok := range usable {
		if !ok {
			e.Verdict, e.Trials, e.Mismatch = Fail, i+1, i+1
			e.Look = d.Reached(i, i) + 1 // the look in progress
			e.Reason = fmt.Sprintf("trial %d did not show the expected outcome", i+1)
			return e, nil
		}
	}
	e.Look = d.Reached(len(usable), len(usable))
	if e.Look > 0 {
		e.Trials = d.Looks[e.Look-1]
	}
	if len(usable) == passAt {
		e.Verdict, e.Bound = Pass, d.MismatchBound(e.Trials)
		e.Reason = fmt.Sprintf("all %d trials matched: the mismatch rate is at most %s at %s confidence (%s required)",
			e.Trials, pctText(e.Bound), pctText(e.Level), pctText(maxRate))
		return e, nil
	}
	e.Bound = d.MismatchBound(e.Trials)
	if e.Look < len(d.Looks) {
		e.Next = d.Looks[e.Look]
	}
	e.Reason = fmt.Sprintf("%d trials matched so far; a pass needs %d matching trials (the look at %d) to show a mismatch rate of at most %s",
		len(usable), need, passAt, pctText(maxRate))
	return e, nil
}

// firstLookAtLeast returns the first trial count of looks that is at least n.
func firstLookAtLeast(looks []int, n int) int {
	for _, l := range looks {
		if l >= n {
			return l
		}
	}
	return looks[len(looks)-1]
}
