package scenarios

import "lockbench/criteria"

// Design returns the scenario's design. Fixed runs Trials per cell. Otherwise the design is
// sequential with looks from MinTrials (default criteria.DefaultMinTrials, or the maximum when that is
// lower) to MaxTrials (default Trials); a scenario of one trial per cell has nothing to decide
// sequentially and is fixed. The error says which setting to change.
func (s *Scenario) Design() (criteria.Design, error) {
	if s.Fixed {
		return criteria.FixedDesign(s.Trials), nil
	}
	hi := s.MaxTrials
	if hi == 0 {
		hi = s.Trials
		if hi < criteria.MinSequentialTrials && s.MinTrials == 0 {
			return criteria.FixedDesign(hi), nil
		}
	}
	lo := s.MinTrials
	if lo == 0 {
		lo = min(criteria.DefaultMinTrials, hi)
	}
	return criteria.SequentialDesign(lo, hi)
}

// design reads the stopping settings of raw into s and checks them together: min-trials and
// max-trials bound a sequential run, fixed runs trials per cell and takes neither.
func (p *parser) design(raw *rawScenario, s *Scenario) *Error {
	const allowed = "an integer from 2 to 10000"
	for _, f := range []struct {
		key string
		v   *int
		dst *int
	}{{"min-trials", raw.MinTrials, &s.MinTrials}, {"max-trials", raw.MaxTrials, &s.MaxTrials}} {
		if f.v == nil {
			continue
		}
		if *f.v < criteria.MinSequentialTrials {
			return p.errPath(f.key, allowed, "%s must be at least %d, not %d: a look estimates a variance from two trials (for one trial per cell write fixed: true)",
				f.key, criteria.MinSequentialTrials, *f.v)
		}
		if *f.v > criteria.MaxTrials {
			return p.errPath(f.key, allowed, "%s must be at most %d, not %d", f.key, criteria.MaxTrials, *f.v)
		}
		*f.dst = *f.v
	}
	if raw.Fixed != nil {
		s.Fixed = *raw.Fixed
	}
	if s.Fixed && (raw.MinTrials != nil || raw.MaxTrials != nil) {
		key := "min-trials"
		if raw.MinTrials == nil {
			key = "max-trials"
		}
		return p.errKey(key, "fixed: true with trials, or min-trials and max-trials without fixed",
			"%s bounds a sequential run, but fixed: true runs trials per cell", key)
	}
	if _, err := s.Design(); err != nil {
		key := "min-trials"
		if raw.MinTrials == nil {
			key = "trials"
		}
		return p.errPath(key, "min-trials ≤ max-trials (max-trials defaults to trials)", "%v", err)
	}
	return nil
}
