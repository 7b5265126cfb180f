package reports

import (
	"errors"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	mstats "github.com/aclements/go-moremath/stats"
	"gonum.org/v1/gonum/stat"
)

// Statistical defaults, after benchstat and criterion.
const (
	// DefaultAlpha is the significance level of Mann–Whitney U tests.
	DefaultAlpha = 0.05
	// DefaultConfidence is the level of every confidence interval.
	DefaultConfidence = 0.95
	// DefaultResamples is the number of bootstrap resamples.
	DefaultResamples = 2000
	// DefaultMinTrials is the floor of trials per side below which a target is unknown.
	DefaultMinTrials = 10
	// MinTrialsForCI is the smallest sample with a finite 95% order-statistic median interval.
	MinTrialsForCI = 6
	// MinTrialsForTest is the smallest sample per side for which a two-sided U test can reach
	// p < 0.05.
	MinTrialsForTest = 4
	// madZThreshold is the modified-Z cutoff of Iglewicz and Hoaglin.
	madZThreshold = 3.5
	// bimodalBC is Sarle's bimodality-coefficient cutoff (the value of a uniform distribution).
	bimodalBC = 5.0 / 9.0
)

// Interval is a confidence interval.
type Interval struct {
	// Lo and Hi are the interval's bounds.
	Lo float64 `json:"lo"`
	Hi float64 `json:"hi"`
	// Level is the interval's confidence level (for order-statistic intervals, the actual level,
	// which is at least the requested one).
	Level float64 `json:"level"`
}

// Outlier is a trial whose value lies outside a fence. Outliers are flagged, never dropped.
type Outlier struct {
	// Trial is the trial's number within its cell.
	Trial int `json:"trial"`
	// Run is the ID of the run the trial belongs to.
	Run string `json:"run,omitempty"`
	// Value is the trial's value in seconds.
	Value float64 `json:"value"`
	// Side is "high" or "low".
	Side string `json:"side"`
	// Rules lists the rules that flag the value: "tukey-mild" (beyond 1.5·IQR), "tukey-severe"
	// (beyond 3·IQR) and "mad-z" (modified Z score above 3.5).
	Rules []string `json:"rules"`
}

// Summary describes one metric of one cell: the values of its ok, non-warmup trials.
type Summary struct {
	// N is the number of values.
	N int `json:"n"`
	// Median is the sample median.
	Median float64 `json:"median"`
	// MedianCI is the distribution-free order-statistic interval of the median; nil when there
	// are fewer than MinTrialsForCI values.
	MedianCI *Interval `json:"median_ci,omitempty"`
	// Mean and SD are the sample mean and standard deviation (n−1; 0 for one value).
	Mean float64 `json:"mean"`
	SD   float64 `json:"sd"`
	// Min and Max are the extremes.
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// CV is the coefficient of variation SD/Mean (0 when the mean is 0).
	CV float64 `json:"cv"`
	// Q1 and Q3 are the quartiles; MAD is the median absolute deviation (unscaled).
	Q1  float64 `json:"q1"`
	Q3  float64 `json:"q3"`
	MAD float64 `json:"mad"`
	// Outliers are the flagged values, in trial order.
	Outliers []Outlier `json:"outliers,omitempty"`
	// BimodalityCoefficient is Sarle's coefficient (g²+1)/(k + 3(n−1)²/((n−2)(n−3))); 0 when
	// n < 4.
	BimodalityCoefficient float64 `json:"bimodality_coefficient"`
	// Bimodal is true when the coefficient exceeds 5/9 and the sorted values split at one gap
	// into two groups of at least max(2, n/10) values each, the gap being wider than three
	// robust standard deviations (1.4826·MAD) of either group.
	Bimodal bool `json:"bimodal"`
}

// sample is one value with where it came from.
type sample struct {
	run   string
	trial int
	value float64
}

func values(ss []sample) []float64 {
	out := make([]float64, len(ss))
	for i, s := range ss {
		out[i] = s.value
	}
	return out
}

// median returns the median of sorted xs (the mean of the two middle values for even n), as
// benchstat computes it.
func median(sorted []float64) float64 {
	return mstats.Sample{Xs: sorted, Sorted: true}.Quantile(0.5)
}

func sortedCopy(xs []float64) []float64 {
	out := slices.Clone(xs)
	sort.Float64s(out)
	return out
}

// Summarize computes the summary of xs at the given confidence level. It returns nil for an
// empty sample.
func Summarize(xs []float64, confidence float64) *Summary {
	ss := make([]sample, len(xs))
	for i, x := range xs {
		ss[i] = sample{trial: i + 1, value: x}
	}
	return summarize(ss, confidence)
}

func summarize(ss []sample, confidence float64) *Summary {
	if len(ss) == 0 {
		return nil
	}
	xs := sortedCopy(values(ss))
	n := len(xs)
	s := &Summary{N: n, Min: xs[0], Max: xs[n-1]}
	smp := mstats.Sample{Xs: xs, Sorted: true}
	s.Median = smp.Quantile(0.5)
	if n >= 2 {
		ci := mstats.QuantileCI(n, 0.5, confidence)
		_, lo, hi := ci.SampleCI(smp)
		if !math.IsInf(lo, 0) && !math.IsInf(hi, 0) {
			s.MedianCI = &Interval{Lo: lo, Hi: hi, Level: ci.Confidence}
		}
	}
	if n >= 2 {
		s.Mean, s.SD = stat.MeanStdDev(xs, nil)
	} else {
		s.Mean = xs[0]
	}
	if s.Mean != 0 {
		s.CV = s.SD / s.Mean
	}
	s.Q1 = stat.Quantile(0.25, stat.LinInterp, xs, nil)
	s.Q3 = stat.Quantile(0.75, stat.LinInterp, xs, nil)
	s.MAD = mad(xs, s.Median)
	s.Outliers = outliers(ss, s.Median, s.Q1, s.Q3, s.MAD)
	s.BimodalityCoefficient = bimodalityCoefficient(xs)
	s.Bimodal = s.BimodalityCoefficient > bimodalBC && hasGap(xs)
	return s
}

// mad returns the (unscaled) median absolute deviation of xs around med.
func mad(xs []float64, med float64) float64 {
	dev := make([]float64, len(xs))
	for i, x := range xs {
		dev[i] = math.Abs(x - med)
	}
	sort.Float64s(dev)
	return median(dev)
}

// outliers flags values beyond Tukey's fences (1.5 and 3 IQR from the quartiles, as criterion)
// or with a modified Z score 0.6745·|x−median|/MAD above 3.5 (Iglewicz and Hoaglin).
func outliers(ss []sample, med, q1, q3, madv float64) []Outlier {
	if len(ss) < 3 {
		return nil
	}
	iqr := q3 - q1
	var out []Outlier
	for _, s := range ss {
		x := s.value
		var rules []string
		side := "high"
		if x < med {
			side = "low"
		}
		if iqr > 0 {
			switch {
			case x > q3+3*iqr || x < q1-3*iqr:
				rules = append(rules, "tukey-severe")
			case x > q3+1.5*iqr || x < q1-1.5*iqr:
				rules = append(rules, "tukey-mild")
			}
		}
		if madv > 0 && 0.6745*math.Abs(x-med)/madv > madZThreshold {
			rules = append(rules, "mad-z")
		}
		if len(rules) > 0 {
			out = append(out, Outlier{Trial: s.trial, Run: s.run, Value: x, Side: side, Rules: rules})
		}
	}
	return out
}

// bimodalityCoefficient returns Sarle's bimodality coefficient of xs, using gonum's sample
// skewness and excess kurtosis with the usual small-sample correction; 0 when n < 4 or the
// values are all equal.
func bimodalityCoefficient(xs []float64) float64 {
	n := float64(len(xs))
	if len(xs) < 4 {
		return 0
	}
	_, sd := stat.MeanStdDev(xs, nil)
	if sd == 0 {
		return 0
	}
	g := stat.Skew(xs, nil)
	k := stat.ExKurtosis(xs, nil)
	den := k + 3*(n-1)*(n-1)/((n-2)*(n-3))
	if den <= 0 {
		return 0
	}
	return (g*g + 1) / den
}

// hasGap reports whether sorted xs split at their widest admissible gap into two groups that
// are each at least max(2, n/10) values strong and lie further apart than three robust standard
// deviations of either group.
func hasGap(xs []float64) bool {
	n := len(xs)
	minGroup := max(2, (n+9)/10)
	best, at := 0.0, -1
	for i := minGroup; i <= n-minGroup; i++ {
		if g := xs[i] - xs[i-1]; g > best {
			best, at = g, i
		}
	}
	if at < 0 || best == 0 {
		return false
	}
	a, b := xs[:at], xs[at:]
	spread := 1.4826 * max(mad(a, median(a)), mad(b, median(b)))
	return best > 3*spread
}

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
	mb, mc := median(sortedCopy(base)), median(sortedCopy(cand))
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
	diff = median(sortedCopy(cand)) - median(sortedCopy(base))
	draws := bootstrap(base, cand, resamples, func(mb, mc float64) float64 { return mc - mb })
	return diff, percentileCI(draws, confidence), true
}

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
// were.
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
