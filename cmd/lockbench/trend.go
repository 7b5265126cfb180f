package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"lockbench/internal/exitcode"
	"lockbench/reports"
	"lockbench/reports/trend"
	"lockbench/verdict"
)

func init() { register(newTrendCmd) }

// trendOptions are what `lockbench trend` was asked to do.
type trendOptions struct {
	// Paths are run directories or folders of them.
	Paths []string
	// Metric, Cells, Filter, Alpha, MinChange ("5%" or 0.05), Permutations, Seed and MinRuns
	// are trend.Options.
	Metric, Filter, MinChange string
	Cells                     []string
	Alpha                     float64
	Permutations, MinRuns     int
	Seed                      uint64
	// Format is a name of trend.Formats; Out a file to write instead of stdout.
	Format, Out string
	// FailOnRegression makes a regression at the newest run exit 1 (else it is reported and
	// the exit code is 0).
	FailOnRegression bool
}

func newTrendCmd(a *app) *cobra.Command {
	opts := &trendOptions{}
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
		RunE: func(c *cobra.Command, paths []string) error {
			opts.Paths = paths
			return runTrend(a.ctx, opts, a.stdout, a.stderr)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Metric, "metric", trend.DefaultMetric, "overhead, wall or sql")
	fl.StringArrayVar(&opts.Cells, "cell", nil, "analyse only this cell key (repeatable)")
	fl.StringVar(&opts.Filter, "filter", "", "analyse only matching cells, e.g. mode=threaded/competitor=none")
	fl.Float64Var(&opts.Alpha, "alpha", trend.DefaultAlpha, "significance level of the permutation test")
	fl.StringVar(&opts.MinChange, "min-change", "5%", "smallest change of the median that counts")
	fl.IntVar(&opts.Permutations, "permutations", trend.DefaultPermutations, "permutations per significance test")
	fl.Uint64Var(&opts.Seed, "seed", trend.DefaultSeed, "seed of the permutations")
	fl.IntVar(&opts.MinRuns, "min-runs", trend.DefaultMinRuns, "fewest runs since the workload last changed for a verdict")
	fl.StringVar(&opts.Format, "format", "text", reports.FormatNames(trend.Formats))
	fl.StringVar(&opts.Out, "out", "", "write to this file instead of stdout (atomically)")
	fl.BoolVar(&opts.FailOnRegression, "fail-on-regression", true, "exit 1 when the newest change point of a series is a slowdown")
	return c
}

// runTrend reads the runs at opts.Paths, analyses them and writes the trend; the returned
// error carries the exit code (the verdict's, or 2 for bad input).
func runTrend(ctx context.Context, opts *trendOptions, stdout, stderr io.Writer) error {
	format, ok := reports.FindFormat(trend.Formats, opts.Format)
	if !ok {
		return usageErr("--format %q: use %s", opts.Format, reports.FormatNames(trend.Formats))
	}
	minChange, err := parsePercent(opts.MinChange)
	if err != nil {
		return usageErr("--min-change %q: %v (e.g. 5%% or 0.05)", opts.MinChange, err)
	}
	data, err := trend.Load(ctx, opts.Paths...)
	if err != nil {
		return err
	}
	t, err := trend.Analyze(data, trend.Options{
		Metric: opts.Metric, Cells: opts.Cells, Filter: opts.Filter, Alpha: opts.Alpha, MinChange: minChange,
		Permutations: opts.Permutations, Seed: opts.Seed, MinRuns: opts.MinRuns,
	})
	if err != nil {
		return err
	}
	if err := writeOutput(stdout, stderr, opts.Out, t.Verdict, func(w io.Writer) error { return format.Write(w, t) }); err != nil {
		return err
	}
	if t.Verdict == verdict.Fail && !opts.FailOnRegression {
		return withCode(exitcode.Pass)
	}
	return withCode(t.Verdict.ExitCode())
}
