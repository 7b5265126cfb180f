package reports

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/scenarios"
)

// TestTargetsJudgedFromTheManifest judges a target with the cells its manifest recorded for
// each side, and falls back to matching its selectors when the manifest has no lists.
func TestTargetsJudgedFromTheManifest(t *testing.T) {
	// The selector mode=process-per-model matches two loaded cells, but the scenario put only
	// x=1 on the baseline side (x=2 came from a cell the scenario did not compare).
	trials := append(append(
		simpleTrials("mode=process-per-model/x=1", map[string]string{"mode": "process-per-model", "x": "1"}, 12, 10, 0.05, 1),
		simpleTrials("mode=process-per-model/x=2", map[string]string{"mode": "process-per-model", "x": "2"}, 12, 3, 0.05, 2)...),
		simpleTrials("mode=threaded/x=1", map[string]string{"mode": "threaded", "x": "1"}, 12, 3, 0.05, 3)...)
	const withLists = `{"targets": [{"name": "t", "metric": "overhead", "reduction": 0.65,
		"baseline": {"mode": "process-per-model"}, "candidate": {"mode": "threaded"},
		"baseline_cells": ["mode=process-per-model/x=1"], "candidate_cells": ["mode=threaded/x=1", "mode=threaded/x=9"]}]}`
	const withoutLists = `{"targets": [{"name": "t", "metric": "overhead", "reduction": 0.65,
		"baseline": {"mode": "process-per-model"}, "candidate": {"mode": "threaded"}}]}`

	tests := []struct {
		name     string
		manifest string
		base     []string
		baseN    int
		verdict  Verdict
	}{
		{"the manifest's lists", withLists, []string{"mode=process-per-model/x=1"}, 12, Pass},
		{"no lists: the selectors", withoutLists, []string{"mode=process-per-model/x=1", "mode=process-per-model/x=2"}, 24, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := ParseScenario(json.RawMessage(tt.manifest))
			require.NoError(t, err)
			r, err := Build([]Run{{Manifest: history.Manifest{ID: "m"}, Trials: trials}}, Options{Targets: spec.Targets})
			require.NoError(t, err)
			require.Len(t, r.Targets, 1)
			tr := r.Targets[0]
			assert.Equal(t, tt.base, tr.BaselineCells)
			assert.Equal(t, []string{"mode=threaded/x=1"}, tr.CandidateCells, "a recorded cell that was not loaded (x=9) is left out")
			assert.Equal(t, tt.baseN, tr.BaselineN)
			assert.Equal(t, 12, tr.CandidateN)
			assert.Equal(t, tt.verdict, tr.Verdict, tr.Reason)
		})
	}
}

// TestTargetsFromAScenarioManifest reads the targets of a real scenario's manifest JSON: each
// side is the list of cells the scenario resolved, with a bare competitor kind matching every
// option set of that kind.
func TestTargetsFromAScenarioManifest(t *testing.T) {
	s, err := scenarios.Parse("t.yaml", []byte(`
defaults: {employees: 100, years: 2025-2026}
matrix:
  mode: [sequential, threaded]
  competitor: [none, readers, {kind: readers, count: 4}]
targets:
  - name: readers
    metric: wall
    baseline: {mode: sequential, competitor: readers}
    candidate: {mode: threaded, competitor: none}
    reduction: 0.1
`))
	require.NoError(t, err)
	eff, err := s.Effective()
	require.NoError(t, err)
	spec, err := ParseScenario(eff)
	require.NoError(t, err)
	require.Len(t, spec.Targets, 1)
	tg := spec.Targets[0]
	assert.Equal(t, []string{
		"mode=sequential/threads=1/coordination=on/lock-retry=off/employees=100/years=2025-2026/competitor=readers/seed=1",
		"mode=sequential/threads=1/coordination=on/lock-retry=off/employees=100/years=2025-2026/competitor=readers(count=4)/seed=1",
	}, tg.BaselineCells)
	assert.Equal(t, []string{
		"mode=threaded/threads=4/coordination=on/lock-retry=off/employees=100/years=2025-2026/competitor=none/seed=1",
	}, tg.CandidateCells)
	assert.Equal(t, scenarios.Selector{"mode": "sequential", "competitor": "readers"}, tg.Baseline)
}
