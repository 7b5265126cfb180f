package sequential

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// Verdict is the outcome of a sequential decision.
type Verdict string

// The verdicts. Undecided means the evidence so far does not settle the question: either more
// trials are needed (Decision.Next > 0), or the plan is exhausted and the verdict stays
// undecided (reported as unknown).
const (
	Pass      Verdict = "pass"
	Fail      Verdict = "fail"
	Undecided Verdict = "undecided"
)

// Spending is an α-spending function: how much of the error budget of one direction may be
// spent by the time a given fraction of the planned trials has run. The zero value is Pocock.
type Spending int

const (
	// Pocock is the Lan–DeMets Pocock-type function a·ln(1 + (e − 1)·t). It spends a large
	// share early (42% of the budget by 30% of the trials), so clear differences stop at the
	// first look; it is the default because lockbench gates look after very few trials.
	Pocock Spending = iota
	// OBrienFleming is the Lan–DeMets O'Brien–Fleming-type function 2 − 2Φ(z_{1−a/2}/√t). It
	// spends almost nothing early (0.2% of the budget by 30% of the trials) and keeps nearly
	// the whole budget for the last look, so it rarely stops after a handful of trials.
	OBrienFleming
)

// String returns the spending function's name as ParseSpending accepts it.
func (s Spending) String() string {
	switch s {
	case Pocock:
		return "pocock"
	case OBrienFleming:
		return "obrien-fleming"
	}
	return fmt.Sprintf("Spending(%d)", int(s))
}

// title returns the spending function's name in prose.
func (s Spending) title() string {
	switch s {
	case Pocock:
		return "Lan–DeMets Pocock-type"
	case OBrienFleming:
		return "Lan–DeMets O'Brien–Fleming-type"
	}
	return s.String()
}

// ParseSpending returns the spending function named name ("pocock" or "obrien-fleming").
func ParseSpending(name string) (Spending, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "pocock":
		return Pocock, nil
	case "obrien-fleming", "o'brien-fleming", "obf":
		return OBrienFleming, nil
	}
	return 0, fmt.Errorf("unknown spending function %q: use pocock or obrien-fleming", name)
}

// Cumulative returns the share of the budget a that may be spent by information fraction t:
// 0 at t ≤ 0, a at t ≥ 1, nondecreasing in between.
func (s Spending) Cumulative(t, a float64) float64 {
	switch {
	case t <= 0:
		return 0
	case t >= 1:
		return a
	}
	switch s {
	case Pocock:
		return a * math.Log(1+(math.E-1)*t)
	case OBrienFleming:
		z := distuv.UnitNormal.Quantile(1 - a/2)
		return 2 * distuv.UnitNormal.Survival(z/math.Sqrt(t))
	}
	return math.NaN()
}

// Design is a plan of interim looks. The zero value is not valid; start from DefaultDesign.
type Design struct {
	// Looks are the numbers of trials per side (for an expectation, per cell) at which the
	// evidence is examined, strictly increasing. The first is the minimum number of trials a
	// decision needs (at least 2, since a look estimates a variance), the last the maximum.
	Looks []int
	// Alpha is the overall significance level, in (0, 1). Each wrong verdict (a pass when the
	// target is not met, a fail when it is) has probability at most Alpha/2 over all looks.
	Alpha float64
	// Spending shares each direction's Alpha/2 among the looks.
	Spending Spending
}

// DefaultDesign returns looks at 3, 5 and 10 trials per side, α = 0.05 and Pocock-type
// spending. With lognormal timing noise of 5%, a true reduction 10 points away from the S031-04
// target (65%) is decided after 3.5 trials per side on average when above it, 4.1 when below.
func DefaultDesign() Design {
	return Design{Looks: []int{3, 5, 10}, Alpha: 0.05, Spending: Pocock}
}

// Validate reports what is wrong with the design, if anything.
func (d Design) Validate() error {
	if len(d.Looks) == 0 {
		return errors.New("a sequential design needs at least one look (trials per side), such as 3, 5, 10")
	}
	for i, n := range d.Looks {
		if i == 0 && n < 2 {
			return fmt.Errorf("the first look is at %d trials per side: it needs at least 2 (a variance needs two values)", n)
		}
		if i > 0 && n <= d.Looks[i-1] {
			return fmt.Errorf("looks must be strictly increasing: look %d is at %d trials, after %d", i+1, n, d.Looks[i-1])
		}
	}
	if !(d.Alpha > 0 && d.Alpha < 1) {
		return fmt.Errorf("alpha is %v: it must lie strictly between 0 and 1, such as 0.05", d.Alpha)
	}
	if d.Spending != Pocock && d.Spending != OBrienFleming {
		return fmt.Errorf("unknown spending function %v: use Pocock or OBrienFleming", d.Spending)
	}
	return nil
}

// LookAlphas returns the one-sided level spent at each look: for look k,
// S(t_k) − S(t_{k−1}) with t_k = Looks[k]/Looks[last] and budget Alpha/2. They add up to
// Alpha/2.
func (d Design) LookAlphas() ([]float64, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	last := float64(d.Looks[len(d.Looks)-1])
	out := make([]float64, len(d.Looks))
	prev := 0.0
	for i, n := range d.Looks {
		c := d.Spending.Cumulative(float64(n)/last, d.Alpha/2)
		out[i] = c - prev
		prev = c
	}
	return out, nil
}

// Reached returns the number (1-based) of the last planned look that both sides have reached:
// the largest look whose trial count is at most min(nBaseline, nCandidate). It is 0 when
// neither side has reached the first look. For an expectation, pass the cell's trial count
// twice.
func (d Design) Reached(nBaseline, nCandidate int) int {
	n := min(nBaseline, nCandidate)
	k := 0
	for i, l := range d.Looks {
		if l <= n {
			k = i + 1
		}
	}
	return k
}

// MinTrials returns the trial count of the first look of a valid design: no verdict on a
// target uses fewer trials per side.
func (d Design) MinTrials() int { return d.Looks[0] }

// MaxTrials returns the trial count of the last look of a valid design: no verdict uses more
// trials per side.
func (d Design) MaxTrials() int { return d.Looks[len(d.Looks)-1] }

// looksText returns the looks as "3/5/10".
func (d Design) looksText() string {
	parts := make([]string, len(d.Looks))
	for i, n := range d.Looks {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, "/")
}

// TargetMethod names the method DecideTarget uses, in prose.
func (d Design) TargetMethod() string {
	return fmt.Sprintf("group-sequential Welch t interval of the log ratio, conservative degrees of freedom (looks at %s trials per side, %s α-spending, α = %s)",
		d.looksText(), d.Spending.title(), fmtFloat(d.Alpha))
}

// ExpectationMethod names the method DecideExpectation uses, in prose.
func (d Design) ExpectationMethod() string {
	return fmt.Sprintf("fail at the first mismatch; pass at a look (%s trials) once the one-sided %s Clopper–Pearson bound of the mismatch rate is low enough",
		d.looksText(), pctText(1-d.Alpha/2))
}

func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }

// pctText formats a probability as a percentage with up to two decimals, without trailing
// zeros: 0.975 → "97.5%".
func pctText(p float64) string {
	s := strconv.FormatFloat(100*p, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "%"
}
