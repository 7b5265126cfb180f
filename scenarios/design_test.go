package scenarios

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

func TestScenarioDesign(t *testing.T) {
	tests := []struct {
		name          string
		src           string
		method        string
		looks         []int
		fixedTrials   int
		min, max      int
		expectMaxRate float64
	}{
		{"default: sequential up to trials", "trials: 10", MethodSequential, []int{3, 5, 10}, 0, 3, 10, 0.708},
		{"the default trials", "", MethodSequential, []int{3, 5, 10}, 0, 3, 10, 0.708},
		{"max-trials outranks trials", "trials: 10\nmax-trials: 20", MethodSequential, []int{3, 8, 20}, 0, 3, 20, 0.708},
		{"min-trials", "min-trials: 5", MethodSequential, []int{5, 7, 10}, 0, 5, 10, 0.522},
		{"two trials: one look", "trials: 2", MethodSequential, []int{2}, 0, 2, 2, 0.842},
		{"one trial: fixed", "trials: 1", MethodFixed, nil, 1, 1, 1, 0},
		{"fixed", "trials: 10\nfixed: true", MethodFixed, nil, 10, 10, 10, 0},
		{"fixed: false", "trials: 4\nfixed: false", MethodSequential, []int{3, 4}, 0, 3, 4, 0.708},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("d.yaml", []byte("name: d\n"+tt.src+"\nmatrix:\n  mode: [sequential]\n"))
			require.NoError(t, err)
			d, err := s.Design()
			require.NoError(t, err)
			require.NoError(t, d.Validate())
			assert.Equal(t, tt.method, d.Method)
			assert.Equal(t, tt.looks, d.Looks)
			assert.Equal(t, tt.fixedTrials, d.Trials)
			assert.Equal(t, tt.min, d.MinTrials())
			assert.Equal(t, tt.max, d.MaxTrials())
			assert.InDelta(t, tt.expectMaxRate, d.ExpectationMaxRate, 1e-12)
			if d.IsSequential() {
				assert.Equal(t, DefaultAlpha, d.Alpha)
				assert.Equal(t, "pocock", d.Spending)
			}
		})
	}
}

// An expectation whose trials all match passes at the first look, for any first look: the
// design's maximum mismatch rate is the first look's bound rounded up, never into the next
// look.
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

// Check's scenario carries the stopping settings, and --no-compare (one trial per mode) is
// fixed whatever they say.
func TestCheckDesign(t *testing.T) {
	o := CheckOptions{Threads: 4, Trials: 10, Employees: 200, Years: []int{2025}}
	for _, tt := range []struct {
		name   string
		edit   func(*CheckOptions)
		method string
		max    int
	}{
		{"default", func(*CheckOptions) {}, MethodSequential, 10},
		{"max-trials", func(o *CheckOptions) { o.MaxTrials = 20 }, MethodSequential, 20},
		{"fixed", func(o *CheckOptions) { o.Fixed = true }, MethodFixed, 10},
		{"no-compare", func(o *CheckOptions) { o.NoCompare, o.MinTrials = true, 5 }, MethodFixed, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			oo := o
			tt.edit(&oo)
			src, err := Check(oo).Marshal()
			require.NoError(t, err)
			s, err := Parse("check", src)
			require.NoError(t, err)
			d, err := s.Design()
			require.NoError(t, err)
			assert.Equal(t, tt.method, d.Method)
			assert.Equal(t, tt.max, d.MaxTrials())
		})
	}
}
