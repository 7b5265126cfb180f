package criteria

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"lockbench/vocab"
)

const (
	// MaxTrials bounds the measured and the warmup trials per cell.
	MaxTrials = 10_000
	// MinReduction is the lowest reduction a target may ask for: -10 allows the candidate to
	// be up to eleven times slower than the baseline.
	MinReduction = -10
)

// CellAxis is the pseudo-axis of a Selector that names one whole cell by its key
// ({"cell": "mode=threaded/threads=4/..."}).
const CellAxis = "cell"

// Selector picks cells by axis values: axis name → value, as written in a YAML selector, a
// --filter expression or a report's expectation. scenarios.Selects is the rule that matches it
// against a cell, since it compares values in each axis's canonical form.
type Selector map[string]string

// String returns the selector as axis=value pairs joined with "/" like a cell key: the axes in
// axis order, then any other names in alphabetical order; "*" for the empty selector.
func (s Selector) String() string {
	if len(s) == 0 {
		return "*"
	}
	parts := make([]string, 0, len(s))
	for _, a := range vocab.Axes {
		if v, ok := s[a]; ok {
			parts = append(parts, a+"="+v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s)) {
		if !slices.Contains(vocab.Axes, k) {
			parts = append(parts, k+"="+s[k])
		}
	}
	return strings.Join(parts, "/")
}

// Expectation is an expectation group: the cells its selector matches must show Outcome.
type Expectation struct {
	// Cells selects the group's cells; an empty selector selects every cell.
	Cells Selector `json:"cells"`
	// Outcome is one outcome, or several joined with "|" when any of them is acceptable.
	Outcome string `json:"outcome"`
	// Note says why, for reports.
	Note string `json:"note,omitempty"`
}

// Target is a gate on a metric: reduction = 1 − median(candidate)/median(baseline) must reach
// Reduction (docs/workforce-model.md#the-s031-04-target).
type Target struct {
	// Name names the target in reports.
	Name string `json:"name"`
	// Metric is one of vocab.Metrics: overhead, wall or sql.
	Metric vocab.Metric `json:"metric"`
	// Baseline selects the cells whose trials form the baseline side.
	Baseline Selector `json:"baseline"`
	// Candidate selects the cells whose trials form the candidate side.
	Candidate Selector `json:"candidate"`
	// Reduction is the least acceptable reduction (0.65 = 65%).
	Reduction float64 `json:"reduction"`
}

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
