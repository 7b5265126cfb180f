package main

import (
	"lockbench/criteria"
	"lockbench/vocab"
)

// Limits of the counts flags take. The scenario limits apply to the same values given on the
// command line, so a flag accepts what a scenario file accepts.
const (
	// maxTrials bounds --trials and --warmup (criteria.MaxTrials).
	maxTrials = criteria.MaxTrials
	// defaultMaxCells is the default of bench --max-cells.
	defaultMaxCells = 1000
)

// checkRange refuses a count flag outside [lo, hi], naming the flag and the range.
func checkRange(flag string, v, lo, hi int) error {
	if v < lo || v > hi {
		return usageErr("--%s %d: give an integer from %d to %d", flag, v, lo, hi)
	}
	return nil
}

// checkYears refuses --years that vocab.CheckYears refuses (the one check of years), for
// options a test filled in without the flag, which checks them as it parses.
func checkYears(years []int) error {
	if err := vocab.CheckYears(years); err != nil {
		return usageErr("--years: %w", err)
	}
	return nil
}
