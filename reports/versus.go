package reports

import (
	"lockbench/stats"
	"lockbench/verdict"
	"lockbench/vocab"
)

// VersusRow compares one cell with its base cell on the versus axis.
type VersusRow struct {
	// Cell is compared with Base on wall and overhead.
	Cell     string        `json:"cell"`
	Base     string        `json:"base"`
	Wall     verdict.Delta `json:"wall"`
	Overhead verdict.Delta `json:"overhead"`
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

// buildVersus compares every cell that has a value on axis other than base with its sibling at
// axis=base (the cell with the same values on every other axis), Holm-adjusting all the rows'
// tests together.
func buildVersus(cells []*Cell, axis, base string, s verdict.Settings) *Versus {
	v := &Versus{Axis: axis, Base: base}
	for _, c := range cells {
		val, ok := c.Params[axis]
		if !ok || val == base {
			continue
		}
		var sibling *Cell
		for _, b := range cells {
			if b.Params[axis] != base || len(b.Params) != len(c.Params) {
				continue
			}
			same := true
			for k, x := range c.Params {
				if k != axis && b.Params[k] != x {
					same = false
					break
				}
			}
			if same {
				sibling = b
				break
			}
		}
		if sibling == nil {
			continue
		}
		v.Rows = append(v.Rows, VersusRow{Cell: c.Key, Base: sibling.Key,
			Wall:     verdict.CompareSamples(vocab.Wall, sibling.values(vocab.Wall), c.values(vocab.Wall), s),
			Overhead: verdict.CompareSamples(vocab.Overhead, sibling.values(vocab.Overhead), c.values(vocab.Overhead), s)})
	}
	var ds []*verdict.Delta
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
	verdict.ApplyHolm(ds, s.Alpha)
	v.GeomeanWall = geoOrZero(wr)
	v.GeomeanOverhead = geoOrZero(or)
	return v
}

// geoOrZero is the geometric mean of the positive ratios, or 0 when there is none.
func geoOrZero(xs []float64) float64 {
	g, n := stats.GeoMean(xs)
	if n == 0 {
		return 0
	}
	return g
}
