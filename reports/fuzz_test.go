package reports

import (
	"errors"
	"io"
	"testing"

	"lockbench/criteria"
	"lockbench/history"
	"lockbench/outcome"
	"lockbench/vocab"
)

// FuzzBuildRenders builds reports from trials with arbitrary timings: Build either refuses
// them as corrupt (bad input) or every figure it computes renders, JSON included (no
// non-finite value reaches an encoder).
func FuzzBuildRenders(f *testing.F) {
	f.Add(1.0, 0.5, 0.5, 2.0, 0.0, 12, 3)
	f.Add(5e-324, 0.0, 5e-324, 3.0e7, -1.0, 7, 1)
	f.Add(0.0, 0.0, 0.0, 0.0, 0.0, 6, 6)
	f.Fuzz(func(t *testing.T, a, b, c, d, e float64, n, m int) {
		n, m = 1+abs(n)%15, 1+abs(m)%15
		vals := []float64{a, b, c, d, e}
		var ts []history.Trial
		for i := range n + m {
			key, p := "mode=sequential", "sequential"
			if i >= n {
				key, p = "mode=threaded", "threaded"
			}
			w, o := vals[i%5], vals[(i+2)%5]
			ts = append(ts, history.Trial{Cell: key, Trial: i + 1, Outcome: outcome.Outcome{Kind: vocab.OK},
				WallS: w, SQLS: vals[(i+1)%5], OverheadS: o, Params: map[string]string{"mode": p}})
		}
		runs := []history.Run{{Manifest: history.Manifest{ID: "f"}, Trials: ts}}
		r, err := Build(runs, Options{Targets: []criteria.ResolvedTarget{{Target: criteria.Target{Name: "t", Metric: vocab.Overhead, Baseline: criteria.Selector{"mode": "sequential"},
			Candidate: criteria.Selector{"mode": "threaded"}, Reduction: 0.5}}}, VersusAxis: "mode", VersusBase: "sequential"})
		if err != nil {
			if !errors.Is(err, history.ErrCorrupt) {
				t.Fatalf("Build: %v", err)
			}
			return
		}
		for _, w := range []func(io.Writer, *Report) error{WriteJSON, WriteText, WriteMarkdown, WriteJUnit, WriteGoBench, WriteHTML} {
			if err := w(io.Discard, r); err != nil {
				t.Fatalf("render: %v", err)
			}
		}
		if err := WriteCompareJSON(io.Discard, Compare(runs, runs, 0.05)); err != nil {
			t.Fatalf("compare: %v", err)
		}
	})
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
