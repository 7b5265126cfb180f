package reports

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/outcome"
	"lockbench/trace"
	"lockbench/vocab"
)

// parallelRun is a run with a sequential cell (wall 10 s), a threaded cell (wall 8 s) and a
// threaded cell without a sibling, each trial recording a parallelism bound (work 9 s over a
// critical path of 7.5 s: a bound of 1.2).
func parallelRun() history.Run {
	var trials []history.Trial
	add := func(cell string, params map[string]string, wall float64, p trace.Parallelism) {
		for i := range 10 {
			w := wall * (1 + 0.01*float64(i-5))
			pp := p
			trials = append(trials, history.Trial{Cell: cell, Trial: i, Params: params, Outcome: outcome.Outcome{Kind: vocab.OK},
				WallS: w, SQLS: w * 0.9, OverheadS: w * 0.1, Parallelism: &pp})
		}
	}
	seqP := trace.Parallelism{WorkS: 9, CriticalPathS: 7.5, Ratio: 1.2, Bound: 1, Width: 1,
		Path: []string{"int_comp_by_year@2025", "fct_workforce_snapshot@2025", "fct_workforce_snapshot@2026"}}
	thrP := trace.Parallelism{WorkS: 9.6, CriticalPathS: 7.4, Ratio: 9.6 / 7.4, Bound: 9.6 / 7.4, Width: 4}
	add("mode=sequential/threads=1/employees=100", map[string]string{"mode": "sequential", "threads": "1", "employees": "100"}, 10, seqP)
	add("mode=threaded/threads=4/employees=100", map[string]string{"mode": "threaded", "threads": "4", "employees": "100"}, 8, thrP)
	add("mode=threaded/threads=4/employees=200", map[string]string{"mode": "threaded", "threads": "4", "employees": "200"}, 8, thrP)
	// A strategy sets the mode of the same work: the sequential reference is its sibling.
	add("mode=parallel-processes/threads=2/lock-retry=on/employees=100/strategy=retry",
		map[string]string{"mode": "parallel-processes", "threads": "2", "lock-retry": "on", "employees": "100", "strategy": "retry"}, 20, thrP)
	return history.Run{Dir: "par", Manifest: history.Manifest{ID: "par"}, Trials: trials}
}

func TestParallelismComparesWithTheSequentialSiblingAndTheBound(t *testing.T) {
	r, err := Build([]history.Run{parallelRun()}, Options{})
	require.NoError(t, err)
	require.Len(t, r.Parallelism, 3, "one row per threaded or parallel cell")
	retry := r.Parallelism[2]
	assert.Equal(t, "mode=sequential/threads=1/employees=100", retry.Sequential, "the strategy cell's sibling ignores strategy and lock-retry")
	assert.InDelta(t, 0.5, retry.Speedup, 1e-9)
	row := r.Parallelism[0]
	assert.Equal(t, "mode=threaded/threads=4/employees=100", row.Cell)
	assert.Equal(t, "mode=sequential/threads=1/employees=100", row.Sequential)
	assert.InDelta(t, 10.0/8.0, row.Speedup, 1e-9, "median sequential wall / median threaded wall")
	require.NotNil(t, row.SpeedupCI)
	assert.LessOrEqual(t, row.SpeedupCI.Lo, row.Speedup)
	assert.GreaterOrEqual(t, row.SpeedupCI.Hi, row.Speedup)
	// The bound comes from the sequential sibling's step times: 9 / 7.5, below the 4 threads.
	assert.InDelta(t, 1.2, row.Bound, 1e-9)
	assert.InDelta(t, (10.0/8.0)/1.2, row.Fraction, 1e-9)
	assert.Equal(t, []string{"fct_workforce_snapshot", "int_comp_by_year"}, row.Path)
	// Without a sibling: the cell's own bound, no speed-up, and a note that says why.
	alone := r.Parallelism[1]
	assert.Empty(t, alone.Sequential)
	assert.Zero(t, alone.Speedup)
	assert.InDelta(t, 9.6/7.4, alone.Bound, 1e-9)
	assert.Contains(t, alone.Note, "no sequential cell")

	for name, write := range map[string]func(*bytes.Buffer) error{
		"text":     func(b *bytes.Buffer) error { return WriteText(b, r) },
		"markdown": func(b *bytes.Buffer) error { return WriteMarkdown(b, r) },
		"html":     func(b *bytes.Buffer) error { return WriteHTML(b, r) },
	} {
		var b bytes.Buffer
		require.NoError(t, write(&b), name)
		assert.Contains(t, b.String(), "1.25×", name)
		assert.Contains(t, b.String(), "1.20×", name)
		assert.Contains(t, b.String(), "104%", name)
	}
}
