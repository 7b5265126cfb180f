package trend

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The statistic by hand, for x = {0, 0, 0}, y = {3, 3}: the cross sum is 6 pairs × 3 = 18, so
// 2/(3·2)·18 = 6; both within sums are 0; Q = 3·2/5 · 6 = 7.2. For x = {0, 0}, y = {0, 3, 3}:
// cross 2·(0+3+3) = 12 → 2/6·12 = 4; within y: |0−3|+|0−3|+|3−3| = 6 over C(3,2) = 3 pairs → 2;
// Q = 6/5 · (4 − 0 − 2) = 2.4. For x = {1, 5}, y = {1, 5}: cross 8 → 2/4·8 = 4; each within
// sum 4 over one pair; Q = 4/4 · (4 − 4 − 4) = −4.
func TestDivergenceByHand(t *testing.T) {
	tests := []struct {
		x, y []float64
		want float64
	}{
		{[]float64{0, 0, 0}, []float64{3, 3}, 7.2},
		{[]float64{0, 0}, []float64{0, 3, 3}, 2.4},
		{[]float64{1, 5}, []float64{1, 5}, -4},
		{[]float64{1, 1}, []float64{5, 5}, 8},
		// x = {1, 2, 4}, y = {10, 12}: cross 9+11+8+10+6+8 = 52 → 2/6·52 = 17.333…; within x
		// 1+3+2 = 6 / 3 = 2; within y 2 / 1 = 2; Q = 6/5 · (52/3 − 4) = 16.
		{[]float64{1, 2, 4}, []float64{10, 12}, 16},
	}
	for _, tc := range tests {
		assert.InDelta(t, tc.want, Divergence(tc.x, tc.y), 1e-12, "%v | %v", tc.x, tc.y)
	}
	assert.True(t, math.IsNaN(Divergence([]float64{1}, []float64{2, 3})), "one value on a side has no within term")
}

// The best split found with the O(n²) sweep equals the largest Divergence computed directly
// over every admissible (τ, κ), on random series with ties.
func TestBestSplitMatchesDirectStatistic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 300; iter++ {
		n := 4 + rng.IntN(20)
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(rng.IntN(6)) + rng.Float64()*float64(rng.IntN(2))
		}
		lo := rng.IntN(3)
		hi := n - rng.IntN(3)
		d := newDivisive(xs)
		c, ok := d.best(segment{lo, hi}, identity(d.order))
		if hi-lo < 4 {
			assert.False(t, ok)
			continue
		}
		require.True(t, ok)
		bestQ := math.Inf(-1)
		for kappa := lo + 4; kappa <= hi; kappa++ {
			for tau := lo + 2; tau <= kappa-2; tau++ {
				bestQ = max(bestQ, Divergence(xs[lo:tau], xs[tau:kappa]))
			}
		}
		assert.InDelta(t, bestQ, c.q, 1e-9*max(1, math.Abs(bestQ)))
		assert.InDelta(t, c.q, Divergence(xs[lo:c.tau], xs[c.tau:c.kappa]), 1e-9*max(1, math.Abs(c.q)), "the reported split has the reported statistic")
	}
}

// The permutation test by hand. [1, 1, 5, 5] has one admissible split (2 | 2), Q = 8. Of the
// 24 orders of the four values, those that put both 1s (4 orders) or both 5s (4 orders) first
// reach Q = 8; the other 16 give −4: p = 8/24 = 1/3.
//
// [0, 0, 0, 3, 3] has splits 00|03 (Q = 0), 00|033 (2.4) and 000|33 (7.2). Of the 10
// arrangements of three 0s and two 3s (12 orders each), 00033 reaches 7.2 at 000|33 and 33000
// at 33|000 (x = {3, 3}, y = {0, 0, 0}: Q = 7.2); every other one stays below (the best of
// 00330 is 00|33 with Q = 6): p = 2/10 = 0.2.
func TestPermutationTestByHand(t *testing.T) {
	for _, tc := range []struct {
		xs    []float64
		q, p  float64
		split int
	}{
		{[]float64{1, 1, 5, 5}, 8, 1.0 / 3, 2},
		{[]float64{0, 0, 0, 3, 3}, 7.2, 0.2, 3},
	} {
		d := newDivisive(tc.xs)
		segs := []segment{{0, len(tc.xs)}}
		c, ok := d.bestOf(segs, identity(d.order))
		require.True(t, ok)
		assert.InDelta(t, tc.q, c.q, 1e-12)
		assert.Equal(t, tc.split, c.tau)
		p := d.permutationP(segs, c.q, 1000, 1, nil) // ≤ 1000 arrangements: exact
		assert.InDelta(t, tc.p, p, 1e-12, "%v", tc.xs)
	}
}

// Permutations within two segments: after a split of [0, 0, 3, 3 | 7, 7, 9, 9] only the
// arrangements within each half count (4!·4! = 576). In the left half the best split is 2 | 2
// with Q = 6 for 00|33 (x = {0, 0}, y = {3, 3}: 2/4·12 = 6, Q = 4/4·6 = 6) and for 33|00; in
// the right half, 77|99 or 99|77 give Q = 4: the best over both segments reaches 6 exactly
// when the left half is arranged 00|33 or 33|00, i.e. in 8 of 24 left orders, whatever the
// right half: p = 1/3.
func TestPermutationTestWithinSegments(t *testing.T) {
	d := newDivisive([]float64{0, 0, 3, 3, 7, 7, 9, 9})
	segs := []segment{{0, 4}, {4, 8}}
	c, ok := d.bestOf(segs, identity(d.order))
	require.True(t, ok)
	assert.Equal(t, segment{0, 4}, c.seg)
	assert.InDelta(t, 6, c.q, 1e-12)
	assert.InDelta(t, 1.0/3, d.permutationP(segs, c.q, 1000, 1, nil), 1e-12)

	// Random permutations estimate the same p-value.
	rng := rand.New(rand.NewPCG(7, 7))
	p := d.permutationP(segs, c.q, 4999, 1, rng)
	assert.InDelta(t, 1.0/3, p, 0.03)
}

// E-Divisive finds a step at its exact position, a step with a later recovery at both ends,
// and nothing in a constant series.
func TestEDivisiveFindsSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	noisy := func(n int, level float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = level * (1 + 0.02*rng.NormFloat64())
		}
		return out
	}
	step := append(noisy(15, 1), noisy(10, 1.2)...)
	got := EDivisive(step, 0.05, 199, rand.New(rand.NewPCG(1, 1)))
	require.Len(t, got, 1)
	assert.Equal(t, 15, got[0].Index)
	assert.LessOrEqual(t, got[0].P, 0.05)

	bump := append(append(noisy(12, 1), noisy(8, 1.3)...), noisy(12, 1)...)
	got = EDivisive(bump, 0.05, 199, rand.New(rand.NewPCG(1, 1)))
	require.Len(t, got, 2)
	assert.Equal(t, 12, got[0].Index)
	assert.Equal(t, 20, got[1].Index)

	flat := []float64{2, 2, 2, 2, 2, 2, 2, 2, 2, 2}
	assert.Empty(t, EDivisive(flat, 0.05, 199, rand.New(rand.NewPCG(1, 1))))
}

func TestNextPermutationEnumeratesAll(t *testing.T) {
	p := []int{0, 1, 2, 3}
	seen := map[[4]int]bool{}
	for {
		seen[[4]int(p)] = true
		if !nextPermutation(p) {
			break
		}
	}
	assert.Len(t, seen, 24)
	assert.Equal(t, []int{0, 1, 2, 3}, p, "sorted again at the end")
}

// BenchmarkEDivisive1000 times change point detection on 1,000 run medians with two steps.
func BenchmarkEDivisive1000(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	xs := make([]float64, 1000)
	for i := range xs {
		level := 1.0
		if i >= 400 {
			level = 1.2
		}
		if i >= 700 {
			level = 1.1
		}
		xs[i] = level * (1 + 0.03*rng.NormFloat64())
	}
	for b.Loop() {
		got := EDivisive(xs, 0.05, 199, rand.New(rand.NewPCG(1, 1)))
		if len(got) < 2 {
			b.Fatalf("found %v", got)
		}
	}
}
