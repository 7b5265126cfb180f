package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func seq(lo, hi float64) []float64 {
	var out []float64
	for x := lo; x <= hi; x++ {
		out = append(out, x)
	}
	return out
}

// TestUTestKnown checks two-sided exact p-values of fully separated samples: 2/C(n1+n2, n1),
// which are benchstat's uTestMinP table (n=3: 0.1, n=4: 0.0286, n=5: 0.0079), and a textbook
// example with overlap.
func TestUTestKnown(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		want float64
	}{
		{"n=3 separated", seq(1, 3), seq(4, 6), 2.0 / 20},
		{"n=4 separated", seq(1, 4), seq(5, 8), 2.0 / 70},
		{"n=5 separated", seq(1, 5), seq(6, 10), 2.0 / 252},
		// U = 1 (one pair where x > y): P(U <= 1) = 2/C(6,3) = 0.1, two-sided 0.2.
		{"n=3 one swap", []float64{1, 2, 4}, []float64{3, 5, 6}, 0.2},
		{"identical", []float64{1, 1, 1}, []float64{1, 1, 1}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := UTest(tc.x, tc.y)
			require.NoError(t, err)
			assert.InDelta(t, tc.want, p, 1e-9)
			q, err := UTest(tc.y, tc.x)
			require.NoError(t, err)
			assert.InDelta(t, p, q, 1e-12, "two-sided test is symmetric")
		})
	}
	_, err := UTest(nil, []float64{1})
	assert.Error(t, err)
}

// TestMedianCI checks the order-statistic interval of the median against the binomial answer:
// for n=10 the 95% interval is [x(2), x(9)] at 97.85%, for n=6 [x(1), x(6)] at 96.875%, for
// n=11 [x(2), x(9)] at 96.14%, and n=5 has none.
func TestMedianCI(t *testing.T) {
	tests := []struct {
		n              int
		lo, hi, median float64
		level          float64
	}{
		{10, 2, 9, 5.5, 1 - 2*(1.0+10)/1024},
		{6, 1, 6, 3.5, 1 - 2.0/64},
		// n=11: QuantileCI left-biases to the asymmetric [x(2), x(9)] = P(2 <= K <= 8).
		{11, 2, 9, 6, 1 - (1.0+11+1+11+55)/2048},
	}
	for _, tc := range tests {
		s := Summarize(seq(1, float64(tc.n)), 0.95)
		require.NotNil(t, s.MedianCI, "n=%d", tc.n)
		assert.Equal(t, tc.median, s.Median)
		assert.Equal(t, tc.lo, s.MedianCI.Lo, "n=%d", tc.n)
		assert.Equal(t, tc.hi, s.MedianCI.Hi, "n=%d", tc.n)
		assert.InDelta(t, tc.level, s.MedianCI.Level, 1e-9, "n=%d", tc.n)
	}
	assert.Nil(t, Summarize(seq(1, 5), 0.95).MedianCI, "n=5 has no finite 95% interval")
	assert.Nil(t, Summarize(nil, 0.95))
}

func TestSummaryBasics(t *testing.T) {
	s := Summarize([]float64{2, 4, 4, 4, 5, 5, 7, 9}, 0.95)
	assert.Equal(t, 8, s.N)
	assert.InDelta(t, 5, s.Mean, 1e-12)
	assert.InDelta(t, math.Sqrt(32.0/7), s.SD, 1e-12)
	assert.InDelta(t, s.SD/5, s.CV, 1e-12)
	assert.Equal(t, 2.0, s.Min)
	assert.Equal(t, 9.0, s.Max)
	assert.Equal(t, 4.5, s.Median)
	assert.Equal(t, 0.5, s.MAD) // deviations .5 ×5, 2.5, 2.5, 4.5
}

func TestOutliers(t *testing.T) {
	xs := []float64{10, 10.1, 9.9, 10.2, 9.8, 10.05, 9.95, 10.1, 13, 30}
	s := Summarize(xs, 0.95)
	require.Len(t, s.Outliers, 2)
	assert.Equal(t, 9, s.Outliers[0].Trial)
	assert.Equal(t, "high", s.Outliers[0].Side)
	assert.Equal(t, []string{"tukey-severe", "mad-z"}, s.Outliers[1].Rules)
	assert.Equal(t, 10, s.Outliers[1].Trial)

	// Equal values: no fences, no outliers.
	assert.Empty(t, Summarize([]float64{1, 1, 1, 1, 1}, 0.95).Outliers)
}

func TestBimodality(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var two, one []float64
	for i := range 20 {
		c := 10.0
		if i%2 == 1 {
			c = 20
		}
		two = append(two, c+0.2*rng.NormFloat64())
		one = append(one, 10*math.Exp(0.1*rng.NormFloat64()))
	}
	bi := Summarize(two, 0.95)
	assert.True(t, bi.Bimodal, "BC %.3f", bi.BimodalityCoefficient)
	assert.Greater(t, bi.BimodalityCoefficient, 5.0/9)
	uni := Summarize(one, 0.95)
	assert.False(t, uni.Bimodal, "BC %.3f", uni.BimodalityCoefficient)
	// One far outlier is not a second mode.
	out := Summarize([]float64{10, 10.1, 9.9, 10.2, 9.8, 10.05, 9.95, 10.1, 10, 30}, 0.95)
	assert.False(t, out.Bimodal)
}

func TestHolm(t *testing.T) {
	got := Holm([]float64{0.01, 0.04, 0.03, 0.005, math.NaN()})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i, w := range want {
		assert.InDelta(t, w, got[i], 1e-12, "index %d", i)
	}
	assert.True(t, math.IsNaN(got[4]))
	assert.Equal(t, []float64{1}, Holm([]float64{1}))
}

func TestGeoMean(t *testing.T) {
	g, n := GeoMean([]float64{0.5, 2, 4, 0, math.Inf(1)})
	assert.Equal(t, 3, n)
	assert.InDelta(t, math.Cbrt(4), g, 1e-12)
	_, n = GeoMean(nil)
	assert.Equal(t, 0, n)
}

func TestBootstrapDeterministic(t *testing.T) {
	base := []float64{10, 11, 12, 10.5, 11.5, 10.2, 11.8, 10.9}
	cand := []float64{3, 3.2, 3.1, 2.9, 3.3, 3.05}
	r1, ci1, ok := BootstrapRatio(base, cand, 500, 0.95)
	require.True(t, ok)
	r2, ci2, _ := BootstrapRatio(base, cand, 500, 0.95)
	assert.Equal(t, r1, r2)
	assert.Equal(t, ci1, ci2, "same data, same seed, same interval")
	assert.LessOrEqual(t, ci1.Lo, r1)
	assert.GreaterOrEqual(t, ci1.Hi, r1)
	_, _, ok = BootstrapRatio([]float64{0, 0, 0}, cand, 100, 0.95)
	assert.False(t, ok, "zero baseline median")
	_, _, ok = BootstrapRatio(nil, cand, 100, 0.95)
	assert.False(t, ok)
}

// TestBootstrapCoverage draws 200 synthetic experiments of lognormal samples whose medians
// differ by a known ratio and checks that the 95% percentile-bootstrap interval of the ratio of
// medians covers the true ratio in 88–99% of them.
func TestBootstrapCoverage(t *testing.T) {
	const (
		experiments = 200
		n           = 20
		trueRatio   = 0.35
		sigma       = 0.25
	)
	rng := rand.New(rand.NewPCG(2026, 65))
	covered := 0
	for range experiments {
		base, cand := make([]float64, n), make([]float64, n)
		for i := range n {
			base[i] = 10 * math.Exp(sigma*rng.NormFloat64())
			cand[i] = 10 * trueRatio * math.Exp(sigma*rng.NormFloat64())
		}
		_, ci, ok := BootstrapRatio(base, cand, 1000, 0.95)
		require.True(t, ok)
		require.NotNil(t, ci)
		if ci.Lo <= trueRatio && trueRatio <= ci.Hi {
			covered++
		}
	}
	cov := float64(covered) / experiments
	t.Logf("coverage %.3f", cov)
	assert.GreaterOrEqual(t, cov, 0.88)
	assert.LessOrEqual(t, cov, 0.99)
}

// TestBootstrapOrderFree checks that the bootstrap depends only on the multisets of values,
// not on the order they come in (shards merged in any order give the same interval).
func TestBootstrapOrderFree(t *testing.T) {
	base := []float64{10, 11, 12, 10.5, 11.5, 10.2, 11.8, 10.9}
	cand := []float64{3, 3.2, 3.1, 2.9, 3.3, 3.05}
	_, ci1, _ := BootstrapRatio(base, cand, 500, 0.95)
	rb, rc := slices.Clone(base), slices.Clone(cand)
	slices.Reverse(rb)
	slices.Reverse(rc)
	_, ci2, _ := BootstrapRatio(rb, rc, 500, 0.95)
	assert.Equal(t, ci1, ci2)
	d1, dci1, ok := BootstrapDiff(base, cand, 500, 0.95)
	require.True(t, ok)
	d2, dci2, _ := BootstrapDiff(rb, rc, 500, 0.95)
	assert.Equal(t, d1, d2)
	assert.Equal(t, dci1, dci2)
	assert.InDelta(t, Median(cand)-Median(base), d1, 1e-12)
}

func TestWilsonInterval(t *testing.T) {
	for _, tc := range []struct {
		ok, n  int
		lo, hi float64
	}{
		// Reference values: Wilson score interval at 95% (z = 1.959964).
		{8, 10, 0.4902, 0.9433},
		{0, 1, 0, 0.7935},
		{3, 3, 0.4385, 1},
		{50, 100, 0.4038, 0.5962},
	} {
		r := Wilson(tc.ok, tc.n, 0.95)
		require.NotNil(t, r.CI)
		assert.InDelta(t, tc.lo, r.CI.Lo, 5e-5, "%d/%d", tc.ok, tc.n)
		assert.InDelta(t, tc.hi, r.CI.Hi, 5e-5, "%d/%d", tc.ok, tc.n)
		assert.InDelta(t, float64(tc.ok)/float64(tc.n), r.Value, 1e-12)
	}
	assert.Nil(t, Wilson(0, 0, 0.95).CI)
}

func TestMedianRangeLevels(t *testing.T) {
	ci := MedianRange([]float64{1, 2, 4}, 0.95)
	require.NotNil(t, ci)
	assert.Equal(t, Interval{Lo: 1, Hi: 4, Level: 0.75}, *ci, "three values: the range, at the level it has")
	assert.Nil(t, MedianRange([]float64{1}, 0.95))
	big := MedianRange([]float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 0.95)
	require.NotNil(t, big)
	assert.GreaterOrEqual(t, big.Level, 0.95)
	assert.Less(t, big.Hi-big.Lo, 9.0, "ten values: a real interval, narrower than the range")
}

func TestMedian(t *testing.T) {
	xs := []float64{3, 1, 2, 10}
	assert.Equal(t, 2.5, Median(xs))
	assert.Equal(t, []float64{3, 1, 2, 10}, xs, "the input is not sorted in place")
	assert.True(t, math.IsNaN(Median(nil)))
}

func TestSummarizeObservationsNamesOutliers(t *testing.T) {
	var obs []Observation
	for i, x := range []float64{10, 10.1, 9.9, 10.2, 9.8, 10.05, 9.95, 10.1, 13, 30} {
		obs = append(obs, Observation{Value: x, Run: "r" + string(rune('a'+i%2)), Trial: 100 + i})
	}
	s := SummarizeObservations(obs, 0.95)
	require.Len(t, s.Outliers, 2)
	assert.Equal(t, Outlier{Trial: 109, Run: "rb", Value: 30, Side: "high", Rules: []string{"tukey-severe", "mad-z"}}, s.Outliers[1])
}
