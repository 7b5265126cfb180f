package criteria

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLooks(t *testing.T) {
	tests := []struct {
		lo, hi int
		want   []int
	}{
		{3, 10, []int{3, 5, 10}}, // √30 = 5.48
		{3, 20, []int{3, 8, 20}}, // √60 = 7.75
		{2, 10, []int{2, 4, 10}}, // √20 = 4.47
		{5, 10, []int{5, 7, 10}}, // √50 = 7.07
		{3, 4, []int{3, 4}},      // √12 = 3.46 rounds to the first look
		{3, 5, []int{3, 4, 5}},   // √15 = 3.87
		{3, 3, []int{3}},
		{2, 2, []int{2}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Looks(tt.lo, tt.hi), "Looks(%d, %d)", tt.lo, tt.hi)
	}
}

func TestExpectationPassesAtTheFirstLook(t *testing.T) {
	for lo := MinSequentialTrials; lo <= 400; lo++ {
		d, err := SequentialDesign(lo, lo+10)
		require.NoError(t, err)
		p, err := d.Plan()
		require.NoError(t, err)
		all := make([]bool, lo)
		for i := range all {
			all[i] = true
		}
		dec, err := p.DecideExpectation(all, d.ExpectationMaxRate)
		require.NoError(t, err)
		require.Equal(t, "pass", string(dec.Verdict), "first look %d: %s", lo, dec.Reason)
		require.Equal(t, 1, dec.Look)
		dec, err = p.DecideExpectation(all[:lo-1], d.ExpectationMaxRate)
		require.NoError(t, err)
		require.Equal(t, "undecided", string(dec.Verdict), "first look %d, one trial short", lo)
	}
}

func TestDesignValidate(t *testing.T) {
	good, err := SequentialDesign(3, 10)
	require.NoError(t, err)
	tests := []struct {
		name string
		d    Design
		err  string
	}{
		{"unknown method", Design{Method: "bayesian"}, `unknown design method "bayesian"`},
		{"fixed of no trials", FixedDesign(0), "fixed design of 0 trials"},
		{"decreasing looks", Design{Method: MethodSequential, Looks: []int{5, 3}, Alpha: 0.05, Spending: "pocock", ExpectationMaxRate: 0.7}, "strictly increasing"},
		{"unknown spending", Design{Method: MethodSequential, Looks: []int{3}, Alpha: 0.05, Spending: "haybittle", ExpectationMaxRate: 0.7}, "unknown spending"},
		{"a rate no look can show", Design{Method: MethodSequential, Looks: []int{3}, Alpha: 0.05, Spending: "pocock", ExpectationMaxRate: 0.1}, "needs 36 matching trials"},
	}
	require.NoError(t, good.Validate())
	for _, tt := range tests {
		assert.ErrorContains(t, tt.d.Validate(), tt.err, tt.name)
	}
	assert.Equal(t, "group-sequential: looks at 3/5/10 measured trials per cell, pocock α-spending, α = 0.05; stops when every target and expectation is decided", good.String())
	assert.Equal(t, "fixed: 10 measured trials per cell", FixedDesign(10).String())
}
