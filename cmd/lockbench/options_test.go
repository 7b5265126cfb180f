package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/harness/competitor"
	"lockbench/internal/exitcode"
	"lockbench/vocab"
)

// testApp is an app whose streams are buffers.
func testApp() (*app, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &app{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, ctx: context.Background(), args: []string{"test"}}, &out, &errb
}

// parse runs a command built by newCmd on args (after trailingYears, as run does) and returns
// the options cobra handed to its run function, or the parse error.
func parse[O any](t *testing.T, newCmd func(*app, func(context.Context, *O) error) *cobra.Command, args ...string) (*O, error) {
	t.Helper()
	a, _, _ := testApp()
	var got *O
	c := newCmd(a, func(_ context.Context, o *O) error { got = o; return nil })
	c.SetArgs(trailingYears(args))
	c.SetOut(io.Discard)
	c.SetErr(io.Discard)
	if err := c.Execute(); err != nil {
		return nil, err
	}
	require.NotNil(t, got, "the run function was called")
	return got, nil
}

// TestYearsFlag gives --years in every form a user, a scenario file or a cell key writes: each
// command that takes years parses them the same way.
func TestYearsFlag(t *testing.T) {
	tests := []struct {
		args []string
		want []int
		err  string
	}{
		{nil, []int{2025, 2026, 2027}, ""},
		{[]string{"--years", "2025-2029"}, []int{2025, 2026, 2027, 2028, 2029}, ""},
		{[]string{"--years", "2025+2027"}, []int{2025, 2027}, ""},
		{[]string{"--years", "2025", "2026", "2027"}, []int{2025, 2026, 2027}, ""},
		{[]string{"--years", "2025,2026"}, []int{2025, 2026}, ""},
		{[]string{"--years", "2025-2026", "2028"}, []int{2025, 2026, 2028}, ""},
		{[]string{"--years", "2025", "--years", "2027-2028"}, []int{2025, 2027, 2028}, ""},
		{[]string{"--years=2030"}, []int{2030}, ""},
		{[]string{"--years", "2029-2025"}, nil, `years range "2029-2025" is not increasing`},
		{[]string{"--years", "2026", "2025"}, nil, "years are not strictly increasing: 2025 follows 2026"},
		{[]string{"--years", "2025", "--years", "2025"}, nil, "years are not strictly increasing: 2025 follows 2025"},
		{[]string{"--years", "1999-2001"}, nil, "year 1999 is outside 2000-2100"},
		{[]string{"--years", "soon"}, nil, `years "soon" is not a year, range or set; write one year (2025), a range (2025-2027)`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			sim, err := parse(t, newSimulateCmd, tc.args...)
			chk, cerr := parse(t, newCheckCmd, tc.args...)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				require.Error(t, cerr)
				assert.Contains(t, cerr.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			require.NoError(t, cerr)
			assert.Equal(t, tc.want, sim.Years, "simulate")
			assert.Equal(t, tc.want, chk.Years, "check")
		})
	}
}

// TestFlagsToOptions checks, without running anything, that cobra only copies flags into
// options (cli/cli style): what was given, what was left at its default.
func TestFlagsToOptions(t *testing.T) {
	s, err := parse(t, newSimulateCmd, "--mode", "sequential", "--census", "c.csv", "--db", "x.duckdb", "--threads", "2")
	require.NoError(t, err)
	assert.True(t, s.ModeSet)
	assert.False(t, s.CoordinationSet)
	assert.Equal(t, "c.csv", s.Census)
	assert.Equal(t, 2, s.Threads)
	assert.Equal(t, 5000, s.Employees, "the default")

	b, err := parse(t, newBenchCmd, "--trials", "3", "-m", "quick", "--filter", "years=2025-2027")
	require.NoError(t, err)
	require.NotNil(t, b.Trials)
	assert.Equal(t, 3, *b.Trials)
	assert.Nil(t, b.Warmup, "--warmup not given keeps the scenario's")
	assert.True(t, b.MatrixSet)
	assert.Equal(t, []string{"lockbench", "test"}, b.Command, "the manifest records the command line")

	h, err := parse(t, newHoldCmd, "--for", "5s", "--read-only", "x.duckdb")
	require.NoError(t, err)
	assert.Equal(t, "x.duckdb", h.DB)
	assert.Equal(t, 5*time.Second, h.For)
	assert.True(t, h.ForSet)
	assert.False(t, h.WriteEverySet)

	r, err := parse(t, newReproCmd, "--list", "rw-vs-rw")
	require.NoError(t, err)
	assert.Equal(t, []string{"rw-vs-rw"}, r.Names)
	assert.True(t, r.List)

	w, err := parse(t, newWorkerCmd, "--spec", "{}")
	require.NoError(t, err)
	assert.Equal(t, []string{"--spec", "{}"}, w.Args, "worker's arguments are passed on unparsed")
}

// TestRunFunctionsWithoutCobra calls the commands' run functions with options filled in by
// hand: each checks its own options, and says what is wrong with exit code 2.
func TestRunFunctionsWithoutCobra(t *testing.T) {
	ctx := context.Background()
	a, _, _ := testApp()
	ios := a.streams()
	dir := t.TempDir()
	sim := func(change func(*simulateOptions)) error {
		o := newSimulateOptions(ios)
		o.DB = filepath.Join(dir, "s.duckdb")
		change(o)
		return runSimulate(ctx, o)
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"simulate threads", sim(func(o *simulateOptions) { o.Threads = 0 }), "--threads 0: give an integer from 1 to 1024"},
		{"simulate years", sim(func(o *simulateOptions) { o.Years = []int{2026, 2025} }), "--years: years are not strictly increasing: 2025 follows 2026"},
		{"simulate no years", sim(func(o *simulateOptions) { o.Years = nil }), "--years: no years"},
		{"simulate mode conflict", sim(func(o *simulateOptions) {
			o.ForceSequential, o.ModeSet, o.Mode = true, true, string(vocab.Threaded)
		}), "--force-sequential conflicts with --mode threaded"},
		{"simulate coordination conflict", sim(func(o *simulateOptions) {
			o.NoCoordination, o.CoordinationSet = true, true
		}), "--enable-coordination conflicts with --no-coordination"},
		{"simulate missing census", sim(func(o *simulateOptions) { o.Census = filepath.Join(dir, "none.csv") }), "cannot read the census file"},
		{"hold rows read-only", runHold(ctx, &holdOptions{IO: ios, HoldOptions: competitor.HoldOptions{DB: "x", ReadOnly: true, Rows: 3}}), "--rows needs a read-write hold"},
		{"hold zero for", runHold(ctx, &holdOptions{IO: ios, HoldOptions: competitor.HoldOptions{DB: "x"}, ForSet: true}), "--for 0s: give a positive duration"},
		{"hold negative for", runHold(ctx, &holdOptions{IO: ios, HoldOptions: competitor.HoldOptions{DB: "x", For: -time.Second}}), "--for -1s"},
		{"bench resume with matrix", runBench(ctx, &benchOptions{IO: ios, Resume: "x", MatrixSet: true, MaxCells: 1}), "drop -m"},
		{"bench max cells", runBench(ctx, &benchOptions{IO: ios, Matrix: "quick", MaxCells: 0}), "--max-cells 0"},
		{"check years", runCheck(ctx, &checkOptions{IO: ios, Threads: 1, Trials: 1, Employees: 100}), "--years: no years"},
		{"who missing", runWho(ctx, &whoOptions{IO: ios, DB: filepath.Join(dir, "none.duckdb")}), "does not exist"},
		{"fingerprint missing", runFingerprint(ctx, &fingerprintOptions{IO: ios, DB: filepath.Join(dir, "none.duckdb")}), "give the path of an existing DuckDB file"},
		{"repro unknown", runRepro(ctx, &reproOptions{IO: ios, Names: []string{"nosuch"}, List: true}), `unknown reproduction "nosuch"`},
		{"trial without spec", runTrial(ctx, &trialOptions{IO: ios}), "trial is started by lockbench bench"},
		{"cooperate without db", runCooperate(ctx, &cooperateOptions{IO: ios, Args: []string{"--role=viewer"}}), "want one database path"},
		{"duckdb unknown release", runDuckDBBuild(ctx, &duckdbOptions{IO: ios, Releases: []string{"0.0.1"}}), `DuckDB release "0.0.1" is not one lockbench can run`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, tc.err)
			assert.Contains(t, tc.err.Error(), tc.want)
			assert.Equal(t, exitcode.Usage, exitcode.Of(tc.err), "%v", tc.err)
		})
	}
	assert.NoFileExists(t, filepath.Join(dir, "s.duckdb"), "bad input changes nothing")

	var out bytes.Buffer
	require.NoError(t, runVersion(ctx, &versionOptions{IO: streams{Out: &out}}))
	assert.Contains(t, out.String(), "duckdb    "+duckdbVersionByQuery(t))
}
