package reports

import (
	"math"
	"slices"
)

// Change classes of a compared cell.
const (
	ChangeRegressed = "regressed"
	ChangeImproved  = "improved"
	ChangeNone      = "~"
	ChangeOnlyBase  = "only-base"
	ChangeOnlyNew   = "only-new"
)

// CellChange compares one cell of two runs on wall and overhead.
type CellChange struct {
	// Cell is the cell key; Wall and Overhead are nil for a cell on one side only.
	Cell     string `json:"cell"`
	Wall     *Delta `json:"wall,omitempty"`
	Overhead *Delta `json:"overhead,omitempty"`
	// WallClass and OverheadClass are regressed, improved, "~", only-base or only-new.
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
	// beyond ±Threshold (criterion's compare_to_threshold).
	Threshold float64 `json:"threshold"`
	// Cells are the base cells in order, then the cells only in new.
	Cells []CellChange `json:"cells"`
	// GeomeanWall and GeomeanOverhead are the geometric means of the ratios of the cells present
	// on both sides (0 when there is none).
	GeomeanWall     float64 `json:"geomean_wall_ratio"`
	GeomeanOverhead float64 `json:"geomean_overhead_ratio"`
	// Verdict is fail when a cell regressed, unknown when no cell could be compared, else pass.
	Verdict Verdict `json:"verdict"`
}

// Compare compares the cells of newRuns with those of base (trials of a cell key pooled
// across runs on each side) on median wall and overhead. A cell regressed when its Holm-adjusted
// U test is significant at α = 0.05 and the whole bootstrap interval of the change lies above
// +threshold; it improved when significant and the whole interval lies below −threshold.
func Compare(base, newRuns []Run, threshold float64) *Comparison {
	opts := Options{}.withDefaults()
	bc, nc := buildCells(base, opts), buildCells(newRuns, opts)
	cmpn := &Comparison{SchemaVersion: SchemaVersion, Threshold: math.Abs(threshold), Cells: []CellChange{},
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
	var wr, or []float64
	compared := 0
	var verdicts []Verdict
	for i := range cmpn.Cells {
		c := &cmpn.Cells[i]
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
		if slices.Contains([]string{c.WallClass, c.OverheadClass}, ChangeRegressed) {
			verdicts = append(verdicts, Fail)
		}
	}
	if compared == 0 {
		verdicts = append(verdicts, Unknown)
	}
	cmpn.Verdict = Combine(verdicts...)
	cmpn.GeomeanWall = geoOrZero(wr)
	cmpn.GeomeanOverhead = geoOrZero(or)
	return cmpn
}

// classify applies criterion's rule to a delta whose PAdj and Significant are set.
func classify(d *Delta, threshold float64) string {
	if !d.Significant || d.ChangeCI == nil {
		return ChangeNone
	}
	switch {
	case d.ChangeCI.Lo > threshold:
		return ChangeRegressed
	case d.ChangeCI.Hi < -threshold:
		return ChangeImproved
	}
	return ChangeNone
}
