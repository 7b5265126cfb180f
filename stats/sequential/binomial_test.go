package sequential

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClopperPearson(t *testing.T) {
	tests := []struct {
		k, n   int
		conf   float64
		lo, hi float64
	}{
		// R: binom.test(5, 10)$conf.int
		{5, 10, 0.95, 0.1870860, 0.8129140},
		// Zero or all successes have closed forms: 1 − (a/2)^(1/n) and its mirror.
		{0, 10, 0.95, 0, 1 - math.Pow(0.025, 0.1)},
		{10, 10, 0.95, math.Pow(0.025, 0.1), 1},
		{0, 2000, 0.95, 0, 1 - math.Pow(0.025, 1.0/2000)},
		{1, 1, 0.9, 0.05, 1},
	}
	for _, tt := range tests {
		lo, hi, err := ClopperPearson(tt.k, tt.n, tt.conf)
		require.NoError(t, err)
		assert.InDelta(t, tt.lo, lo, 1e-7, "%d of %d: lower", tt.k, tt.n)
		assert.InDelta(t, tt.hi, hi, 1e-7, "%d of %d: upper", tt.k, tt.n)
	}
}

// Each bound is where the binomial tail probability equals (1 − confidence)/2, and the interval
// of k successes mirrors that of n − k failures.
func TestClopperPearsonTails(t *testing.T) {
	binomCDF := func(k, n int, p float64) float64 { // P(X ≤ k), summed directly
		s := 0.0
		for i := 0; i <= k; i++ {
			lc, _ := math.Lgamma(float64(n + 1))
			li, _ := math.Lgamma(float64(i + 1))
			lr, _ := math.Lgamma(float64(n - i + 1))
			s += math.Exp(lc - li - lr + float64(i)*math.Log(p) + float64(n-i)*math.Log1p(-p))
		}
		return s
	}
	for _, c := range []struct{ k, n int }{{1, 20}, {37, 2000}, {50, 2000}, {1900, 2000}} {
		lo, hi, err := ClopperPearson(c.k, c.n, 0.95)
		require.NoError(t, err)
		assert.InDelta(t, 0.025, binomCDF(c.k, c.n, hi), 1e-9, "%v upper", c)
		assert.InDelta(t, 0.025, 1-binomCDF(c.k-1, c.n, lo), 1e-9, "%v lower", c)
		mlo, mhi, err := ClopperPearson(c.n-c.k, c.n, 0.95)
		require.NoError(t, err)
		assert.InDelta(t, 1-hi, mlo, 1e-12)
		assert.InDelta(t, 1-lo, mhi, 1e-12)
	}
}

func TestClopperPearsonBadInput(t *testing.T) {
	for _, c := range []struct {
		k, n int
		conf float64
		err  string
	}{
		{0, 0, 0.95, "trials > 0"},
		{3, 2, 0.95, "0 ≤ successes ≤ trials"},
		{-1, 2, 0.95, "0 ≤ successes ≤ trials"},
		{1, 2, 1, "strictly between 0 and 1"},
		{1, 2, 0, "strictly between 0 and 1"},
	} {
		_, _, err := ClopperPearson(c.k, c.n, c.conf)
		assert.ErrorContains(t, err, c.err, "%+v", c)
	}
}
