package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"lockbench/trace"
	"lockbench/vocab"
)

func TestWriteSummary(t *testing.T) {
	res := &Result{
		Config:      Config{Mode: vocab.Threaded, Threads: 4, Coordination: false, Employees: 300, Seed: 7},
		PerYear:     []YearStats{{Year: 2025, ActiveStart: 300, ActiveEnd: 309, Hires: 40, Growth: 0.03, TargetGrowth: 0.03, TotalCompensation: 21.5e6}},
		Summary:     trace.Summary{Wall: 2, SQL: 1.5, Overhead: 0.5, ByKind: map[trace.Kind]float64{trace.Open: 0.1, trace.Idle: 0.4}},
		Fingerprint: "abc",
		Parallelism: trace.Parallelism{WorkS: 3, CriticalPathS: 1, Ratio: 3, Bound: 3, Width: 4, Achieved: 1.5, Path: []string{"a@2025", "b@2025"}},
		Spans: []trace.Span{
			{Kind: trace.Model, Name: "a", Year: 2025, Start: 0, End: 0.25},
			{Kind: trace.Model, Name: "b", Year: 2025, Start: 0.25, End: 1},
			{Kind: trace.Model, Name: "c", Year: 2025, Start: 0, End: 2}, // not on the path
		},
	}
	var b strings.Builder
	WriteSummary(&b, res)
	out := b.String()
	assert.Contains(t, out, "2025")
	assert.Contains(t, out, "$21.5M")
	assert.Contains(t, out, `mode threaded, threads 4, coordination off, 300 employees, seed 7
wall         2.000 s
sql          1.500 s
overhead     0.500 s (25% of wall)
  idle          0.400 s
  open          0.100 s
fingerprint abc

parallelism: work 3.000 s, critical path 1.000 s: running steps at once can gain at most 3.00×
  this run: 1.50× (50% of the bound)
  critical path (2 steps) by model: b 0.750 s, a 0.250 s
`)
}

func TestOptimisations(t *testing.T) {
	assert.Contains(t, Config{Coordination: true}.Optimisations(), "optimisations: coordination on (")
	assert.Contains(t, Config{}.Optimisations(), "optimisations: coordination off (")
}
