package reports

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/verdict"
)

// TestTargetsJudgedFromTheManifest judges a target with the cells its manifest recorded for
// each side, and falls back to matching its selectors when the manifest has no lists. The
// manifests are version 2, whose targets history reads from the raw scenario.
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
		verdict  verdict.Verdict
	}{
		{"the manifest's lists", withLists, []string{"mode=process-per-model/x=1"}, 12, verdict.Pass},
		{"no lists: the selectors", withoutLists, []string{"mode=process-per-model/x=1", "mode=process-per-model/x=2"}, 24, verdict.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, writeRun(dir, history.Run{Manifest: history.Manifest{SchemaVersion: 2, ID: "m", Scenario: json.RawMessage(tt.manifest)}, Trials: trials}))
			r, err := LoadReport([]string{dir}, "")
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
