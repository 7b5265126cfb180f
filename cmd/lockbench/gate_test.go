package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/criteria"
	"lockbench/internal/exitcode"
	"lockbench/scenarios"
)

func TestGateFlagsToOptions(t *testing.T) {
	b, err := parse(t, newBenchCmd, "--min-trials", "4", "--max-trials", "12")
	require.NoError(t, err)
	assert.Equal(t, gateFlags{MinTrials: 4, MaxTrials: 12}, b.Gate)
	b, err = parse(t, newBenchCmd, "--fixed")
	require.NoError(t, err)
	assert.Equal(t, gateFlags{Fixed: true}, b.Gate)
	c, err := parse(t, newCheckCmd, "--fixed", "--trials", "12")
	require.NoError(t, err)
	assert.Equal(t, gateFlags{Fixed: true}, c.Gate)
	assert.Equal(t, 12, c.Trials)
}

// TestGateFlagsRefused gives bench and check stopping flags that cannot work together: each
// says what is wrong with exit code 2 and creates no run directory.
func TestGateFlagsRefused(t *testing.T) {
	ctx := context.Background()
	a, _, _ := testApp()
	ios := a.streams()
	runs := filepath.Join(t.TempDir(), "runs")
	bench := func(g gateFlags, edit ...func(*benchOptions)) error {
		o := newBenchOptions(ios)
		o.RunsDir, o.Gate, o.Quiet = runs, g, true
		for _, e := range edit {
			e(o)
		}
		return runBench(ctx, o)
	}
	check := func(g gateFlags, edit ...func(*checkOptions)) error {
		o := newCheckOptions(ios)
		o.RunsDir, o.Gate, o.Quiet = runs, g, true
		for _, e := range edit {
			e(o)
		}
		return runCheck(ctx, o)
	}
	three := 3
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"bench fixed with max", bench(gateFlags{Fixed: true, MaxTrials: 5}), "--fixed runs --trials trials per cell, and --min-trials and --max-trials bound a sequential run"},
		{"bench min one", bench(gateFlags{MinTrials: 1}), "--min-trials 1: a sequential run needs at least 2 trials per cell"},
		{"bench max one", bench(gateFlags{MaxTrials: 1}), "--max-trials 1: a sequential run needs at least 2"},
		{"bench max huge", bench(gateFlags{MaxTrials: 10001}), "--max-trials 10001: give an integer from 2 to 10000"},
		{"bench min above max", bench(gateFlags{MinTrials: 6, MaxTrials: 5}), "--min-trials 6 is above --max-trials 5"},
		{"bench min above the matrix's trials", bench(gateFlags{MinTrials: 12}), "quick: min-trials 12 is above max-trials 10"},
		{"bench min above --trials", bench(gateFlags{MinTrials: 4}, func(o *benchOptions) { o.Trials = &three }), "quick: min-trials 4 is above max-trials 3"},
		{"bench resume", bench(gateFlags{Fixed: true}, func(o *benchOptions) { o.Resume = "x" }), "--resume keeps the run's own trial counts and design"},
		{"check min above max", check(gateFlags{MinTrials: 12}), "check: min-trials 12 is above max-trials 10"},
		{"check no-compare", check(gateFlags{Fixed: true}, func(o *checkOptions) { o.NoCompare = true }), "--no-compare runs one trial per mode"},
		{"check fixed with min", check(gateFlags{Fixed: true, MinTrials: 3}), "drop --fixed or drop them"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, tc.err)
			assert.Contains(t, tc.err.Error(), tc.want)
			assert.Equal(t, exitcode.Usage, exitcode.Of(tc.err), "%v", tc.err)
		})
	}
	_, err := os.Stat(runs)
	assert.True(t, os.IsNotExist(err), "bad input creates no run directory")
}

// TestGateFlagsApply: the flags replace what the scenario file says; --trials replaces its
// max-trials too unless --max-trials is given.
func TestGateFlagsApply(t *testing.T) {
	load := func(src string) *scenarios.Scenario {
		s, err := scenarios.Parse("s.yaml", []byte("name: s\nmatrix:\n  mode: [sequential]\n"+src))
		require.NoError(t, err)
		return s
	}
	tests := []struct {
		name      string
		file      string
		flags     gateFlags
		trials    int // 0: --trials not given
		method    string
		looks     []int
		fixedRuns int
	}{
		{"the file's default", "", gateFlags{}, 0, criteria.MethodSequential, []int{3, 5, 10}, 0},
		{"--trials is the maximum", "", gateFlags{}, 20, criteria.MethodSequential, []int{3, 8, 20}, 0},
		{"--trials replaces the file's max-trials", "max-trials: 6\n", gateFlags{}, 20, criteria.MethodSequential, []int{3, 8, 20}, 0},
		{"--max-trials outranks --trials", "", gateFlags{MaxTrials: 4}, 20, criteria.MethodSequential, []int{3, 4}, 0},
		{"--min-trials", "", gateFlags{MinTrials: 5}, 0, criteria.MethodSequential, []int{5, 7, 10}, 0},
		{"--fixed", "min-trials: 4\n", gateFlags{Fixed: true}, 0, criteria.MethodFixed, nil, 10},
		{"--fixed --trials", "", gateFlags{Fixed: true}, 12, criteria.MethodFixed, nil, 12},
		{"--min-trials on a fixed file", "fixed: true\n", gateFlags{MinTrials: 2}, 0, criteria.MethodSequential, []int{2, 4, 10}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := load(tc.file)
			if tc.trials > 0 {
				s.Trials = tc.trials
			}
			require.NoError(t, tc.flags.apply(s, tc.trials > 0))
			d, err := s.Design()
			require.NoError(t, err)
			assert.Equal(t, tc.method, d.Method)
			assert.Equal(t, tc.looks, d.Looks)
			assert.Equal(t, tc.fixedRuns, d.Trials)
		})
	}
}
