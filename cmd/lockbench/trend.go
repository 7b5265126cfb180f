package main

import (
	"errors"
	"io"

	"github.com/spf13/cobra"

	"lockbench/internal/exitcode"
	"lockbench/reports"
	"lockbench/reports/trend"
)

func init() { register(newTrendCmd) }

type trendFlags struct {
	metric, filter, format, out, minChange string
	cells                                  []string
	alpha                                  float64
	permutations, minRuns                  int
	seed                                   uint64
	failOnRegression                       bool
}

func newTrendCmd(a *app) *cobra.Command {
	f := &trendFlags{}
	c := &cobra.Command{
		Use:   "trend PATH...",
		Short: "Track each cell across runs and commits, and fail on a regression at the newest run",
		Long: `trend reads every run directory at or under the given paths (run directories, runs/, or
downloaded CI artifacts; it never runs anything), orders the runs by time, merges the shards of
each sharded run, and follows every cell's metric from run to run: the run's median with its
interval, the commit under test, and where the workload (SQL models, seeds, exec command, cell
parameters) changed, which splits a series rather than counting as a change.

Change points are found with E-Divisive with means on the run medians, tested by a seeded
permutation test (--alpha) and kept when the medians differ by at least --min-change. Each names
the last run before it and the first after it, with the medians on each side and a bootstrap
interval of their ratio. The same inputs always give the same output.

Exit codes: 0 no regression at the newest run; 1 the newest change point of a series is a
slowdown (--fail-on-regression=false reports it and exits 0); 3 a series has fewer than
--min-runs runs since its workload last changed; 2 bad input.`,
		Example: `  lockbench trend runs/
  lockbench trend --metric wall --filter mode=threaded runs/
  lockbench trend --format md artifacts/ >> "$GITHUB_STEP_SUMMARY"
  lockbench trend --format html --out trend.html runs/`,
		Args: positional(cobra.MinimumNArgs(1)),
		RunE: func(c *cobra.Command, paths []string) error { return runTrend(a, f, paths) },
	}
	fl := c.Flags()
	fl.StringVar(&f.metric, "metric", trend.DefaultMetric, "overhead, wall or sql")
	fl.StringArrayVar(&f.cells, "cell", nil, "analyse only this cell key (repeatable)")
	fl.StringVar(&f.filter, "filter", "", "analyse only matching cells, e.g. mode=threaded/competitor=none")
	fl.Float64Var(&f.alpha, "alpha", trend.DefaultAlpha, "significance level of the permutation test")
	fl.StringVar(&f.minChange, "min-change", "5%", "smallest change of the median that counts")
	fl.IntVar(&f.permutations, "permutations", trend.DefaultPermutations, "permutations per significance test")
	fl.Uint64Var(&f.seed, "seed", trend.DefaultSeed, "seed of the permutations")
	fl.IntVar(&f.minRuns, "min-runs", trend.DefaultMinRuns, "fewest runs since the workload last changed for a verdict")
	fl.StringVar(&f.format, "format", "text", reports.FormatNames(trend.Formats))
	fl.StringVar(&f.out, "out", "", "write to this file instead of stdout (atomically)")
	fl.BoolVar(&f.failOnRegression, "fail-on-regression", true, "exit 1 when the newest change point of a series is a slowdown")
	return c
}

func runTrend(a *app, f *trendFlags, paths []string) error {
	format, ok := reports.FindFormat(trend.Formats, f.format)
	if !ok {
		return usageErr("--format %q: use %s", f.format, reports.FormatNames(trend.Formats))
	}
	minChange, err := parsePercent(f.minChange)
	if err != nil {
		return usageErr("--min-change %q: %v (e.g. 5%% or 0.05)", f.minChange, err)
	}
	data, err := trend.Load(a.ctx, paths...)
	if err != nil {
		return trendErr(err)
	}
	t, err := trend.Analyze(data, trend.Options{
		Metric: f.metric, Cells: f.cells, Filter: f.filter, Alpha: f.alpha, MinChange: minChange,
		Permutations: f.permutations, Seed: f.seed, MinRuns: f.minRuns,
	})
	if err != nil {
		return trendErr(err)
	}
	if err := writeOutput(a, f.out, t.Verdict, func(w io.Writer) error { return format.Write(w, t) }); err != nil {
		return err
	}
	if t.Verdict == reports.Fail && !f.failOnRegression {
		return withCode(exitcode.Pass)
	}
	return withCode(t.Verdict.ExitCode())
}

// trendErr maps trend's input errors to exit code 2; anything else is the harness's own.
func trendErr(err error) error {
	var ie *trend.InputError
	if errors.As(err, &ie) {
		return usageErr("trend: %v", err)
	}
	return err
}
