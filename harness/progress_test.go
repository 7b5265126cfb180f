package harness

import (
	"bytes"
	"strings"
	"testing"

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
	p.trial(history.Trial{Cell: cells[1].Key, Trial: 1, Outcome: outcome.Outcome{Kind: vocab.OK}, WallS: 1.5})
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 2)
	assert.Equal(t, "9 trials of 3 cells; every cell has coordination=on lock-retry=off employees=200 years=2025-2026 competitor=none seed=1", lines[0])
	assert.True(t, strings.HasPrefix(lines[1], "[1/9] trial 1 mode=threaded threads=2: ok 1.50s"), lines[1])
}
