package scenarios

import (
	"fmt"

	"lockbench/vocab"
)

// ResolvedTarget is a target with the cells each of its sides resolved to when the run was
// planned (among every cell of the scenario, before --filter and --shard). A run's manifest
// records its scenario's targets in this form, so that reports judge each target with the
// cells the scenario meant, whichever of them a report has loaded.
type ResolvedTarget struct {
	Target
	// BaselineCells and CandidateCells are the keys of the cells of each side. A nil list (a
	// target given by hand, or read from a manifest that predates the lists) means the side's
	// selector is matched against the cells at hand instead.
	BaselineCells  []string `json:"baseline_cells"`
	CandidateCells []string `json:"candidate_cells"`
}

// ResolvedTargets returns the scenario's targets with the cells each side selects among all
// of the scenario's cells.
func (s *Scenario) ResolvedTargets() []ResolvedTarget {
	return resolveTargets(s.Targets, s.Cells())
}

func resolveTargets(ts []Target, cells []Cell) []ResolvedTarget {
	out := []ResolvedTarget{}
	for _, t := range ts {
		b, c := t.Sides(cells)
		out = append(out, ResolvedTarget{Target: t, BaselineCells: keys(b), CandidateCells: keys(c)})
	}
	return out
}

// Validate checks a target that did not come through the scenario parser (which checks more,
// with the file's positions): a known metric, both selectors and a reduction from MinReduction
// to below 1.
func (t Target) Validate() error {
	if _, err := vocab.ParseMetric(string(t.Metric)); err != nil {
		return fmt.Errorf("target %q: metric %q: want overhead, wall or sql", t.Name, t.Metric)
	}
	if len(t.Baseline) == 0 || len(t.Candidate) == 0 {
		return fmt.Errorf("target %q: baseline and candidate selectors are required", t.Name)
	}
	if !(t.Reduction < 1 && t.Reduction >= MinReduction) {
		return fmt.Errorf("target %q: reduction %v: want a fraction from %d to below 1 (0.65 for 65%%)", t.Name, t.Reduction, MinReduction)
	}
	return nil
}
