package criteria

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"lockbench/stats/sequential"
)

// The methods of a Design.
const (
	// MethodSequential decides targets and expectations at planned looks and stops a cell once
	// nothing it feeds is undecided (package stats/sequential).
	MethodSequential = "group-sequential"
	// MethodFixed runs every cell's trials and judges once, at the end.
	MethodFixed = "fixed"
)

// Defaults of a sequential design.
const (
	// DefaultMinTrials is the first look of a sequential run: the fewest measured trials a cell
	// runs (fewer when max-trials is lower).
	DefaultMinTrials = 3
	// DefaultAlpha is the overall significance level of sequential verdicts: each wrong verdict
	// on a target has probability at most DefaultAlpha/2 over all looks.
	DefaultAlpha = 0.05
	// MinSequentialTrials is the least min-trials a sequential design accepts: a look estimates a
	// variance, which needs two trials.
	MinSequentialTrials = 2
)

// Design is how a run decides how many measured trials each cell gets and how its targets and
// expectations are judged, as the run's manifest records it so that its reports and a resume use
// the same one. A run with a nil Design in its manifest (written before designs were recorded)
// is a fixed run of its scenario's trials.
type Design struct {
	// Method is MethodSequential or MethodFixed.
	Method string `json:"method"`
	// Trials is the number of measured trials per cell of a fixed design.
	Trials int `json:"trials,omitempty"`
	// Looks are the measured trials per cell (per side of a target) at which a sequential design
	// examines the evidence; the first is the least a cell runs, the last the most.
	Looks []int `json:"looks,omitempty"`
	// Alpha is the overall significance level and Spending the α-spending function
	// (sequential.ParseSpending's names) of a sequential design.
	Alpha    float64 `json:"alpha,omitempty"`
	Spending string  `json:"spending,omitempty"`
	// ExpectationMaxRate is the mismatch rate an expectation's pass must exclude at confidence
	// 1 − Alpha/2: the bound that the first look's matching trials show, rounded up to 0.1%, so
	// that an expectation whose trials all match passes at the first look.
	ExpectationMaxRate float64 `json:"expectation_max_rate,omitempty"`
}

// IsSequential reports whether d is a sequential design.
func (d Design) IsSequential() bool { return d.Method == MethodSequential }

// MinTrials returns the fewest measured trials a cell runs: the first look, or the fixed count.
func (d Design) MinTrials() int {
	if d.IsSequential() && len(d.Looks) > 0 {
		return d.Looks[0]
	}
	return d.Trials
}

// MaxTrials returns the most measured trials a cell runs: the last look, or the fixed count.
func (d Design) MaxTrials() int {
	if d.IsSequential() && len(d.Looks) > 0 {
		return d.Looks[len(d.Looks)-1]
	}
	return d.Trials
}

// Plan returns the sequential design of d for package stats/sequential; an error for a fixed or
// invalid design.
func (d Design) Plan() (sequential.Design, error) {
	if !d.IsSequential() {
		return sequential.Design{}, fmt.Errorf("design %q is not sequential", d.Method)
	}
	sp, err := sequential.ParseSpending(d.Spending)
	if err != nil {
		return sequential.Design{}, err
	}
	p := sequential.Design{Looks: d.Looks, Alpha: d.Alpha, Spending: sp}
	return p, p.Validate()
}

// Validate checks a design read from a manifest.
func (d Design) Validate() error {
	switch d.Method {
	case MethodFixed:
		if d.Trials < 1 || d.Trials > MaxTrials {
			return fmt.Errorf("fixed design of %d trials per cell: want 1 to %d", d.Trials, MaxTrials)
		}
		return nil
	case MethodSequential:
		p, err := d.Plan()
		if err != nil {
			return fmt.Errorf("sequential design: %w", err)
		}
		if _, err := p.DecideExpectation(nil, d.ExpectationMaxRate); err != nil {
			return fmt.Errorf("sequential design: expectations: %w", err)
		}
		return nil
	}
	return fmt.Errorf("unknown design method %q: want %s or %s", d.Method, MethodSequential, MethodFixed)
}

// String describes the design in one line.
func (d Design) String() string {
	if !d.IsSequential() {
		return fmt.Sprintf("fixed: %d measured trials per cell", d.Trials)
	}
	return fmt.Sprintf("group-sequential: looks at %s measured trials per cell, %s α-spending, α = %s; stops when every target and expectation is decided",
		looksText(d.Looks), d.Spending, strconv.FormatFloat(d.Alpha, 'g', 4, 64))
}

func looksText(looks []int) string {
	parts := make([]string, len(looks))
	for i, n := range looks {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, "/")
}

// Looks returns the planned looks from lo to hi trials per cell (2 ≤ lo ≤ hi): lo, the
// geometric mean of lo and hi rounded to the nearest integer when it lies strictly between
// them, and hi. Looks(3, 10) is 3, 5, 10; Looks(3, 20) is 3, 8, 20; Looks(3, 4) is 3, 4.
func Looks(lo, hi int) []int {
	out := []int{lo}
	if mid := int(math.Round(math.Sqrt(float64(lo) * float64(hi)))); mid > lo && mid < hi {
		out = append(out, mid)
	}
	if hi > lo {
		out = append(out, hi)
	}
	return out
}

// SequentialDesign returns the group-sequential design with looks from lo to hi trials per cell
// (see Looks), α = DefaultAlpha and Pocock-type spending.
func SequentialDesign(lo, hi int) (Design, error) {
	if hi < MinSequentialTrials {
		return Design{}, fmt.Errorf("max-trials is %d: a sequential run needs at least %d; for one trial per cell use fixed with trials 1", hi, MinSequentialTrials)
	}
	if lo < MinSequentialTrials {
		return Design{}, fmt.Errorf("min-trials is %d: a sequential run needs at least %d (a look estimates a variance from two trials); for fewer trials per cell use fixed with trials", lo, MinSequentialTrials)
	}
	if hi > MaxTrials {
		return Design{}, fmt.Errorf("max-trials is %d: at most %d", hi, MaxTrials)
	}
	if lo > hi {
		return Design{}, fmt.Errorf("min-trials %d is above max-trials %d (max-trials defaults to trials): lower min-trials or raise max-trials", lo, hi)
	}
	def := sequential.DefaultDesign()
	p := sequential.Design{Looks: Looks(lo, hi), Alpha: DefaultAlpha, Spending: def.Spending}
	if err := p.Validate(); err != nil {
		return Design{}, err
	}
	d := Design{Method: MethodSequential, Looks: p.Looks, Alpha: p.Alpha, Spending: p.Spending.String(),
		ExpectationMaxRate: math.Ceil(p.MismatchBound(lo)*1000) / 1000}
	return d, d.Validate()
}

// FixedDesign returns the fixed design of trials measured trials per cell.
func FixedDesign(trials int) Design { return Design{Method: MethodFixed, Trials: trials} }
