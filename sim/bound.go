package sim

import (
	"fmt"

	"lockbench/trace"
)

// ParallelismBound measures the plan's DAG with a run's spans: each step weighs the time of its
// work spans (model, recompute, validate and checkpoint: what any executor must spend on it,
// without the opens, closes and process starts an executor adds), the work is their sum, and the
// critical path the heaviest chain of dependencies. The run's own open and close (the one
// handle of the in-process modes; closing checkpoints everything) come before and after every
// step, so they add to both. width caps the bound (the connections or workers available). Steps
// without a span weigh nothing.
func (p *Plan) ParallelismBound(spans []trace.Span, width int) trace.Parallelism {
	weight := map[string]float64{}
	var working []trace.Span
	var serial float64
	for _, s := range spans {
		switch s.Kind {
		case trace.Model, trace.Recompute, trace.Validate, trace.Checkpoint:
			weight[stepKey(s.Name, s.Year)] += s.Duration()
			working = append(working, s)
		case trace.Open, trace.Close:
			if s.Name == runHandle && s.Year == 0 {
				serial += s.Duration()
				working = append(working, s)
			}
		}
	}
	work := serial
	finish := make(map[*Node]float64, len(p.Nodes))
	via := make(map[*Node]*Node, len(p.Nodes))
	var last *Node
	for _, n := range p.Nodes { // topological order
		w := weight[stepKey(n.Name, n.Year)]
		work += w
		start := 0.0
		for _, d := range n.Deps {
			if finish[d] > start {
				start, via[n] = finish[d], d
			}
		}
		finish[n] = start + w
		if last == nil || finish[n] > finish[last] {
			last = n
		}
	}
	out := trace.Parallelism{WorkS: work, Width: width}
	if last == nil || finish[last] <= 0 {
		return out
	}
	out.CriticalPathS = finish[last] + serial
	for n := last; n != nil; n = via[n] {
		if weight[stepKey(n.Name, n.Year)] > 0 {
			out.Path = append([]string{n.ID}, out.Path...)
		}
	}
	out.Ratio = work / out.CriticalPathS
	out.Bound = min(out.Ratio, float64(max(width, 1)))
	if busy := trace.Union(working); busy > 0 {
		out.Achieved = work / busy
	}
	return out
}

func stepKey(name string, year int) string { return fmt.Sprintf("%s@%d", name, year) }
