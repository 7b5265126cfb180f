package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/criteria"
	"lockbench/vocab"
)

func TestResolvedTargets(t *testing.T) {
	s, err := Parse("t.yaml", []byte(`
defaults: {employees: 100, years: 2025-2026}
matrix:
  mode: [sequential, threaded]
targets:
  - name: threads
    metric: wall
    baseline: {mode: sequential}
    candidate: {mode: threaded}
    reduction: 0.1
`))
	require.NoError(t, err)
	ts := s.ResolvedTargets()
	require.Len(t, ts, 1)
	assert.Equal(t, s.Targets[0], ts[0].Target)
	assert.Equal(t, vocab.Wall, ts[0].Metric)
	assert.Equal(t, []string{"mode=sequential/threads=1/coordination=on/lock-retry=off/employees=100/years=2025-2026/competitor=none/seed=1"}, ts[0].BaselineCells)
	assert.Equal(t, []string{"mode=threaded/threads=4/coordination=on/lock-retry=off/employees=100/years=2025-2026/competitor=none/seed=1"}, ts[0].CandidateCells)
}

func TestTargetValidate(t *testing.T) {
	ok := criteria.Target{Name: "t", Metric: vocab.Overhead, Baseline: criteria.Selector{"mode": "a"}, Candidate: criteria.Selector{"mode": "b"}, Reduction: 0.65}
	assert.NoError(t, ok.Validate())
	for _, tc := range []struct {
		change func(*criteria.Target)
		want   string
	}{
		{func(t *criteria.Target) { t.Metric = "p99" }, `metric "p99"`},
		{func(t *criteria.Target) { t.Candidate = nil }, "baseline and candidate selectors are required"},
		{func(t *criteria.Target) { t.Reduction = 65 }, "want a fraction from -10 to below 1"},
		{func(t *criteria.Target) { t.Reduction = -11 }, "reduction -11"},
	} {
		bad := ok
		tc.change(&bad)
		assert.ErrorContains(t, bad.Validate(), tc.want)
	}
}

func TestParseKey(t *testing.T) {
	assert.Equal(t, map[string]string{"mode": "threaded", "competitor": "readers(count=3)"}, vocab.ParseCellKey("mode=threaded/odd/competitor=readers(count=3)"))
	assert.Empty(t, vocab.ParseCellKey(""))
}
