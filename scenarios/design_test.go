package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/criteria"
)

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
		{"default: sequential up to trials", "trials: 10", criteria.MethodSequential, []int{3, 5, 10}, 0, 3, 10, 0.708},
		{"the default trials", "", criteria.MethodSequential, []int{3, 5, 10}, 0, 3, 10, 0.708},
		{"max-trials outranks trials", "trials: 10\nmax-trials: 20", criteria.MethodSequential, []int{3, 8, 20}, 0, 3, 20, 0.708},
		{"min-trials", "min-trials: 5", criteria.MethodSequential, []int{5, 7, 10}, 0, 5, 10, 0.522},
		{"two trials: one look", "trials: 2", criteria.MethodSequential, []int{2}, 0, 2, 2, 0.842},
		{"one trial: fixed", "trials: 1", criteria.MethodFixed, nil, 1, 1, 1, 0},
		{"fixed", "trials: 10\nfixed: true", criteria.MethodFixed, nil, 10, 10, 10, 0},
		{"fixed: false", "trials: 4\nfixed: false", criteria.MethodSequential, []int{3, 4}, 0, 3, 4, 0.708},
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
				assert.Equal(t, criteria.DefaultAlpha, d.Alpha)
				assert.Equal(t, "pocock", d.Spending)
			}
		})
	}
}

// An expectation whose trials all match passes at the first look, for any first look: the
// design's maximum mismatch rate is the first look's bound rounded up, never into the next
// look.

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
		{"default", func(*CheckOptions) {}, criteria.MethodSequential, 10},
		{"max-trials", func(o *CheckOptions) { o.MaxTrials = 20 }, criteria.MethodSequential, 20},
		{"fixed", func(o *CheckOptions) { o.Fixed = true }, criteria.MethodFixed, 10},
		{"no-compare", func(o *CheckOptions) { o.NoCompare, o.MinTrials = true, 5 }, criteria.MethodFixed, 1},
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
