package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/scenarios"
	"lockbench/vocab"
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
		if err := checkTimings(filepath.Join(dir, history.HistoryFile)); err != nil {
			return nil, err
		}
		runs = append(runs, Run{Dir: dir, Manifest: m, Trials: ts})
	}
	return runs, nil
}

// MaxSeconds bounds every timing a history may hold (a year): a larger figure is a corrupt
// line, not a measurement, and would overflow the statistics.
const MaxSeconds = 365 * 24 * 3600

// ErrCorrupt is matched (errors.Is) by every error about a history line that cannot be a
// trial's record: an ok trial without its timings, or a timing that is negative, not finite or
// absurdly large. Such an error is bad input, not a harness failure.
var ErrCorrupt = errors.New("corrupt history")

// CorruptError is a history line that cannot be a trial's record.
type CorruptError struct {
	// File and Line locate the line (Line 0 when the trial was not read from a file).
	File string
	Line int
	// Trial names the trial (cell #n) when the line could be decoded.
	Trial string
	// Msg says what is wrong.
	Msg string
}

// Error returns "file:line: corrupt trial cell #n: msg; repair or delete the line".
func (e *CorruptError) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	what := "corrupt trial"
	if e.Trial != "" {
		what += " " + e.Trial
	}
	return fmt.Sprintf("%s: %s: %s; repair or delete the line", where, what, e.Msg)
}

// Is makes a CorruptError match ErrCorrupt.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// timingLine is the part of a history line whose presence and range checkTimings verifies;
// pointers tell a missing or null field from a zero.
type timingLine struct {
	Cell    string `json:"cell"`
	Trial   int    `json:"trial"`
	Outcome struct {
		Kind vocab.Kind `json:"kind"`
	} `json:"outcome"`
	WallS     *float64            `json:"wall_s"`
	SQLS      *float64            `json:"sql_s"`
	OverheadS *float64            `json:"overhead_s"`
	ByKind    map[string]*float64 `json:"overhead_by_kind"`
}

// checkTimings reads a history file again and refuses its first line that is an ok trial
// without wall_s, sql_s or overhead_s (missing or null: it would enter the statistics as 0 s),
// or that holds a timing outside what a trial can measure (see checkTiming). Lines are counted
// as history.DecodeTrials counts them; a torn last line is ignored as it is there.
func checkTimings(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	for i, line := range bytes.SplitAfter(b, []byte("\n")) {
		if !bytes.HasSuffix(line, []byte("\n")) {
			break // a torn last line
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var tl timingLine
		if err := json.Unmarshal(line, &tl); err != nil {
			return &CorruptError{File: path, Line: i + 1, Msg: err.Error()}
		}
		corrupt := func(format string, args ...any) error {
			return &CorruptError{File: path, Line: i + 1, Trial: fmt.Sprintf("%s #%d", tl.Cell, tl.Trial), Msg: fmt.Sprintf(format, args...)}
		}
		fields := []struct {
			name string
			v    *float64
		}{{"wall_s", tl.WallS}, {"sql_s", tl.SQLS}, {"overhead_s", tl.OverheadS}}
		for _, f := range fields {
			if f.v == nil {
				if tl.Outcome.Kind == vocab.OK {
					return corrupt("an ok trial without %s (missing or null), which the timing statistics need", f.name)
				}
				continue
			}
			if msg := checkTiming(f.name, *f.v); msg != "" {
				return corrupt("%s", msg)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(tl.ByKind)) {
			if v := tl.ByKind[k]; v != nil {
				if msg := checkTiming("overhead_by_kind."+k, *v); msg != "" {
					return corrupt("%s", msg)
				}
			}
		}
	}
	return nil
}

// checkTiming returns what is wrong with a timing field's value, or "". Wall and sql times
// are from 0 to MaxSeconds; overhead (wall − sql) and its parts may be slightly negative from
// rounding, so only their size is bounded.
func checkTiming(field string, v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprintf("%s is %v, not a number of seconds", field, v)
	case (field == "wall_s" || field == "sql_s") && v < 0:
		return fmt.Sprintf("%s %g is negative", field, v)
	case math.Abs(v) > MaxSeconds:
		return fmt.Sprintf("%s %g is more than a year (%d s)", field, v, MaxSeconds)
	}
	return ""
}

// checkTrial applies checkTiming to a trial given in memory (Build's input), so that no
// statistic is computed from values no trial can measure.
func checkTrial(run string, t history.Trial) error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"wall_s", t.WallS}, {"sql_s", t.SQLS}, {"overhead_s", t.OverheadS}} {
		if msg := checkTiming(f.name, f.v); msg != "" {
			return &CorruptError{File: run, Trial: fmt.Sprintf("%s #%d", t.Cell, t.Trial), Msg: msg}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(t.OverheadByKind)) {
		if msg := checkTiming("overhead_by_kind."+string(k), t.OverheadByKind[k]); msg != "" {
			return &CorruptError{File: run, Trial: fmt.Sprintf("%s #%d", t.Cell, t.Trial), Msg: msg}
		}
	}
	return nil
}

// Metrics a target or comparison can use.
const (
	MetricWall     = string(vocab.Wall)
	MetricOverhead = string(vocab.Overhead)
	MetricSQL      = string(vocab.SQL)
)

// Target is a gate on a reduction, such as "threaded execution with coordination cuts
// overhead by at least 65% against process-per-model without it".
type Target struct {
	// Name identifies the target in reports and JUnit.
	Name string `json:"name"`
	// Metric is "overhead", "wall" or "sql".
	Metric string `json:"metric"`
	// Baseline and Candidate select the cells whose trials are pooled on each side.
	Baseline  scenarios.Selector `json:"baseline"`
	Candidate scenarios.Selector `json:"candidate"`
	// BaselineCells and CandidateCells are the keys of the cells of each side as the scenario
	// resolved them when the run was planned (a manifest's baseline_cells and candidate_cells):
	// a side pools the loaded cells among them. When a side's list is nil (a manifest written
	// before they were recorded, or a target given by hand), its selector is matched against
	// the loaded cells instead.
	BaselineCells  []string `json:"baseline_cells,omitempty"`
	CandidateCells []string `json:"candidate_cells,omitempty"`
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
	// Cells selects the cells (see scenarios.Selector; {"cell": key} names one cell).
	Cells scenarios.Selector `json:"cells"`
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
//	     "reduction": 0.65,
//	     "baseline_cells": ["mode=process-per-model/..."],
//	     "candidate_cells": ["mode=threaded/..."]}
//	  ],
//	  "expectations": [
//	    {"name": "rw holder conflicts", "cells": {"competitor": "holder-rw"}, "outcome": "lock-conflict"}
//	  ]
//	}
//
// Both arrays are optional and any other top-level fields are ignored. A target's cell lists are
// the cells its scenario resolved for each side (scenarios.Scenario.Effective); see Target.
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

// LoadReport loads the run directories dirs (the shards of one run merge) and builds their
// report with the targets their scenario recorded in the first run's manifest, each judged with
// the cells the manifest resolved for it. versus, when set, is AXIS=VALUE: every cell is compared
// with its sibling at that value. Expectations come from each trial's expected outcome: the
// scenario already resolved its expectation groups (the last matching group decides a cell).
// Bad input (a missing, unreadable or corrupt run, a malformed versus) has exit code 2.
func LoadReport(dirs []string, versus string) (*Report, error) {
	runs, err := Load(dirs...)
	if err != nil {
		return nil, exitcode.WithCode(err, exitcode.Usage)
	}
	var opts Options
	if len(runs) > 0 {
		spec, err := ParseScenario(runs[0].Manifest.Scenario)
		if err != nil {
			return nil, err
		}
		opts.Targets = spec.Targets
	}
	if versus != "" {
		k, v, ok := strings.Cut(versus, "=")
		if !ok || k == "" || v == "" {
			return nil, exitcode.Usagef("--versus %q: write AXIS=VALUE, e.g. mode=sequential", versus)
		}
		opts.VersusAxis, opts.VersusBase = k, v
	}
	r, err := Build(runs, opts)
	if errors.Is(err, ErrCorrupt) {
		return nil, exitcode.WithCode(err, exitcode.Usage)
	}
	return r, err
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
