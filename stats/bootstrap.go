package stats

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// seedOf returns a seed derived from the values of the samples, so a bootstrap over the same
// data always draws the same resamples (as benchseries does). Callers pass sorted samples, so
// the seed depends on each sample's multiset of values, not on the order they were loaded in.
func seedOf(samples ...[]float64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, xs := range samples {
		for _, x := range xs {
			u := math.Float64bits(x)
			for i := range b {
				b[i] = byte(u >> (8 * i))
			}
			h.Write(b[:])
		}
		h.Write([]byte{0xff}) // separate the samples
	}
	return h.Sum64()
}

// bootstrap draws resamples of base and cand (each with replacement, of its own size) from a
// generator seeded by the sorted values, and returns stat of each pair of resampled medians,
// sorted. The samples are sorted first, so the result depends only on their multisets: shards
// merged in any order, or trials recorded in any order, give the same draws.
func bootstrap(base, cand []float64, resamples int, stat func(mb, mc float64) float64) []float64 {
	base, cand = sortedCopy(base), sortedCopy(cand)
	seed := seedOf(base, cand)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	bs, cs := make([]float64, len(base)), make([]float64, len(cand))
	out := make([]float64, 0, resamples)
	for range resamples {
		for i := range bs {
			bs[i] = base[rng.IntN(len(base))]
		}
		for i := range cs {
			cs[i] = cand[rng.IntN(len(cand))]
		}
		sort.Float64s(bs)
		sort.Float64s(cs)
		out = append(out, stat(median(bs), median(cs)))
	}
	sort.Float64s(out)
	return out
}

// percentileCI returns the percentile interval of sorted draws at the given confidence, or nil
// when it is not finite.
func percentileCI(draws []float64, confidence float64) *Interval {
	a := (1 - confidence) / 2
	lo := stat.Quantile(a, stat.Empirical, draws, nil)
	hi := stat.Quantile(1-a, stat.Empirical, draws, nil)
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) || math.IsNaN(lo) || math.IsNaN(hi) {
		return nil
	}
	return &Interval{Lo: lo, Hi: hi, Level: confidence}
}

// BootstrapRatio returns median(cand)/median(base) and its percentile-bootstrap interval at the
// given confidence from resamples independent resamples of each side. The generator is seeded
// from the sorted data, so the result is reproducible and independent of the order of the
// values. ok is false when either sample is empty or the ratio is undefined (a baseline median
// that is not positive, or a ratio too large to be finite); ci is nil when the interval is not
// finite.
func BootstrapRatio(base, cand []float64, resamples int, confidence float64) (ratio float64, ci *Interval, ok bool) {
	if len(base) == 0 || len(cand) == 0 || resamples < 1 {
		return 0, nil, false
	}
	mb, mc := Median(base), Median(cand)
	if !(mb > 0) {
		return 0, nil, false
	}
	ratio = mc / mb
	if math.IsInf(ratio, 0) || math.IsNaN(ratio) {
		return 0, nil, false
	}
	draws := bootstrap(base, cand, resamples, func(mb, mc float64) float64 { return mc / mb })
	return ratio, percentileCI(draws, confidence), true
}

// BootstrapDiff returns median(cand) − median(base) in the samples' unit and its
// percentile-bootstrap interval, drawn as BootstrapRatio draws. It is the comparison where a
// ratio is undefined (a baseline median of 0). ok is false when either sample is empty.
func BootstrapDiff(base, cand []float64, resamples int, confidence float64) (diff float64, ci *Interval, ok bool) {
	if len(base) == 0 || len(cand) == 0 || resamples < 1 {
		return 0, nil, false
	}
	diff = Median(cand) - Median(base)
	draws := bootstrap(base, cand, resamples, func(mb, mc float64) float64 { return mc - mb })
	return diff, percentileCI(draws, confidence), true
}
