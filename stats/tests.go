package stats

import (
	"errors"
	"math"
	"sort"

	mstats "github.com/aclements/go-moremath/stats"
	"gonum.org/v1/gonum/stat"
)

// UTest returns the two-sided Mann–Whitney U test p-value of x against y (go-moremath, exact
// for small samples). Samples whose values are all equal give p = 1; an empty sample is an
// error.
func UTest(x, y []float64) (float64, error) {
	res, err := mstats.MannWhitneyUTest(x, y, mstats.LocationDiffers)
	if errors.Is(err, mstats.ErrSamplesEqual) {
		return 1, nil
	}
	if err != nil {
		return math.NaN(), err
	}
	return res.P, nil
}

// Holm returns Holm–Bonferroni adjusted p-values, in the order of ps. NaN entries are skipped
// (they stay NaN and do not count towards the number of comparisons).
func Holm(ps []float64) []float64 {
	idx := make([]int, 0, len(ps))
	for i, p := range ps {
		if !math.IsNaN(p) {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return ps[idx[a]] < ps[idx[b]] })
	out := make([]float64, len(ps))
	for i := range out {
		out[i] = math.NaN()
	}
	m := len(idx)
	running := 0.0
	for rank, i := range idx {
		adj := min(1, float64(m-rank)*ps[i])
		running = max(running, adj)
		out[i] = running
	}
	return out
}

// GeoMean returns the geometric mean of the positive, finite values of xs, and how many there
// were (NaN and 0 when there is none).
func GeoMean(xs []float64) (float64, int) {
	var pos []float64
	for _, x := range xs {
		if x > 0 && !math.IsInf(x, 0) {
			pos = append(pos, x)
		}
	}
	if len(pos) == 0 {
		return math.NaN(), 0
	}
	return stat.GeometricMean(pos, nil), len(pos)
}
