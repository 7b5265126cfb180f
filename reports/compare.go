package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"lockbench/scenarios"
)

// Change classes of a compared cell.
const (
	ChangeRegressed = "regressed"
	ChangeImproved  = "improved"
	ChangeNone      = "~"
	// ChangeUnknown is a cell whose sides have too few ok trials (fewer than MinTrialsForCI,
	// or none on one side) to tell a change from noise.
	ChangeUnknown  = "?"
	ChangeOnlyBase = "only-base"
	ChangeOnlyNew  = "only-new"
)

// AbsoluteThreshold is the noise threshold, in seconds, of the absolute rule that judges a
// change where the ratio is undefined (a baseline median of 0): such a change counts only when
// its whole interval lies beyond ±1 ms.
const AbsoluteThreshold = 0.001

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

// Comparison is the result of comparing a new run (or set of shards) with a base one.
type Comparison struct {
	// SchemaVersion is the JSON format version (SchemaVersion).
	SchemaVersion int `json:"schema_version"`
	// Base and New describe the runs on each side; Settings the statistics used.
	Base     []RunInfo `json:"base"`
	New      []RunInfo `json:"new"`
	Settings Settings  `json:"settings"`
	// Threshold is the noise threshold: a change counts only when its whole interval lies
	// beyond ±Threshold (criterion's compare_to_threshold). AbsThreshold is the threshold in
	// seconds of the absolute rule, used where a baseline median of 0 leaves no ratio.
	Threshold    float64 `json:"threshold"`
	AbsThreshold float64 `json:"abs_threshold"`
	// Constant holds the axis=value pairs every compared cell shares (see Report.Constant).
	Constant string `json:"constant_axes,omitempty"`
	// Cells are the base cells in order, then the cells only in new.
	Cells []CellChange `json:"cells"`
	// GeomeanWall and GeomeanOverhead are the geometric means of the ratios of the cells present
	// on both sides (0 when there is none).
	GeomeanWall     float64 `json:"geomean_wall_ratio"`
	GeomeanOverhead float64 `json:"geomean_overhead_ratio"`
	// Verdict is fail when a cell regressed; else unknown when no cell could be compared or a
	// cell has too few ok trials on a side to tell a change from noise; else pass. Reason
	// says why in one sentence.
	Verdict Verdict `json:"verdict"`
	Reason  string  `json:"reason"`
}

// Compare compares the cells of newRuns with those of base (trials of a cell key pooled
// across runs on each side) on median wall and overhead. A cell regressed when its Holm-adjusted
// U test is significant at α = 0.05 and the whole bootstrap interval of the change lies above
// +threshold; it improved when significant and the whole interval lies below −threshold.
//
// A cell whose baseline median is 0 has no ratio: it regressed (improved) when significant and
// the whole bootstrap interval of median(new) − median(base) lies above AbsoluteThreshold (below
// −AbsoluteThreshold). A cell with fewer than MinTrialsForCI ok trials on a side, or ok trials on
// one side only, that did not regress is unknown ("?"): the comparison cannot call it unchanged.
// Trials are pooled in canonical run order and every interval is seeded from sorted values, so
// the result does not depend on the order of the runs.
func Compare(base, newRuns []Run, threshold float64) *Comparison {
	opts := Options{}.withDefaults()
	base, newRuns = canonicalOrder(base), canonicalOrder(newRuns)
	bc, _ := buildCells(base, opts)
	nc, _ := buildCells(newRuns, opts)
	cmpn := &Comparison{SchemaVersion: SchemaVersion, Threshold: math.Abs(threshold), AbsThreshold: AbsoluteThreshold, Cells: []CellChange{},
		Settings: Settings{Alpha: opts.Alpha, Confidence: opts.Confidence, Resamples: opts.Resamples, MinTrials: opts.MinTrials}}
	for _, side := range []struct {
		runs []Run
		dst  *[]RunInfo
	}{{base, &cmpn.Base}, {newRuns, &cmpn.New}} {
		for _, r := range side.runs {
			m := r.Manifest
			*side.dst = append(*side.dst, RunInfo{Dir: r.Dir, ID: m.ID, Shard: m.Shard, CreatedAt: m.CreatedAt,
				RootSeed: m.RootSeed, Versions: m.Versions, Host: m.Host, Trials: len(r.Trials)})
		}
	}
	find := func(cells []*Cell, key string) *Cell {
		for _, c := range cells {
			if c.Key == key {
				return c
			}
		}
		return nil
	}
	var ds []*Delta
	for _, b := range bc {
		n := find(nc, b.Key)
		if n == nil {
			cmpn.Cells = append(cmpn.Cells, CellChange{Cell: b.Key, WallClass: ChangeOnlyBase, OverheadClass: ChangeOnlyBase})
			continue
		}
		w := compareSamples(MetricWall, values(b.samples[MetricWall]), values(n.samples[MetricWall]), opts)
		o := compareSamples(MetricOverhead, values(b.samples[MetricOverhead]), values(n.samples[MetricOverhead]), opts)
		cmpn.Cells = append(cmpn.Cells, CellChange{Cell: b.Key, Wall: &w, Overhead: &o})
	}
	for _, n := range nc {
		if find(bc, n.Key) == nil {
			cmpn.Cells = append(cmpn.Cells, CellChange{Cell: n.Key, WallClass: ChangeOnlyNew, OverheadClass: ChangeOnlyNew})
		}
	}
	for i := range cmpn.Cells {
		if c := &cmpn.Cells[i]; c.Wall != nil {
			ds = append(ds, c.Wall, c.Overhead)
		}
	}
	applyHolm(ds, opts.Alpha)
	var keys []string
	for _, c := range cmpn.Cells {
		keys = append(keys, c.Cell)
	}
	labels, constant := scenarios.Labels(keys)
	cmpn.Constant = constant
	var wr, or []float64
	compared := 0
	var regressed, undecided []string
	for i := range cmpn.Cells {
		c := &cmpn.Cells[i]
		c.Label = labels[c.Cell]
		if c.Wall == nil {
			continue
		}
		c.WallClass = classify(c.Wall, cmpn.Threshold)
		c.OverheadClass = classify(c.Overhead, cmpn.Threshold)
		if c.Wall.Ratio > 0 {
			wr = append(wr, c.Wall.Ratio)
		}
		if c.Overhead.Ratio > 0 {
			or = append(or, c.Overhead.Ratio)
		}
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
		cmpn.Verdict = Fail
		cmpn.Reason = fmt.Sprintf("%d cell(s) regressed beyond the threshold: %s", len(regressed), listSome(regressed))
	case compared == 0:
		cmpn.Verdict = Unknown
		cmpn.Reason = "no cell has ok trials on both sides to compare"
	case len(undecided) > 0:
		cmpn.Verdict = Unknown
		cmpn.Reason = fmt.Sprintf("%d cell(s) have too few ok trials to tell a change from noise (need >= %d per side): %s",
			len(undecided), MinTrialsForCI, listSome(undecided))
	default:
		cmpn.Verdict = Pass
		cmpn.Reason = fmt.Sprintf("no cell of %d compared regressed beyond ±%s", compared, pct(cmpn.Threshold))
	}
	cmpn.GeomeanWall = geoOrZero(wr)
	cmpn.GeomeanOverhead = geoOrZero(or)
	return cmpn
}

// listSome joins at most three items and says how many more there are.
func listSome(items []string) string {
	if len(items) <= 3 {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:3], ", "), len(items)-3)
}

// classify applies criterion's rule to a delta whose PAdj and Significant are set: regressed
// or improved when significant and the whole interval of the change lies beyond the threshold
// (in seconds, AbsoluteThreshold, under the absolute rule). A delta that is neither, and that
// has too few ok trials on a side to say it did not change, is unknown.
func classify(d *Delta, threshold float64) string {
	switch {
	case d.Significant && d.absolute():
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
	if d.BaseN+d.NewN > 0 && min(d.BaseN, d.NewN) < MinTrialsForCI {
		if d.BaseN == 0 || d.NewN == 0 {
			d.Note = "ok trials on one side only: no comparison"
		} else {
			d.Note = fmt.Sprintf("need >= %d ok trials per side to tell a change from noise (have %d+%d)", MinTrialsForCI, d.BaseN, d.NewN)
		}
		return ChangeUnknown
	}
	return ChangeNone
}
