package main

import (
	"lockbench/scenarios"
	"lockbench/vocab"
)

// Limits of the counts flags take. The scenario limits apply to the same values given on the
// command line, so a flag accepts what a scenario file accepts.
const (
	// maxTrials bounds --trials and --warmup (scenarios.MaxTrials).
	maxTrials = scenarios.MaxTrials
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

// checkYears refuses --years that are empty, outside the simulation's range or not strictly
// increasing.
func checkYears(years []int) error {
	if len(years) == 0 {
		return usageErr("--years: give at least one year, e.g. --years 2025 2026 2027")
	}
	for i, y := range years {
		if y < vocab.MinYear || y > vocab.MaxYear {
			return usageErr("--years: year %d is outside %d–%d", y, vocab.MinYear, vocab.MaxYear)
		}
		if i > 0 && y <= years[i-1] {
			return usageErr("--years: years must increase: %d comes after %d", y, years[i-1])
		}
	}
	return nil
}
