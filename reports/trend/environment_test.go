package trend

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEnvironmentTrialsAreNotFailures writes a run whose cell has ok trials, a crash and two
// trials that failed for a full disk: only the crash counts as a failed trial.
func TestEnvironmentTrialsAreNotFailures(t *testing.T) {
	root := t.TempDir()
	writeRun(t, root, synthRun{id: "r1", at: t0, commit: "c1",
		cells:  map[string][]float64{cellA: {0.5, 0.5, 0.6, 0.5, 0.4}},
		failed: map[string]int{cellA: 1}, env: map[string]int{cellA: 2}})
	s := only(t, analyze(t, Options{}, root))
	require.Len(t, s.Points, 1)
	p := s.Points[0]
	assert.Equal(t, 5, p.N)
	assert.Equal(t, 1, p.Failed, "a trial that met a full disk counted as a failure of the code")
}
