package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"lockbench/trace"
)

// TestParallelismBoundByHand checks work, critical path and bound on a diamond DAG whose
// figures are worked out by hand: a (1 s) feeds b (2 s) and c (3 s), which feed d (1 s).
func TestParallelismBoundByHand(t *testing.T) {
	a := &Node{ID: "a@2025", Name: "a", Year: 2025}
	b := &Node{ID: "b@2025", Name: "b", Year: 2025, Deps: []*Node{a}}
	c := &Node{ID: "c@2025", Name: "c", Year: 2025, Deps: []*Node{a}}
	d := &Node{ID: "d@2025", Name: "d", Year: 2025, Deps: []*Node{b, c}}
	p := &Plan{Nodes: []*Node{a, b, c, d}}
	span := func(k trace.Kind, name string, year int, start, end float64) trace.Span {
		return trace.Span{Kind: k, Name: name, Year: year, Start: start, End: end}
	}
	// Run one at a time: a, b, c, d back to back.
	seq := []trace.Span{
		span(trace.Model, "a", 2025, 0, 1), span(trace.Model, "b", 2025, 1, 3),
		span(trace.Model, "c", 2025, 3, 6), span(trace.Model, "d", 2025, 6, 7),
	}
	got := p.ParallelismBound(seq, 4)
	assert.InDelta(t, 7, got.WorkS, 1e-9)
	assert.InDelta(t, 5, got.CriticalPathS, 1e-9, "a + c + d")
	assert.InDelta(t, 1.4, got.Bound, 1e-9)
	assert.Equal(t, []string{"a@2025", "c@2025", "d@2025"}, got.Path)
	assert.InDelta(t, 1, got.Achieved, 1e-9, "one step at a time")
	assert.InDelta(t, 1, p.ParallelismBound(seq, 1).Bound, 1e-9, "capped by one connection")

	// The run's own open and close are serial: they add to work and critical path alike.
	withHandle := append([]trace.Span{span(trace.Open, runHandle, 0, -0.5, 0)}, seq...)
	withHandle = append(withHandle, span(trace.Close, runHandle, 0, 7, 7.5))
	got = p.ParallelismBound(withHandle, 4)
	assert.InDelta(t, 8, got.WorkS, 1e-9)
	assert.InDelta(t, 6, got.CriticalPathS, 1e-9)
	assert.InDelta(t, 8.0/6, got.Bound, 1e-9)

	// Run b and c at once: the steps were busy 5 of the 7 seconds of work.
	par := []trace.Span{
		span(trace.Model, "a", 2025, 0, 1), span(trace.Model, "b", 2025, 1, 3),
		span(trace.Model, "c", 2025, 1, 4), span(trace.Model, "d", 2025, 4, 5),
	}
	assert.InDelta(t, 7.0/5, p.ParallelismBound(par, 4).Achieved, 1e-9)
}
