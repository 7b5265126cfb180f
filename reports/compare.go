package reports

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"lockbench/history"
	"lockbench/scenarios"
	"lockbench/verdict"
	"lockbench/vocab"
)

// Comparison is the result of comparing a new run (or set of shards) with a base one.
type Comparison struct {
	// SchemaVersion is the JSON format version (SchemaVersion).
	SchemaVersion int `json:"schema_version"`
	// Base and New describe the runs on each side; Settings the statistics used.
	Base     []RunInfo        `json:"base"`
	New      []RunInfo        `json:"new"`
	Settings verdict.Settings `json:"settings"`
	// Threshold is the noise threshold: a change counts only when its whole interval lies
	// beyond ±Threshold (criterion's compare_to_threshold). AbsThreshold is the threshold in
	// seconds of the absolute rule, used where a baseline median of 0 leaves no ratio.
	Threshold    float64 `json:"threshold"`
	AbsThreshold float64 `json:"abs_threshold"`
	// Constant holds the axis=value pairs every compared cell shares (see Report.Constant).
	Constant string `json:"constant_axes,omitempty"`
	// BaseReleases and NewReleases are the DuckDB releases the cells of each side ran, oldest
	// first: where they differ, the comparison spans a DuckDB upgrade.
	BaseReleases []string `json:"base_releases,omitempty"`
	NewReleases  []string `json:"new_releases,omitempty"`
	// Cells are the base cells in order, then the cells only in new.
	Cells []verdict.CellChange `json:"cells"`
	// GeomeanWall and GeomeanOverhead are the geometric means of the ratios of the cells present
	// on both sides (0 when there is none).
	GeomeanWall     float64 `json:"geomean_wall_ratio"`
	GeomeanOverhead float64 `json:"geomean_overhead_ratio"`
	// Verdict is fail when a cell regressed; else unknown when no cell could be compared or a
	// cell has too few ok trials on a side to tell a change from noise; else pass. Reason
	// says why in one sentence.
	Verdict verdict.Verdict `json:"verdict"`
	Reason  string          `json:"reason"`
}

// Compare compares the cells of newRuns with those of base (trials of a cell key pooled
// across runs on each side) on median wall and overhead, with verdict.CompareSamples for every
// cell present on both sides, Holm's correction across all of them, and verdict.JudgeChanges
// for the classes and the verdict. Trials are pooled in canonical run order and every interval
// is seeded from sorted values, so the result does not depend on the order of the runs.
func Compare(base, newRuns []history.Run, threshold float64) *Comparison {
	s := verdict.Settings{}.WithDefaults()
	base, newRuns = canonicalOrder(base), canonicalOrder(newRuns)
	bc, _ := buildCells(base, s, false)
	nc, _ := buildCells(newRuns, s, false)
	cmpn := &Comparison{SchemaVersion: SchemaVersion, Threshold: math.Abs(threshold), AbsThreshold: verdict.AbsoluteThreshold,
		Cells: []verdict.CellChange{}, Settings: s}
	for _, r := range base {
		cmpn.Base = append(cmpn.Base, runInfo(r))
	}
	for _, r := range newRuns {
		cmpn.New = append(cmpn.New, runInfo(r))
	}
	cmpn.BaseReleases, cmpn.NewReleases = cellReleases(bc), cellReleases(nc)
	find := func(cells []*Cell, key string) *Cell {
		for _, c := range cells {
			if c.Key == key {
				return c
			}
		}
		return nil
	}
	for _, b := range bc {
		n := find(nc, b.Key)
		if n == nil {
			cmpn.Cells = append(cmpn.Cells, verdict.CellChange{Cell: b.Key, WallClass: verdict.ChangeOnlyBase, OverheadClass: verdict.ChangeOnlyBase})
			continue
		}
		w := verdict.CompareSamples(vocab.Wall, b.values(vocab.Wall), n.values(vocab.Wall), s)
		o := verdict.CompareSamples(vocab.Overhead, b.values(vocab.Overhead), n.values(vocab.Overhead), s)
		cmpn.Cells = append(cmpn.Cells, verdict.CellChange{Cell: b.Key, Wall: &w, Overhead: &o})
	}
	for _, n := range nc {
		if find(bc, n.Key) == nil {
			cmpn.Cells = append(cmpn.Cells, verdict.CellChange{Cell: n.Key, WallClass: verdict.ChangeOnlyNew, OverheadClass: verdict.ChangeOnlyNew})
		}
	}
	var ds []*verdict.Delta
	for i := range cmpn.Cells {
		if c := &cmpn.Cells[i]; c.Wall != nil {
			ds = append(ds, c.Wall, c.Overhead)
		}
	}
	verdict.ApplyHolm(ds, s.Alpha)
	var keys []string
	for _, c := range cmpn.Cells {
		keys = append(keys, c.Cell)
	}
	labels, constant := scenarios.Labels(keys)
	cmpn.Constant = constant
	var wr, or []float64
	for i := range cmpn.Cells {
		c := &cmpn.Cells[i]
		c.Label = labels[c.Cell]
		if c.Wall == nil {
			continue
		}
		if c.Wall.Ratio > 0 {
			wr = append(wr, c.Wall.Ratio)
		}
		if c.Overhead.Ratio > 0 {
			or = append(or, c.Overhead.Ratio)
		}
	}
	cmpn.Verdict, cmpn.Reason = verdict.JudgeChanges(cmpn.Cells, cmpn.Threshold)
	cmpn.GeomeanWall = geoOrZero(wr)
	cmpn.GeomeanOverhead = geoOrZero(or)
	return cmpn
}

// cellReleases returns the releases the cells ran, oldest first.
func cellReleases(cells []*Cell) []string {
	var rs []string
	for _, c := range cells {
		rs = append(rs, c.DuckDB)
	}
	return sortReleases(rs)
}

// ReleasesDiffer reports whether the two sides ran different DuckDB releases.
func (c *Comparison) ReleasesDiffer() bool {
	return len(c.BaseReleases) > 0 && len(c.NewReleases) > 0 && !slices.Equal(c.BaseReleases, c.NewReleases)
}

// releasesLine says which DuckDB releases each side ran, when they differ ("" otherwise).
func (c *Comparison) releasesLine() string {
	if !c.ReleasesDiffer() {
		return ""
	}
	return fmt.Sprintf("DuckDB releases: base %s, new %s: the comparison spans a DuckDB upgrade",
		strings.Join(c.BaseReleases, "+"), strings.Join(c.NewReleases, "+"))
}
