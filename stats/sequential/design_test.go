package sequential

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Spending values at budget 0.025, from the closed forms evaluated with Python's math and
// statistics.NormalDist; the O'Brien–Fleming value at t = 0.5 is the 0.0015 tabulated for
// gsDesign's sfLDOF(0.025, 0.5).
func TestSpendingCumulative(t *testing.T) {
	tests := []struct {
		s    Spending
		t    float64
		want float64
	}{
		{Pocock, 0.3, 0.010393380546090717},
		{Pocock, 0.5, 0.015502862673956938},
		{Pocock, 1, 0.025},
		{Pocock, 0, 0},
		{Pocock, 1.5, 0.025},
		{OBrienFleming, 0.3, 4.272578744490829e-05},
		{OBrienFleming, 0.5, 0.0015253227579887785},
		{OBrienFleming, 1, 0.025},
		{OBrienFleming, -1, 0},
	}
	for _, tt := range tests {
		got := tt.s.Cumulative(tt.t, 0.025)
		assert.InDelta(t, tt.want, got, 1e-12*max(1, tt.want)+1e-15, "%v at t=%v", tt.s, tt.t)
	}
	assert.True(t, math.IsNaN(Spending(7).Cumulative(0.5, 0.025)))
}

func TestSpendingIsNondecreasing(t *testing.T) {
	for _, s := range []Spending{Pocock, OBrienFleming} {
		prev := 0.0
		for i := 0; i <= 100; i++ {
			c := s.Cumulative(float64(i)/100, 0.025)
			require.GreaterOrEqual(t, c, prev, "%v at %d%%", s, i)
			prev = c
		}
		assert.InDelta(t, 0.025, prev, 1e-15)
	}
}

func TestLookAlphas(t *testing.T) {
	tests := []struct {
		name string
		d    Design
		want []float64
	}{
		{"default", DefaultDesign(), []float64{0.010393380546090717, 0.005109482127866221, 0.009497137326043063}},
		{"obrien-fleming", Design{Looks: []int{3, 5, 10}, Alpha: 0.05, Spending: OBrienFleming},
			[]float64{4.272578744490829e-05, 0.0014825969705438702, 0.023474677242011133}},
		{"one look spends everything", Design{Looks: []int{10}, Alpha: 0.05}, []float64{0.025}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.d.LookAlphas()
			require.NoError(t, err)
			require.Len(t, got, len(tt.want))
			sum := 0.0
			for i := range got {
				assert.InDelta(t, tt.want[i], got[i], 1e-12, "look %d", i+1)
				sum += got[i]
			}
			assert.InDelta(t, tt.d.Alpha/2, sum, 1e-15)
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		d    Design
		err  string // "" for a valid design
	}{
		{"default", DefaultDesign(), ""},
		{"no looks", Design{Alpha: 0.05}, "at least one look"},
		{"first look of one trial", Design{Looks: []int{1, 5}, Alpha: 0.05}, "at least 2"},
		{"decreasing", Design{Looks: []int{3, 5, 5}, Alpha: 0.05}, "strictly increasing: look 3 is at 5 trials, after 5"},
		{"alpha zero", Design{Looks: []int{3}, Alpha: 0}, "alpha is 0"},
		{"alpha one", Design{Looks: []int{3}, Alpha: 1}, "strictly between 0 and 1"},
		{"alpha NaN", Design{Looks: []int{3}, Alpha: math.NaN()}, "alpha is NaN"},
		{"unknown spending", Design{Looks: []int{3}, Alpha: 0.05, Spending: 9}, "unknown spending function Spending(9)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.d.Validate()
			if tt.err == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.err)
			_, err = tt.d.LookAlphas()
			assert.Error(t, err)
			_, err = tt.d.DecideTarget([]float64{1, 2, 3}, []float64{1, 2, 3}, 0.5)
			assert.Error(t, err)
			_, err = tt.d.DecideExpectation([]bool{true}, 0.5)
			assert.Error(t, err)
		})
	}
}

func TestReached(t *testing.T) {
	d := DefaultDesign()
	tests := []struct {
		base, cand, want int
	}{
		{0, 0, 0},
		{2, 10, 0},
		{3, 3, 1},
		{4, 9, 1}, // an odd count from a resumed run: the look at 3
		{9, 5, 2}, // the smaller side decides
		{7, 7, 2}, // never an unplanned look at 7
		{10, 10, 3},
		{25, 11, 3}, // more than planned: still the last look
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, d.Reached(tt.base, tt.cand), "Reached(%d, %d)", tt.base, tt.cand)
	}
	assert.Equal(t, 3, d.MinTrials())
	assert.Equal(t, 10, d.MaxTrials())
}

func TestParseSpending(t *testing.T) {
	for _, s := range []Spending{Pocock, OBrienFleming} {
		got, err := ParseSpending(s.String())
		require.NoError(t, err)
		assert.Equal(t, s, got)
	}
	got, err := ParseSpending(" O'Brien-Fleming ")
	require.NoError(t, err)
	assert.Equal(t, OBrienFleming, got)
	_, err = ParseSpending("haybittle")
	require.ErrorContains(t, err, `unknown spending function "haybittle": use pocock or obrien-fleming`)
}

func TestMethodNames(t *testing.T) {
	assert.Equal(t, "group-sequential Welch t interval of the log ratio, conservative degrees of freedom (looks at 3/5/10 trials per side, Lan–DeMets Pocock-type α-spending, α = 0.05)",
		DefaultDesign().TargetMethod())
	assert.Contains(t, Design{Looks: []int{4, 8}, Alpha: 0.1, Spending: OBrienFleming}.TargetMethod(),
		"looks at 4/8 trials per side, Lan–DeMets O'Brien–Fleming-type α-spending, α = 0.1")
	assert.Contains(t, DefaultDesign().ExpectationMethod(), "one-sided 97.5% Clopper–Pearson bound")
}
