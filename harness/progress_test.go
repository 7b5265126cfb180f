package harness

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/outcome"
	"lockbench/vocab"
)

// TestProgressLabelsCellsByVaryingAxes checks that progress lines name a cell by the axes that
// vary in the run and print the shared ones once.
func TestProgressLabelsCellsByVaryingAxes(t *testing.T) {
	cells := parse(t, tinyScenario).Cells()
	require.Len(t, cells, 3)
	var b bytes.Buffer
	p := newProgress(&b, false, 9, cells)
	p.trial(history.Trial{Cell: cells[1].Key, Trial: 1, Outcome: outcome.Outcome{Kind: vocab.OK}, WallS: 1.5}, 2*time.Second, map[string]int{cells[1].Key: 2, cells[2].Key: 1})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 2)
	assert.Equal(t, "9 trials of 3 cells; every cell has coordination=on lock-retry=off employees=200 years=2025-2026 competitor=none seed=1", lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "[1/9] trial 1 mode=threaded threads=2: ok 1.50s"), lines[1])
	assert.True(t, strings.HasSuffix(lines[1], "ETA 6s"), "3 trials left at the 2s this one took: %s", lines[1])
}

// TestProgressETAByCell checks that the ETA prices each cell's remaining trials at that cell's
// own mean, so that a slow cell's trials are not averaged away by fast ones, and a cell not yet
// seen at the mean of every trial so far.
func TestProgressETAByCell(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name string
		took map[string][]time.Duration
		left map[string]int
		want time.Duration
	}{
		{"nothing run yet", nil, map[string]int{"a": 3}, 0},
		{"nothing left", map[string][]time.Duration{"a": {10 * s}}, nil, 0},
		{"each cell at its own mean", map[string][]time.Duration{"slow": {28 * s, 30 * s}, "fast": {s, 3 * s}},
			map[string]int{"slow": 2, "fast": 3}, 2*29*s + 3*2*s},
		{"an unseen cell at the mean of all", map[string][]time.Duration{"slow": {30 * s}, "fast": {2 * s, 4 * s}},
			map[string]int{"new": 2}, 2 * 12 * s},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProgress(nil, false, 0, nil)
			for cell, took := range tc.took {
				for _, d := range took {
					p.trial(history.Trial{Cell: cell}, d, nil)
				}
			}
			assert.Equal(t, tc.want, p.eta(tc.left))
		})
	}
}
