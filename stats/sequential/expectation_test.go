package sequential

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTrialsToPass(t *testing.T) {
	d := Design{Looks: []int{3, 5, 10, 100}, Alpha: 0.05}
	for _, rate := range []float64{0.01, 0.05, 0.1, 0.2, 0.3, 0.30853, 0.5, 0.52182, 0.7, 0.9, 0.99} {
		// The smallest n with (1 − rate)^n ≤ α/2, by counting.
		want := 1
		for math.Pow(1-rate, float64(want)) > 0.025 {
			want++
		}
		got, err := d.TrialsToPass(rate)
		require.NoError(t, err)
		assert.Equal(t, want, got, "rate %v", rate)
		assert.LessOrEqual(t, d.MismatchBound(got), rate, "rate %v", rate)
		if got > 1 {
			assert.Greater(t, d.MismatchBound(got-1), rate, "rate %v", rate)
		}
	}
	for _, rate := range []float64{0, 1, -0.1, math.NaN()} {
		_, err := d.TrialsToPass(rate)
		assert.ErrorContains(t, err, "strictly between 0 and 1", "rate %v", rate)
	}
}

// The bound after n matching trials is the upper end of the two-sided Clopper–Pearson interval
// at confidence 1 − α for 0 mismatches: its one-sided level is 1 − α/2.
func TestMismatchBoundIsClopperPearson(t *testing.T) {
	d := DefaultDesign()
	assert.Equal(t, 1.0, d.MismatchBound(0))
	for _, n := range []int{1, 3, 5, 10, 37, 200} {
		_, hi, err := ClopperPearson(0, n, 1-d.Alpha)
		require.NoError(t, err)
		assert.InDelta(t, hi, d.MismatchBound(n), 1e-12, "n = %d", n)
	}
}

func TestDecideExpectation(t *testing.T) {
	d := DefaultDesign() // looks at 3, 5 and 10 trials; bounds 70.8%, 52.2% and 30.9%
	all := func(n int) []bool {
		out := make([]bool, n)
		for i := range out {
			out[i] = true
		}
		return out
	}
	with := func(n, bad int) []bool {
		out := all(n)
		out[bad-1] = false
		return out
	}
	tests := []struct {
		name           string
		matched        []bool
		maxRate        float64
		verdict        Verdict
		look, trials   int
		mismatch, next int
		reason         string
	}{
		{"pass at the first look", all(3), 0.75, Pass, 1, 3, 0, 0, "all 3 trials matched: the mismatch rate is at most 70.76% at 97.5% confidence (75% required)"},
		{"pass at the second look", all(7), 0.55, Pass, 2, 5, 0, 0, "all 5 trials matched"},
		{"pass at the last look", all(10), 0.35, Pass, 3, 10, 0, 0, "at most 30.85%"},
		{"waiting for the look that can pass", all(9), 0.35, Undecided, 2, 5, 0, 10, "9 trials matched so far; a pass needs 9 matching trials (the look at 10) to show a mismatch rate of at most 35%"},
		{"no look yet", all(2), 0.75, Undecided, 0, 0, 0, 3, "2 trials matched so far; a pass needs 3"},
		{"fail at the first mismatch", with(4, 4), 0.35, Fail, 2, 4, 4, 0, "trial 4 did not show the expected outcome"},
		{"fail before the first look", with(2, 1), 0.75, Fail, 1, 1, 1, 0, "trial 1"},
		{"fail before the look that can pass", with(10, 9), 0.35, Fail, 3, 9, 9, 0, "trial 9"},
		{"a mismatch after the passing look is not used", with(10, 4), 0.75, Pass, 1, 3, 0, 0, "all 3 trials matched"},
		{"a mismatch beyond the last look is not used", append(all(10), false), 0.35, Pass, 3, 10, 0, 0, "all 10 trials matched"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := d.DecideExpectation(tt.matched, tt.maxRate)
			require.NoError(t, err)
			assert.Equal(t, tt.verdict, e.Verdict, e.String())
			assert.Equal(t, tt.look, e.Look, "look")
			assert.Equal(t, 3, e.Looks)
			assert.Equal(t, tt.trials, e.Trials, "trials")
			assert.Equal(t, tt.mismatch, e.Mismatch, "mismatch")
			assert.Equal(t, tt.next, e.Next, "next")
			assert.Equal(t, 0.975, e.Level)
			assert.Equal(t, tt.maxRate, e.MaxRate)
			assert.Contains(t, e.Reason, tt.reason)
			if e.Verdict == Pass {
				assert.LessOrEqual(t, e.Bound, tt.maxRate)
				assert.InDelta(t, 1-math.Pow(0.025, 1/float64(e.Trials)), e.Bound, 1e-12)
			}
		})
	}
}

func TestDecideExpectationUnreachableRate(t *testing.T) {
	_, err := DefaultDesign().DecideExpectation([]bool{true}, 0.2)
	require.ErrorContains(t, err, "showing a mismatch rate below 20% at 97.5% confidence needs 17 matching trials, but the last look is at 10: raise the last look or the rate")
}

// TestExpectationErrorControl simulates cells whose trials mismatch with probability exactly
// maxRate: a pass is then wrong, and must come in at most α/2 of the cells. Without the rule
// (passing at the first look whatever its bound) it must come more often.
func TestExpectationErrorControl(t *testing.T) {
	d := DefaultDesign()
	gates := *gatesFlag
	for _, maxRate := range []float64{0.35, 0.55, 0.75} {
		rng := rand.New(rand.NewPCG(uint64(100*maxRate), 7))
		passed, early := 0, 0
		matched := make([]bool, d.MaxTrials())
		for range gates {
			for i := range matched {
				matched[i] = rng.Float64() >= maxRate
			}
			e, err := d.DecideExpectation(matched, maxRate)
			require.NoError(t, err)
			if e.Verdict == Pass {
				passed++
			}
			if !nonePrefix(matched[:d.Looks[0]]) {
				early++ // the broken rule: pass when the first look's trials all matched
			}
		}
		p := float64(passed) / float64(gates)
		assert.LessOrEqual(t, p, d.Alpha/2, "max rate %v: P(pass) = %s", maxRate, rate(t, passed, gates))
		// The exact probability is (1 − maxRate)^n for the first look n that can pass.
		n, err := d.TrialsToPass(maxRate)
		require.NoError(t, err)
		exact := math.Pow(1-maxRate, float64(firstLookAtLeast(d.Looks, n)))
		lo, hi := cpInterval(t, passed, gates)
		assert.True(t, lo <= exact && exact <= hi, "max rate %v: P(pass) = %s, exact %.4f", maxRate, rate(t, passed, gates), exact)
		if maxRate < 0.7 {
			assert.True(t, significantlyOver(t, outcome{gates: gates, pass: early}, d.Alpha/2),
				"max rate %v: passing at the first look should exceed α/2, got %s", maxRate, rate(t, early, gates))
		}
	}
}

// nonePrefix reports whether any of matched is false.
func nonePrefix(matched []bool) bool {
	for _, ok := range matched {
		if !ok {
			return true
		}
	}
	return false
}
