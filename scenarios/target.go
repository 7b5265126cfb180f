package scenarios

import "lockbench/criteria"

// ResolvedTargets returns the scenario's targets with the cells each side selects among all
// of the scenario's cells.
func (s *Scenario) ResolvedTargets() []criteria.ResolvedTarget {
	return resolveTargets(s.Targets, s.Cells())
}

func resolveTargets(ts []criteria.Target, cells []Cell) []criteria.ResolvedTarget {
	out := []criteria.ResolvedTarget{}
	for _, t := range ts {
		b, c := Sides(t, cells)
		out = append(out, criteria.ResolvedTarget{Target: t, BaselineCells: keys(b), CandidateCells: keys(c)})
	}
	return out
}
