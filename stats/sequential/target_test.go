package sequential

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	mstats "github.com/aclements/go-moremath/stats"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// t2Quantile is the p quantile of Student's t with 2 degrees of freedom, in closed form.
func t2Quantile(p float64) float64 { return (2*p - 1) / math.Sqrt(2*p*(1-p)) }

// meanVar returns the mean and the n−1 variance of xs.
func meanVar(xs []float64) (m, v float64) {
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return m, v / float64(len(xs)-1)
}

func logs(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Log(x)
	}
	return out
}

// firstLookInterval computes, independently of the package, the reduction and its interval at
// the default design's first look (3 trials per side, so 2 degrees of freedom).
func firstLookInterval(base, cand []float64) (est, lo, hi, level float64) {
	alpha := 0.025 * math.Log(1+(math.E-1)*0.3)
	mb, vb := meanVar(logs(base[:3]))
	mc, vc := meanVar(logs(cand[:3]))
	d := mc - mb
	half := t2Quantile(1-alpha) * math.Sqrt(vb/3+vc/3)
	return 1 - math.Exp(d), 1 - math.Exp(d+half), 1 - math.Exp(d-half), 1 - 2*alpha
}

func TestDecideTargetFirstLook(t *testing.T) {
	tests := []struct {
		name       string
		base, cand []float64
		target     float64
		verdict    Verdict
		next       int
	}{
		// 3 trials a side, reduction ≈ 70% but too noisy to tell from 65% after 3 trials.
		{"straddles", []float64{2.0, 2.2, 1.9}, []float64{0.6, 0.66, 0.55}, 0.65, Undecided, 5},
		{"clear pass", []float64{2.0, 2.05, 1.98}, []float64{0.5, 0.51, 0.49}, 0.65, Pass, 0},
		{"clear fail", []float64{2.0, 2.05, 1.98}, []float64{0.9, 0.92, 0.88}, 0.65, Fail, 0},
		{"no slower: pass", []float64{2.0, 2.05, 1.98}, []float64{1.8, 1.82, 1.79}, 0, Pass, 0},
		{"a slowdown of at most 20% allowed: fail", []float64{2.0, 2.05, 1.98}, []float64{2.9, 2.92, 2.88}, -0.2, Fail, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec, err := DefaultDesign().DecideTarget(tt.base, tt.cand, tt.target)
			require.NoError(t, err)
			est, lo, hi, level := firstLookInterval(tt.base, tt.cand)
			assert.Equal(t, tt.verdict, dec.Verdict, dec.String())
			assert.Equal(t, 1, dec.Look)
			assert.Equal(t, 3, dec.Looks)
			assert.Equal(t, 3, dec.TrialsBaseline)
			assert.Equal(t, 3, dec.TrialsCandidate)
			assert.InDelta(t, est, dec.Estimate, 1e-9)
			assert.InDelta(t, lo, dec.Lower, 1e-9)
			assert.InDelta(t, hi, dec.Upper, 1e-9)
			assert.InDelta(t, level, dec.Level, 1e-12)
			assert.Equal(t, tt.next, dec.Next)
			assert.Equal(t, tt.target, dec.Target)
			assert.Equal(t, DefaultDesign().TargetMethod(), dec.Method)
			// The verdict follows from the interval, computed here independently.
			switch {
			case lo >= tt.target:
				assert.Equal(t, Pass, dec.Verdict)
			case hi < tt.target:
				assert.Equal(t, Fail, dec.Verdict)
			default:
				assert.Equal(t, Undecided, dec.Verdict)
			}
		})
	}
}

// TestDecideTargetAgreesWithWelchTest checks every look of many random gates against
// go-moremath's Welch t statistic: at look k the target passes when the one-sided p-value of
// "log ratio below log(1 − target)" is at most the look's α, with min(n) − 1 degrees of freedom,
// fails when the opposite one-sided p-value is below it, and the first such look decides.
func TestDecideTargetAgreesWithWelchTest(t *testing.T) {
	d := DefaultDesign()
	alphas, err := d.LookAlphas()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	const target = 0.65
	shift := math.Log1p(-target)
	decided := map[Verdict]int{}
	for gate := range 3000 {
		truth := target + 0.3*(rng.Float64()-0.5)
		sb, sc := 0.02+0.3*rng.Float64(), 0.02+0.3*rng.Float64()
		base, cand := make([]float64, 10), make([]float64, 10)
		for i := range base {
			base[i] = 3 * math.Exp(sb*rng.NormFloat64())
			cand[i] = 3 * (1 - truth) * math.Exp(sc*rng.NormFloat64())
		}
		for _, welch := range []bool{false, true} {
			want := Decision{Verdict: Undecided, Look: 3}
			for k, n := range d.Looks {
				shifted := logs(cand[:n])
				for i := range shifted {
					shifted[i] -= shift
				}
				res, err := mstats.TwoSampleWelchTTest(mstats.Sample{Xs: shifted}, mstats.Sample{Xs: logs(base[:n])}, mstats.LocationLess)
				require.NoError(t, err)
				pLess := res.P
				if !welch {
					pLess = mstats.TDist{V: float64(n - 1)}.CDF(res.T)
				}
				if pLess <= alphas[k] {
					want = Decision{Verdict: Pass, Look: k + 1}
					break
				}
				if 1-pLess < alphas[k] {
					want = Decision{Verdict: Fail, Look: k + 1}
					break
				}
			}
			got := d.decideTarget(rule{alphas: alphas, welchDF: welch}, base, cand, target)
			require.Equal(t, want.Verdict, got.Verdict, "gate %d (Welch df %v): %s", gate, welch, got)
			require.Equal(t, want.Look, got.Look, "gate %d (Welch df %v): %s", gate, welch, got)
			if !welch {
				decided[got.Verdict]++
			}
		}
	}
	// The random gates exercise every outcome.
	for _, v := range []Verdict{Pass, Fail, Undecided} {
		assert.Greater(t, decided[v], 100, "%s verdicts", v)
	}
}

// TestDecideTargetUsesPlannedLooksOnly checks that look k sees only the first Looks[k] values
// of each side, so that a run holding extra trials is judged as a run that stopped at each look.
func TestDecideTargetUsesPlannedLooksOnly(t *testing.T) {
	d := DefaultDesign()
	base := []float64{2.0, 2.2, 1.9, 2.1, 2.05, 1.95, 2.15, 2.0, 1.9, 2.1, 2.0, 2.0}
	cand := []float64{0.6, 0.66, 0.55, 0.61, 0.63, 0.58, 0.6, 0.62, 0.59, 0.6, 0.6, 0.6}

	at5, err := d.DecideTarget(base[:5], cand[:5], 0.65)
	require.NoError(t, err)
	require.Equal(t, 2, at5.Look)

	// 7 and 9 trials: the look at 5, on the same 5 values, and the next look at 10.
	odd, err := d.DecideTarget(base[:9], cand[:7], 0.65)
	require.NoError(t, err)
	assert.Equal(t, 2, odd.Look)
	assert.Equal(t, 5, odd.TrialsBaseline)
	assert.Equal(t, at5.Lower, odd.Lower)
	assert.Equal(t, at5.Upper, odd.Upper)
	assert.Equal(t, 10, odd.Next)

	// Trials beyond the look do not count: changing them changes nothing.
	wild := slices.Clone(base[:9])
	wild[5], wild[8] = 50, 0.001
	same, err := d.DecideTarget(wild, cand[:7], 0.65)
	require.NoError(t, err)
	assert.Equal(t, odd, same)

	// Trials beyond the last look are never used.
	full, err := d.DecideTarget(base[:10], cand[:10], 0.65)
	require.NoError(t, err)
	more, err := d.DecideTarget(append(slices.Clone(base[:10]), 100, 100), append(slices.Clone(cand[:10]), 0.01), 0.65)
	require.NoError(t, err)
	assert.Equal(t, full, more)
	assert.Equal(t, 3, full.Look)
	assert.Equal(t, 0, full.Next)
}

// TestDecideTargetStopsAtFirstDecision checks that a target decided at an early look keeps
// that verdict whatever later trials show, as a runner that stopped there would report.
func TestDecideTargetStopsAtFirstDecision(t *testing.T) {
	d := DefaultDesign()
	base := []float64{2.0, 2.05, 1.98, 2, 2, 2, 2, 2, 2, 2}
	cand := []float64{0.5, 0.51, 0.49, 1.9, 1.95, 2.0, 1.9, 2.1, 1.8, 2.0} // later trials fail
	dec, err := d.DecideTarget(base, cand, 0.65)
	require.NoError(t, err)
	assert.Equal(t, Pass, dec.Verdict)
	assert.Equal(t, 1, dec.Look)
	assert.Equal(t, 3, dec.TrialsCandidate)
	assert.Equal(t, 0, dec.Next)
}

func TestDecideTargetUnusableData(t *testing.T) {
	d := DefaultDesign()
	tests := []struct {
		name       string
		base, cand []float64
		look, next int
		hasCI      bool
		reason     string
	}{
		{"too few trials", []float64{2, 2.1}, []float64{0.5, 0.6, 0.55, 0.5}, 0, 3, false,
			"too few trials for the first look: it needs 3 per side, have 2 baseline and 4 candidate"},
		{"zero overhead", []float64{2, 0, 2.1}, []float64{0.5, 0.6, 0.55}, 1, 0, false,
			"baseline trial 2 has the value 0: the log-ratio method needs positive, finite values"},
		{"negative at the second look", []float64{2, 2.2, 1.9, 2, 2.1}, []float64{0.6, 0.66, 0.55, 0.6, -0.01}, 2, 0, false,
			"candidate trial 5 has the value -0.01"},
		{"infinite", []float64{2, 2.2, math.Inf(1)}, []float64{0.6, 0.66, 0.55}, 1, 0, false, "baseline trial 3 has the value +Inf"},
		{"NaN", []float64{2, 2.2, 2}, []float64{0.6, math.NaN(), 0.55}, 1, 0, false, "candidate trial 2 has the value NaN"},
		{"no spread", []float64{2, 2, 2}, []float64{0.5, 0.5, 0.5}, 1, 5, false,
			"the first 3 values of each side are all equal: no interval: run look 2 at 5 trials per side"},
		{"straddling at the last look", []float64{2.0, 2.2, 1.9, 2.1, 2.05, 1.6, 2.5, 2.0, 1.8, 2.3},
			[]float64{0.5, 0.9, 0.55, 0.75, 0.6, 0.8, 0.58, 0.85, 0.62, 0.7}, 3, 0, true,
			"straddles the target 65%: the last planned look is spent, the verdict stays undecided"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dec, err := d.DecideTarget(tt.base, tt.cand, 0.65)
			require.NoError(t, err)
			assert.Equal(t, Undecided, dec.Verdict)
			assert.Equal(t, tt.look, dec.Look)
			assert.Equal(t, tt.next, dec.Next)
			assert.Equal(t, tt.hasCI, dec.HasInterval())
			assert.Contains(t, dec.Reason, tt.reason)
		})
	}
}

func TestDecideTargetBadTarget(t *testing.T) {
	for _, target := range []float64{1, 1.5, math.NaN(), math.Inf(-1)} {
		_, err := DefaultDesign().DecideTarget([]float64{1, 2, 3}, []float64{1, 2, 3}, target)
		require.Error(t, err, "target %v", target)
		assert.Contains(t, err.Error(), "it must be finite and below 1")
	}
}

func TestDecisionString(t *testing.T) {
	dec, err := DefaultDesign().DecideTarget([]float64{2.0, 2.05, 1.98}, []float64{0.5, 0.51, 0.49}, 0.65)
	require.NoError(t, err)
	assert.Regexp(t, `^pass at look 1 of 3 \(3 baseline, 3 candidate trials\): reduction 75(\.\d+)?%, 97\.92% interval \[7\d(\.\d+)?%, 7\d(\.\d+)?%\], target 65%; the whole interval is at or above the target: lower bound 7\d(\.\d+)?% ≥ 65%$`, dec.String())
	dec, err = DefaultDesign().DecideTarget([]float64{2}, nil, 0.65)
	require.NoError(t, err)
	assert.Equal(t, "undecided; too few trials for the first look: it needs 3 per side, have 1 baseline and 0 candidate", dec.String())
}
