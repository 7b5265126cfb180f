package reports

import (
	"fmt"
	"math"
)

// Delta compares one metric of two samples: new against base.
type Delta struct {
	// Metric is wall or overhead; the medians and sizes describe each side's ok trials.
	Metric     string  `json:"metric"`
	BaseMedian float64 `json:"base_median"`
	NewMedian  float64 `json:"new_median"`
	BaseN      int     `json:"base_n"`
	NewN       int     `json:"new_n"`
	// Ratio is median(new)/median(base) and RatioCI its bootstrap interval; Change is Ratio−1.
	Ratio    float64   `json:"ratio"`
	RatioCI  *Interval `json:"ratio_ci,omitempty"`
	Change   float64   `json:"change"`
	ChangeCI *Interval `json:"change_ci,omitempty"`
	// Diff is median(new) − median(base) in seconds and DiffCI its bootstrap interval. They are
	// set only where the ratio is undefined (a baseline median of 0): there the change is judged
	// by the absolute rule (the whole DiffCI beyond ±AbsoluteThreshold).
	Diff   float64   `json:"diff,omitempty"`
	DiffCI *Interval `json:"diff_ci,omitempty"`
	// P is the two-sided Mann–Whitney U p-value and PAdj its Holm-adjusted value; nil when the
	// test could not run.
	P    *float64 `json:"p,omitempty"`
	PAdj *float64 `json:"p_adj,omitempty"`
	// Significant is true when PAdj < alpha.
	Significant bool `json:"significant"`
	// Note explains a missing statistic (e.g. too few trials).
	Note string `json:"note,omitempty"`
}

// Symbol renders the change benchstat-style: "~" when not significant, else "+12.3%" (or,
// under the absolute rule, "+52.0ms").
func (d Delta) Symbol() string {
	if d.RatioCI == nil && d.DiffCI == nil && d.P == nil {
		return "?"
	}
	if !d.Significant {
		return "~"
	}
	if d.absolute() {
		return signedSecs(d.Diff)
	}
	return fmt.Sprintf("%+.1f%%", 100*d.Change)
}

// absolute reports whether the delta is judged by the absolute rule (no ratio).
func (d Delta) absolute() bool { return d.RatioCI == nil && d.DiffCI != nil }

// VersusRow compares one cell with its base cell on the versus axis.
type VersusRow struct {
	// Cell is compared with Base on wall and overhead.
	Cell     string `json:"cell"`
	Base     string `json:"base"`
	Wall     Delta  `json:"wall"`
	Overhead Delta  `json:"overhead"`
}

// Versus is the set of comparisons of every cell against its base on one axis.
type Versus struct {
	// Axis and Base are Options.VersusAxis and Options.VersusBase.
	Axis string `json:"axis"`
	Base string `json:"base"`
	// Rows compare every cell that has a base counterpart, in cell order.
	Rows []VersusRow `json:"rows"`
	// GeomeanWall and GeomeanOverhead are geometric means of the rows' ratios (NaN-free: 0
	// when there is no ratio).
	GeomeanWall     float64 `json:"geomean_wall_ratio"`
	GeomeanOverhead float64 `json:"geomean_overhead_ratio"`
}

// compareSamples compares new against base on one metric; the caller fills in PAdj and
// Significant.
func compareSamples(metric string, base, cand []float64, opts Options) Delta {
	d := Delta{Metric: metric, BaseN: len(base), NewN: len(cand)}
	if len(base) > 0 {
		d.BaseMedian = median(sortedCopy(base))
	}
	if len(cand) > 0 {
		d.NewMedian = median(sortedCopy(cand))
	}
	if len(base) == 0 || len(cand) == 0 {
		d.Note = "no ok trials on one side"
		return d
	}
	ratio, ci, ok := BootstrapRatio(base, cand, opts.Resamples, opts.Confidence)
	if ok {
		d.Ratio, d.Change = ratio, ratio-1
		if ci != nil {
			d.RatioCI = ci
			d.ChangeCI = &Interval{Lo: ci.Lo - 1, Hi: ci.Hi - 1, Level: ci.Level}
		}
	} else {
		// No ratio (a baseline median of 0): judge the change in seconds.
		d.Diff, d.DiffCI, _ = BootstrapDiff(base, cand, opts.Resamples, opts.Confidence)
		d.Note = fmt.Sprintf("the baseline median is 0, so there is no ratio: the change is judged in seconds (beyond ±%s)", secs(AbsoluteThreshold))
	}
	if len(base) < MinTrialsForTest || len(cand) < MinTrialsForTest {
		d.Note = fmt.Sprintf("need >= %d samples per side to detect a difference at alpha level %.2f", MinTrialsForTest, opts.Alpha)
	}
	if p, err := UTest(base, cand); err == nil && !math.IsNaN(p) {
		d.P = &p
	}
	return d
}

// applyHolm sets PAdj and Significant on deltas from their P values, adjusting across all of
// them at once.
func applyHolm(ds []*Delta, alpha float64) {
	ps := make([]float64, len(ds))
	for i, d := range ds {
		ps[i] = math.NaN()
		if d.P != nil {
			ps[i] = *d.P
		}
	}
	adj := Holm(ps)
	for i, d := range ds {
		if !math.IsNaN(adj[i]) {
			a := adj[i]
			d.PAdj = &a
			d.Significant = a < alpha && (d.RatioCI != nil || d.DiffCI != nil)
		}
	}
}

func buildVersus(cells []*Cell, opts Options) *Versus {
	v := &Versus{Axis: opts.VersusAxis, Base: opts.VersusBase}
	for _, c := range cells {
		val, ok := c.Params[opts.VersusAxis]
		if !ok || val == opts.VersusBase {
			continue
		}
		var base *Cell
		for _, b := range cells {
			if b.Params[opts.VersusAxis] != opts.VersusBase || len(b.Params) != len(c.Params) {
				continue
			}
			same := true
			for k, x := range c.Params {
				if k != opts.VersusAxis && b.Params[k] != x {
					same = false
					break
				}
			}
			if same {
				base = b
				break
			}
		}
		if base == nil {
			continue
		}
		v.Rows = append(v.Rows, VersusRow{Cell: c.Key, Base: base.Key,
			Wall:     compareSamples(MetricWall, values(base.samples[MetricWall]), values(c.samples[MetricWall]), opts),
			Overhead: compareSamples(MetricOverhead, values(base.samples[MetricOverhead]), values(c.samples[MetricOverhead]), opts)})
	}
	var ds []*Delta
	var wr, or []float64
	for i := range v.Rows {
		ds = append(ds, &v.Rows[i].Wall, &v.Rows[i].Overhead)
		if v.Rows[i].Wall.Ratio > 0 {
			wr = append(wr, v.Rows[i].Wall.Ratio)
		}
		if v.Rows[i].Overhead.Ratio > 0 {
			or = append(or, v.Rows[i].Overhead.Ratio)
		}
	}
	applyHolm(ds, opts.Alpha)
	v.GeomeanWall = geoOrZero(wr)
	v.GeomeanOverhead = geoOrZero(or)
	return v
}

func geoOrZero(xs []float64) float64 {
	g, n := GeoMean(xs)
	if n == 0 {
		return 0
	}
	return g
}
