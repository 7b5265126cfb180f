package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"lockbench/history"
)

// Run is one run directory as read from disk: its manifest and its trials in file order.
type Run struct {
	// Dir is the directory the run was read from ("" for runs built in memory).
	Dir string
	// Manifest is the run's manifest.json.
	Manifest history.Manifest
	// Trials are the run's trials in the order they were recorded.
	Trials []history.Trial
}

// Load reads the run directories dirs. Several directories (shards of one run, or runs to pool)
// become several Runs; Build pools trials of the same cell key across them.
func Load(dirs ...string) ([]Run, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("load runs: no run directory given")
	}
	runs := make([]Run, 0, len(dirs))
	for _, dir := range dirs {
		m, err := history.ReadManifest(dir)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", dir, err)
		}
		ts, err := history.ReadTrials(dir)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", dir, err)
		}
		runs = append(runs, Run{Dir: dir, Manifest: m, Trials: ts})
	}
	return runs, nil
}

// Selector picks cells by their parameters: a cell matches when, for every axis of the
// selector, the cell's parameter of that name has that value. The pseudo-axis "cell" matches
// the whole cell key. An empty selector matches every cell.
type Selector map[string]string

// Matches reports whether a cell with the given key and parameters is selected.
func (s Selector) Matches(key string, params map[string]string) bool {
	for axis, want := range s {
		if axis == "cell" {
			if key != want {
				return false
			}
			continue
		}
		if got, ok := params[axis]; !ok || got != want {
			return false
		}
	}
	return true
}

// String formats the selector as axis=value pairs in axis order, joined by "/" like a cell key.
func (s Selector) String() string {
	if len(s) == 0 {
		return "*"
	}
	parts := make([]string, 0, len(s))
	for _, k := range slices.Sorted(maps.Keys(s)) {
		parts = append(parts, k+"="+s[k])
	}
	return strings.Join(parts, "/")
}

// Metrics a target or comparison can use.
const (
	MetricWall     = "wall"
	MetricOverhead = "overhead"
	MetricSQL      = "sql"
)

// Target is a gate on a reduction, such as "threaded execution with coordination cuts
// overhead by at least 65% against process-per-model without it".
type Target struct {
	// Name identifies the target in reports and JUnit.
	Name string `json:"name"`
	// Metric is "overhead", "wall" or "sql".
	Metric string `json:"metric"`
	// Baseline and Candidate select the cells whose trials are pooled on each side.
	Baseline  Selector `json:"baseline"`
	Candidate Selector `json:"candidate"`
	// Reduction is the least acceptable 1 − median(candidate)/median(baseline), e.g. 0.65.
	// A negative value bounds a slowdown (−0.1: at most 10% slower).
	Reduction float64 `json:"reduction"`
}

// Validate checks that the target can be evaluated.
func (t Target) Validate() error {
	switch t.Metric {
	case MetricWall, MetricOverhead, MetricSQL:
	default:
		return fmt.Errorf("target %q: metric %q: want overhead, wall or sql", t.Name, t.Metric)
	}
	if len(t.Baseline) == 0 || len(t.Candidate) == 0 {
		return fmt.Errorf("target %q: baseline and candidate selectors are required", t.Name)
	}
	if !(t.Reduction < 1) {
		return fmt.Errorf("target %q: reduction %v: want a fraction below 1 (0.65 for 65%%)", t.Name, t.Reduction)
	}
	return nil
}

// Expectation states the outcome kind every non-warmup trial of the selected cells must have,
// in the style of PostgreSQL's isolation tester (a repro case passes when the bug shows exactly
// as expected).
type Expectation struct {
	// Name identifies the expectation in reports and JUnit; it defaults to the selector.
	Name string `json:"name,omitempty"`
	// Cells selects the cells (see Selector; {"cell": key} names one cell).
	Cells Selector `json:"cells"`
	// Outcome is the expected outcome kind (ok, lock-conflict, ...); empty means each trial's
	// own Expected field (default ok).
	Outcome string `json:"outcome,omitempty"`
}

// ScenarioSpec is the part of a manifest's Scenario JSON that reports reads. Its shape is
//
//	{
//	  "targets": [
//	    {"name": "threaded cuts overhead", "metric": "overhead",
//	     "baseline": {"mode": "process-per-model", "coordination": "off"},
//	     "candidate": {"mode": "threaded", "coordination": "on"},
//	     "reduction": 0.65}
//	  ],
//	  "expectations": [
//	    {"name": "rw holder conflicts", "cells": {"competitor": "holder-rw"}, "outcome": "lock-conflict"}
//	  ]
//	}
//
// Both arrays are optional and any other top-level fields are ignored.
type ScenarioSpec struct {
	// Targets are the scenario's reduction gates.
	Targets []Target `json:"targets"`
	// Expectations are the scenario's outcome expectations beyond each trial's Expected field.
	Expectations []Expectation `json:"expectations"`
}

// ParseScenario extracts targets and expectations from a manifest's Scenario JSON (see
// ScenarioSpec). An empty or null scenario yields an empty spec; invalid targets are errors.
func ParseScenario(raw json.RawMessage) (ScenarioSpec, error) {
	var spec ScenarioSpec
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return spec, nil
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		return spec, fmt.Errorf("scenario targets: %w", err)
	}
	for i, t := range spec.Targets {
		if t.Name == "" {
			spec.Targets[i].Name = fmt.Sprintf("target-%d", i+1)
		}
		if err := spec.Targets[i].Validate(); err != nil {
			return spec, fmt.Errorf("scenario: %w", err)
		}
	}
	return spec, nil
}

// ParseCellKey splits a cell key "a=1/b=2" into its parameters. Parts without "=" are ignored.
func ParseCellKey(key string) map[string]string {
	out := map[string]string{}
	for part := range strings.SplitSeq(key, "/") {
		if k, v, ok := strings.Cut(part, "="); ok && k != "" {
			out[k] = v
		}
	}
	return out
}
