package verdict

import (
	"fmt"
	"math"
	"slices"

	"lockbench/internal/units"
	"lockbench/stats"
	"lockbench/vocab"
)

// Change classes of a compared cell.
const (
	ChangeRegressed = "regressed"
	ChangeImproved  = "improved"
	ChangeNone      = "~"
	// ChangeUnknown is a cell whose sides have too few ok trials (fewer than
	// stats.MinTrialsForCI, or none on one side) to tell a change from noise.
	ChangeUnknown  = "?"
	ChangeOnlyBase = "only-base"
	ChangeOnlyNew  = "only-new"
)

// AbsoluteThreshold is the noise threshold, in seconds, of the absolute rule that judges a
// change where the ratio is undefined (a baseline median of 0): such a change counts only when
// its whole interval lies beyond ±1 ms.
const AbsoluteThreshold = 0.001

// Delta compares one metric of two samples: new against base.
type Delta struct {
	// Metric is wall or overhead; the medians and sizes describe each side's ok trials.
	Metric     vocab.Metric `json:"metric"`
	BaseMedian float64      `json:"base_median"`
	NewMedian  float64      `json:"new_median"`
	BaseN      int          `json:"base_n"`
	NewN       int          `json:"new_n"`
	// Ratio is median(new)/median(base) and RatioCI its bootstrap interval; Change is Ratio−1.
	Ratio    float64         `json:"ratio"`
	RatioCI  *stats.Interval `json:"ratio_ci,omitempty"`
	Change   float64         `json:"change"`
	ChangeCI *stats.Interval `json:"change_ci,omitempty"`
	// Diff is median(new) − median(base) in seconds and DiffCI its bootstrap interval. They are
	// set only where the ratio is undefined (a baseline median of 0): there the change is judged
	// by the absolute rule (the whole DiffCI beyond ±AbsoluteThreshold).
	Diff   float64         `json:"diff,omitempty"`
	DiffCI *stats.Interval `json:"diff_ci,omitempty"`
	// P is the two-sided Mann–Whitney U p-value and PAdj its Holm-adjusted value; nil when the
	// test could not run.
	P    *float64 `json:"p,omitempty"`
	PAdj *float64 `json:"p_adj,omitempty"`
	// Significant is true when PAdj < alpha.
	Significant bool `json:"significant"`
	// Note explains a missing statistic (e.g. too few trials): a warning, as data.
	Note string `json:"note,omitempty"`
}

// Symbol renders the change benchstat-style: "~" when not significant, else "+12.3%" (or,
// under the absolute rule, "+52.0ms"); "?" when nothing could be computed.
func (d Delta) Symbol() string {
	if d.RatioCI == nil && d.DiffCI == nil && d.P == nil {
		return "?"
	}
	if !d.Significant {
		return "~"
	}
	if d.Absolute() {
		return units.SignedSecs(d.Diff)
	}
	return fmt.Sprintf("%+.1f%%", 100*d.Change)
}

// Absolute reports whether the delta is judged by the absolute rule (no ratio).
func (d Delta) Absolute() bool { return d.RatioCI == nil && d.DiffCI != nil }

// CompareSamples compares cand against base on one metric: the medians, the ratio of medians
// (or, for a baseline median of 0, their difference) with its bootstrap interval, and the U
// test's p-value. PAdj and Significant are left to ApplyHolm, which adjusts for every
// comparison made together.
func CompareSamples(metric vocab.Metric, base, cand []float64, s Settings) Delta {
	s = s.WithDefaults()
	d := Delta{Metric: metric, BaseN: len(base), NewN: len(cand)}
	if len(base) > 0 {
		d.BaseMedian = stats.Median(base)
	}
	if len(cand) > 0 {
		d.NewMedian = stats.Median(cand)
	}
	if len(base) == 0 || len(cand) == 0 {
		d.Note = "no ok trials on one side"
		return d
	}
	ratio, ci, ok := stats.BootstrapRatio(base, cand, s.Resamples, s.Confidence)
	if ok {
		d.Ratio, d.Change = ratio, ratio-1
		if ci != nil {
			d.RatioCI = ci
			d.ChangeCI = &stats.Interval{Lo: ci.Lo - 1, Hi: ci.Hi - 1, Level: ci.Level}
		}
	} else {
		// No ratio (a baseline median of 0): judge the change in seconds.
		d.Diff, d.DiffCI, _ = stats.BootstrapDiff(base, cand, s.Resamples, s.Confidence)
		d.Note = fmt.Sprintf("the baseline median is 0, so there is no ratio: the change is judged in seconds (beyond ±%s)", units.Secs(AbsoluteThreshold))
	}
	if len(base) < stats.MinTrialsForTest || len(cand) < stats.MinTrialsForTest {
		d.Note = fmt.Sprintf("need >= %d samples per side to detect a difference at alpha level %.2f", stats.MinTrialsForTest, s.Alpha)
	}
	if p, err := stats.UTest(base, cand); err == nil && !math.IsNaN(p) {
		d.P = &p
	}
	return d
}

// ApplyHolm sets PAdj and Significant on deltas from their P values, adjusting across all of
// them at once (Holm–Bonferroni) at level alpha.
func ApplyHolm(ds []*Delta, alpha float64) {
	ps := make([]float64, len(ds))
	for i, d := range ds {
		ps[i] = math.NaN()
		if d.P != nil {
			ps[i] = *d.P
		}
	}
	adj := stats.Holm(ps)
	for i, d := range ds {
		if !math.IsNaN(adj[i]) {
			a := adj[i]
			d.PAdj = &a
			d.Significant = a < alpha && (d.RatioCI != nil || d.DiffCI != nil)
		}
	}
}

// CellChange compares one cell of two runs on wall and overhead.
type CellChange struct {
	// Cell is the cell key; Wall and Overhead are nil for a cell on one side only.
	Cell string `json:"cell"`
	// Label is the key reduced to the axes that vary between the compared cells.
	Label    string `json:"label"`
	Wall     *Delta `json:"wall,omitempty"`
	Overhead *Delta `json:"overhead,omitempty"`
	// WallClass and OverheadClass are regressed, improved, "~", "?" (too few trials),
	// only-base or only-new.
	WallClass     string `json:"wall_class"`
	OverheadClass string `json:"overhead_class"`
}

// JudgeChanges classifies the deltas of every cell compared on both sides (their PAdj and
// Significant set by ApplyHolm) against threshold, and judges the comparison: fail when a cell
// regressed; else unknown when no cell could be compared or a cell has too few ok trials on a
// side to call it unchanged; else pass. Cells are named by their labels in the reason.
func JudgeChanges(cells []CellChange, threshold float64) (Verdict, string) {
	compared := 0
	var regressed, undecided []string
	for i := range cells {
		c := &cells[i]
		if c.Wall == nil {
			continue
		}
		c.WallClass = classify(c.Wall, threshold)
		c.OverheadClass = classify(c.Overhead, threshold)
		if c.Wall.P != nil || c.Overhead.P != nil {
			compared++
		}
		switch {
		case slices.Contains([]string{c.WallClass, c.OverheadClass}, ChangeRegressed):
			regressed = append(regressed, c.Label)
		case slices.Contains([]string{c.WallClass, c.OverheadClass}, ChangeUnknown):
			undecided = append(undecided, fmt.Sprintf("%s (n=%d+%d)", c.Label, c.Wall.BaseN, c.Wall.NewN))
		}
	}
	switch {
	case len(regressed) > 0:
		return Fail, fmt.Sprintf("%d cell(s) regressed beyond the threshold: %s", len(regressed), listSome(regressed))
	case compared == 0:
		return Unknown, "no cell has ok trials on both sides to compare"
	case len(undecided) > 0:
		return Unknown, fmt.Sprintf("%d cell(s) have too few ok trials to tell a change from noise (need >= %d per side): %s",
			len(undecided), stats.MinTrialsForCI, listSome(undecided))
	}
	return Pass, fmt.Sprintf("no cell of %d compared regressed beyond ±%s", compared, units.Pct(threshold))
}

// classify applies criterion's rule to a delta whose PAdj and Significant are set: regressed
// or improved when significant and the whole interval of the change lies beyond the threshold
// (in seconds, AbsoluteThreshold, under the absolute rule). A delta that is neither, and that
// has too few ok trials on a side to say it did not change, is unknown (its Note says why).
func classify(d *Delta, threshold float64) string {
	switch {
	case d.Significant && d.Absolute():
		switch {
		case d.DiffCI.Lo > AbsoluteThreshold:
			return ChangeRegressed
		case d.DiffCI.Hi < -AbsoluteThreshold:
			return ChangeImproved
		}
	case d.Significant && d.ChangeCI != nil:
		switch {
		case d.ChangeCI.Lo > threshold:
			return ChangeRegressed
		case d.ChangeCI.Hi < -threshold:
			return ChangeImproved
		}
	}
	if d.BaseN+d.NewN > 0 && min(d.BaseN, d.NewN) < stats.MinTrialsForCI {
		if d.BaseN == 0 || d.NewN == 0 {
			d.Note = "ok trials on one side only: no comparison"
		} else {
			d.Note = fmt.Sprintf("need >= %d ok trials per side to tell a change from noise (have %d+%d)", stats.MinTrialsForCI, d.BaseN, d.NewN)
		}
		return ChangeUnknown
	}
	return ChangeNone
}
