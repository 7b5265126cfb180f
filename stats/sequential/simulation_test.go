package sequential

import (
	"flag"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// gatesFlag sets how many gates each simulated scenario runs. The default, 2,000, keeps the
// suite fast; docs/sequential-verdicts.md reports figures from -gates 100000.
var gatesFlag = flag.Int("gates", 2000, "simulated gates per scenario in the error-control tests")

// baselineMedian is the baseline's median overhead in seconds in the simulations (the S031-04
// baseline is a few seconds). The method is scale-free, so only the ratio to it matters.
const baselineMedian = 2.0

// scenario is one simulated setting: a target and the true reduction of the candidate's median,
// with lognormal noise of log-scale standard deviation sigma on each trial's metric value.
type scenario struct {
	target, truth float64
	// sigmaBase and sigmaCand are the log-scale standard deviations of each side's values.
	sigmaBase, sigmaCand float64
}

func (s scenario) String() string {
	noise := fmt.Sprintf("σ %g%%", 100*s.sigmaBase)
	if s.sigmaCand != s.sigmaBase {
		noise = fmt.Sprintf("σ %g%%/%g%%", 100*s.sigmaBase, 100*s.sigmaCand)
	}
	return fmt.Sprintf("target %g%%, true %+g pts, %s", 100*s.target, math.Round(100*(s.truth-s.target)), noise)
}

// seed derives a scenario's generator seed from its description and the design's name, so each
// scenario draws its own fixed stream.
func (s scenario) seed(design string) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%s", s, design)
	return h.Sum64()
}

// outcome counts the verdicts of simulated gates and the trials per side they ran.
type outcome struct {
	gates, pass, fail int
	trials, trials2   float64 // sum and sum of squares of the trials per side each gate ran
}

// meanTrials returns the mean trials per side and its standard error.
func (o outcome) meanTrials() (mean, se float64) {
	n := float64(o.gates)
	mean = o.trials / n
	v := (o.trials2 - n*mean*mean) / (n - 1)
	return mean, math.Sqrt(max(v, 0) / n)
}

// simulate runs gates simulated gates of design d, each look testing by r, on lognormal
// trial values: the baseline's median is baselineMedian, the candidate's (1 − truth) times it.
// Each gate draws the values of every planned trial and lets decideTarget walk the looks, which
// uses only the first Looks[k] values of each side at look k: the same as a runner that stops
// at the deciding look. A gate that never decides runs MaxTrials per side.
func simulate(d Design, r rule, s scenario, gates int, seed uint64) outcome {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	n := d.MaxTrials()
	base, cand := make([]float64, n), make([]float64, n)
	candMedian := baselineMedian * (1 - s.truth)
	o := outcome{gates: gates}
	for range gates {
		for i := range n {
			base[i] = baselineMedian * math.Exp(s.sigmaBase*rng.NormFloat64())
			cand[i] = candMedian * math.Exp(s.sigmaCand*rng.NormFloat64())
		}
		dec := d.decideTarget(r, base, cand, s.target)
		used := float64(n)
		switch dec.Verdict {
		case Pass:
			o.pass++
			used = float64(dec.TrialsBaseline)
		case Fail:
			o.fail++
			used = float64(dec.TrialsBaseline)
		}
		o.trials += used
		o.trials2 += used * used
	}
	return o
}

// designRule returns the rule DecideTarget uses for d.
func designRule(t *testing.T, d Design) rule {
	t.Helper()
	alphas, err := d.LookAlphas()
	if err != nil {
		t.Fatal(err)
	}
	return rule{alphas: alphas}
}

// unadjusted returns the broken rule: the full α/2 at every look, as if a fixed 95% interval
// were recomputed at each look without spending.
func unadjusted(t *testing.T, d Design) rule {
	r := designRule(t, d)
	for i := range r.alphas {
		r.alphas[i] = d.Alpha / 2
	}
	return r
}

// welchDF returns the design's rule with Welch–Satterthwaite degrees of freedom.
func welchDF(t *testing.T, d Design) rule {
	r := designRule(t, d)
	r.welchDF = true
	return r
}

// rate formats k of n as a percentage with its 95% Clopper–Pearson interval.
func rate(t *testing.T, k, n int) string {
	t.Helper()
	lo, hi := cpInterval(t, k, n)
	return fmt.Sprintf("%.2f%% [%.2f, %.2f]", 100*float64(k)/float64(n), 100*lo, 100*hi)
}

func cpInterval(t *testing.T, k, n int) (lo, hi float64) {
	t.Helper()
	lo, hi, err := ClopperPearson(k, n, 0.95)
	if err != nil {
		t.Fatal(err)
	}
	return lo, hi
}

// budgetViolations returns what breaks the error budget α/2 in o, or nil: an estimated rate of
// a wrong verdict above the budget. At the boundary (true reduction = target) a pass and a fail
// are both wrong.
func budgetViolations(t *testing.T, o outcome, budget float64) []string {
	t.Helper()
	var out []string
	for _, v := range []struct {
		name string
		k    int
	}{{"pass", o.pass}, {"fail", o.fail}} {
		if float64(v.k)/float64(o.gates) > budget {
			out = append(out, fmt.Sprintf("P(%s) = %s exceeds α/2 = %g%%", v.name, rate(t, v.k, o.gates), 100*budget))
		}
	}
	return out
}

// significantlyOver reports whether the simulation shows, at 95% confidence, that a wrong
// verdict is more likely than budget: the lower Clopper–Pearson bound of P(pass) or P(fail)
// lies above it.
func significantlyOver(t *testing.T, o outcome, budget float64) bool {
	t.Helper()
	lo1, _ := cpInterval(t, o.pass, o.gates)
	lo2, _ := cpInterval(t, o.fail, o.gates)
	return lo1 > budget || lo2 > budget
}

// scenarios returns the simulated settings: the S031-04 target (a 65% reduction) and "no
// slower" (0%), each with 5% and 20% noise, with the true reduction at the target and 10 points
// above and below it; then the 65% target at the boundary with unequal noise on the two sides,
// where Welch's interval is least exact.
func scenarios() []scenario {
	var out []scenario
	for _, target := range []float64{0.65, 0} {
		for _, sigma := range []float64{0.05, 0.20} {
			for _, delta := range []float64{0, 0.10, -0.10} {
				out = append(out, scenario{target: target, truth: target + delta, sigmaBase: sigma, sigmaCand: sigma})
			}
		}
	}
	return append(out,
		scenario{target: 0.65, truth: 0.65, sigmaBase: 0.20, sigmaCand: 0.05},
		scenario{target: 0.65, truth: 0.65, sigmaBase: 0.05, sigmaCand: 0.20})
}

// TestErrorControl simulates gates of each design on lognormal trial values and checks the
// error control of the designs DecideTarget runs, the speed of the default design, and that
// these checks catch a design that does not spend α. The rows it logs (go test -v) are the
// figures of docs/sequential-verdicts.md, which uses -gates 100000.
func TestErrorControl(t *testing.T) {
	gates := *gatesFlag
	if gates < 2000 {
		t.Fatalf("-gates %d: the error-control claims need at least 2000 simulated gates per scenario", gates)
	}
	type kind int
	const (
		shipped    kind = iota // a design as DecideTarget runs it: its error must stay within α/2
		comparison             // a variant DecideTarget does not use: figures only
		broken                 // no spending: the checks of shipped designs must catch it
	)
	designs := []struct {
		name string
		d    Design
		rule func(*testing.T, Design) rule
		kind kind
		fast bool // check power and trials at ±10 points, 5% noise, on the 65% target
	}{
		{"pocock 3/5/10", DefaultDesign(), designRule, shipped, true},
		{"obrien-fleming 3/5/10", Design{Looks: []int{3, 5, 10}, Alpha: 0.05, Spending: OBrienFleming}, designRule, shipped, false},
		{"pocock, Welch df", DefaultDesign(), welchDF, comparison, false},
		{"no spending 3/5/10", DefaultDesign(), unadjusted, broken, false},
	}
	var table strings.Builder
	fmt.Fprintf(&table, "gates per scenario: %d\n%-22s %-38s %-24s %-24s %s\n", gates, "design", "scenario", "P(pass) [95% CI]", "P(fail) [95% CI]", "E[trials/side]")
	for _, ds := range designs {
		if testing.Short() && ds.kind == comparison {
			continue // figures only
		}
		r := ds.rule(t, ds.d)
		budget := ds.d.Alpha / 2
		caught, shown := 0, 0 // boundary scenarios of a broken design that the checks catch
		for _, s := range scenarios() {
			o := simulate(ds.d, r, s, gates, s.seed(ds.name))
			m, se := o.meanTrials()
			fmt.Fprintf(&table, "%-22s %-38s %-24s %-24s %.2f ± %.2f\n", ds.name, s, rate(t, o.pass, gates), rate(t, o.fail, gates), m, se)
			name := ds.name + ", " + s.String()
			switch {
			case s.truth == s.target && ds.kind == shipped:
				for _, v := range budgetViolations(t, o, budget) {
					t.Errorf("%s: %s", name, v)
				}
			case s.truth == s.target && ds.kind == broken:
				if len(budgetViolations(t, o, budget)) > 0 {
					caught++
				}
				if significantlyOver(t, o, budget) {
					shown++
				}
			case ds.fast && s.target == 0.65 && s.sigmaBase == 0.05 && s.sigmaCand == 0.05:
				right := o.pass
				if s.truth < s.target {
					right = o.fail
				}
				if lo, _ := cpInterval(t, right, gates); lo < 0.90 {
					t.Errorf("%s: the right verdict came in %s of the gates, want at least 90%%", name, rate(t, right, gates))
				}
				if m > 5 {
					t.Errorf("%s: %.2f ± %.2f trials per side on average, want at most 5", name, m, se)
				}
			}
		}
		if ds.kind == broken {
			fmt.Fprintf(&table, "%s: the error-budget check fails in %d boundary scenarios, %d of them with a 95%% interval above α/2\n", ds.name, caught, shown)
			if shown == 0 {
				t.Errorf("%s: the simulation must show that a design without spending exceeds α/2 = %g%% in some scenario, but it shows it in none", ds.name, 100*budget)
			}
		}
	}
	t.Log("\n" + table.String())
}
