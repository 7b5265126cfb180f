package main

import (
	"github.com/spf13/pflag"

	"lockbench/criteria"
	"lockbench/scenarios"
)

// gateFlags are the flags that choose how many trials a run gives each cell: a sequential run
// between --min-trials and --max-trials that stops when every target and expectation is decided
// (the default), or --fixed, every cell's --trials.
type gateFlags struct {
	// MinTrials and MaxTrials are 0 when not given.
	MinTrials int
	MaxTrials int
	Fixed     bool
}

// register adds the flags to fl.
func (g *gateFlags) register(fl *pflag.FlagSet) {
	fl.IntVar(&g.MinTrials, "min-trials", 0, "the fewest measured trials per cell, the first look of a sequential run (default 3, at most --max-trials)")
	fl.IntVar(&g.MaxTrials, "max-trials", 0, "the most measured trials per cell, the last look of a sequential run (default: --trials, else the scenario's trials)")
	fl.BoolVar(&g.Fixed, "fixed", false, "run every cell's --trials and judge at the end, with no early stop (the behaviour before sequential verdicts)")
}

// set reports whether any of the flags was given.
func (g gateFlags) set() bool { return g.MinTrials != 0 || g.MaxTrials != 0 || g.Fixed }

// validate checks the flags on their own, before anything is loaded or written.
func (g gateFlags) validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"min-trials", g.MinTrials}, {"max-trials", g.MaxTrials}} {
		if f.v == 0 {
			continue
		}
		if f.v < criteria.MinSequentialTrials {
			return usageErr("--%s %d: a sequential run needs at least %d trials per cell (a look estimates a variance from two); for fewer use --fixed --trials N", f.name, f.v, criteria.MinSequentialTrials)
		}
		if err := checkRange(f.name, f.v, criteria.MinSequentialTrials, maxTrials); err != nil {
			return err
		}
	}
	if g.Fixed && (g.MinTrials != 0 || g.MaxTrials != 0) {
		return usageErr("--fixed runs --trials trials per cell, and --min-trials and --max-trials bound a sequential run: drop --fixed or drop them")
	}
	if g.MinTrials != 0 && g.MaxTrials != 0 && g.MinTrials > g.MaxTrials {
		return usageErr("--min-trials %d is above --max-trials %d: lower --min-trials or raise --max-trials", g.MinTrials, g.MaxTrials)
	}
	return nil
}

// apply sets the flags given on s, over what its file says (--trials, given as trialsSet,
// replaces the file's max-trials too, unless --max-trials is given), and checks the design that
// results.
func (g gateFlags) apply(s *scenarios.Scenario, trialsSet bool) error {
	if trialsSet && g.MaxTrials == 0 {
		s.MaxTrials = 0
	}
	switch {
	case g.Fixed:
		s.Fixed, s.MinTrials, s.MaxTrials = true, 0, 0
	case g.MinTrials != 0 || g.MaxTrials != 0:
		s.Fixed = false
		if g.MinTrials != 0 {
			s.MinTrials = g.MinTrials
		}
		if g.MaxTrials != 0 {
			s.MaxTrials = g.MaxTrials
		}
	}
	if _, err := s.Design(); err != nil {
		return usageErr("%s: %v", s.Name, err)
	}
	return nil
}
