package stats

import (
	"math"
	"slices"
	"sort"

	mstats "github.com/aclements/go-moremath/stats"
	"gonum.org/v1/gonum/stat"
)

// Defaults, after benchstat and criterion.
const (
	// DefaultAlpha is the significance level of Mann–Whitney U tests.
	DefaultAlpha = 0.05
	// DefaultConfidence is the level of every confidence interval.
	DefaultConfidence = 0.95
	// DefaultResamples is the number of bootstrap resamples.
	DefaultResamples = 2000
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

// Outlier is a value that lies outside a fence. Outliers are flagged, never dropped.
type Outlier struct {
	// Trial is the number of the trial the value came from (see Observation).
	Trial int `json:"trial"`
	// Run is the ID of the run the trial belongs to.
	Run string `json:"run,omitempty"`
	// Value is the value in seconds.
	Value float64 `json:"value"`
	// Side is "high" or "low".
	Side string `json:"side"`
	// Rules lists the rules that flag the value: "tukey-mild" (beyond 1.5·IQR), "tukey-severe"
	// (beyond 3·IQR) and "mad-z" (modified Z score above 3.5).
	Rules []string `json:"rules"`
}

// Summary describes a sample, such as one metric of the ok trials of one cell.
type Summary struct {
	// N is the number of values.
	N int `json:"n"`
	// Median is the sample median.
	Median float64 `json:"median"`
	// MedianCI is the distribution-free order-statistic interval of the median; nil when there
	// are too few values for a finite one (fewer than MinTrialsForCI at 95%).
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
	// Outliers are the flagged values, in input order.
	Outliers []Outlier `json:"outliers,omitempty"`
	// BimodalityCoefficient is Sarle's coefficient (g²+1)/(k + 3(n−1)²/((n−2)(n−3))); 0 when
	// n < 4.
	BimodalityCoefficient float64 `json:"bimodality_coefficient"`
	// Bimodal is true when the coefficient exceeds 5/9 and the sorted values split at one gap
	// into two groups of at least max(2, n/10) values each, the gap being wider than three
	// robust standard deviations (1.4826·MAD) of either group.
	Bimodal bool `json:"bimodal"`
}

// Observation is one value with the trial it came from, so that an outlier can name it.
type Observation struct {
	// Value is the measurement (seconds).
	Value float64
	// Run and Trial identify the trial: the run's ID and the trial's number within its cell.
	Run   string
	Trial int
}

// Values returns the values of obs, in order.
func Values(obs []Observation) []float64 {
	out := make([]float64, len(obs))
	for i, o := range obs {
		out[i] = o.Value
	}
	return out
}

// Summarize computes the summary of xs at the given confidence level; outliers name the values
// by their position, from 1. It returns nil for an empty sample.
func Summarize(xs []float64, confidence float64) *Summary {
	obs := make([]Observation, len(xs))
	for i, x := range xs {
		obs[i] = Observation{Value: x, Trial: i + 1}
	}
	return SummarizeObservations(obs, confidence)
}

// SummarizeObservations computes the summary of obs at the given confidence level; outliers
// name their run and trial. It returns nil for an empty sample.
func SummarizeObservations(obs []Observation, confidence float64) *Summary {
	if len(obs) == 0 {
		return nil
	}
	xs := sortedCopy(Values(obs))
	n := len(xs)
	s := &Summary{N: n, Min: xs[0], Max: xs[n-1]}
	s.Median = median(xs)
	s.MedianCI = MedianCI(xs, confidence)
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
	s.Outliers = outliers(obs, s.Median, s.Q1, s.Q3, s.MAD)
	s.BimodalityCoefficient = bimodalityCoefficient(xs)
	s.Bimodal = s.BimodalityCoefficient > bimodalBC && hasGap(xs)
	return s
}

// Median returns the median of xs (the mean of the two middle values for even n, as benchstat
// computes it), or NaN for no values. xs is not changed.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	return median(sortedCopy(xs))
}

// median returns the median of sorted values.
func median(sorted []float64) float64 {
	return mstats.Sample{Xs: sorted, Sorted: true}.Quantile(0.5)
}

func sortedCopy(xs []float64) []float64 {
	out := slices.Clone(xs)
	sort.Float64s(out)
	return out
}

// MedianCI returns the distribution-free order-statistic interval of the median of sorted
// values at the given confidence (benchstat's QuantileCI), or nil when it is not finite (too
// few values).
func MedianCI(sorted []float64, confidence float64) *Interval {
	n := len(sorted)
	if n < 2 {
		return nil
	}
	ci := mstats.QuantileCI(n, 0.5, confidence)
	_, lo, hi := ci.SampleCI(mstats.Sample{Xs: sorted, Sorted: true})
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil
	}
	return &Interval{Lo: lo, Hi: hi, Level: ci.Confidence}
}

// MedianRange is the interval of the median of sorted values for samples of any size: MedianCI
// at the given confidence when there are enough values, else the range [min, max] at the level
// it has (1 − 2·0.5ⁿ); nil for fewer than two values.
func MedianRange(sorted []float64, confidence float64) *Interval {
	if ci := MedianCI(sorted, confidence); ci != nil {
		return ci
	}
	n := len(sorted)
	if n < 2 {
		return nil
	}
	return &Interval{Lo: sorted[0], Hi: sorted[n-1], Level: 1 - 2*math.Pow(0.5, float64(n))}
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
func outliers(obs []Observation, med, q1, q3, madv float64) []Outlier {
	if len(obs) < 3 {
		return nil
	}
	iqr := q3 - q1
	var out []Outlier
	for _, o := range obs {
		x := o.Value
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
			out = append(out, Outlier{Trial: o.Trial, Run: o.Run, Value: x, Side: side, Rules: rules})
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
