package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lockbench/history"
	"lockbench/internal/fsutil"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"lockbench/buildinfo"
	"lockbench/harness"
	"lockbench/internal/exitcode"
	"lockbench/outcome"
	"lockbench/reports"
	"lockbench/scenarios"
	"lockbench/vocab"
	"lockbench/watch"
)

func init() {
	register(func(a *app) *cobra.Command { return newBenchCmd(a, runBench) })
}

// benchOptions are bench's inputs: what its flags say, or what a test fills in.
type benchOptions struct {
	IO streams
	// Matrix is a built-in matrix name or a YAML file; MatrixSet says -m was given.
	Matrix    string
	MatrixSet bool
	List      bool
	Resume    string
	Shard     string
	Filter    string
	Seed      int64
	RunsDir   string
	Quiet     bool
	// Trials and Warmup override the scenario's counts; nil keeps them.
	Trials *int
	Warmup *int
	// Gate chooses a sequential run (the default) or a fixed one.
	Gate     gateFlags
	Versus   string
	NoReport bool
	MaxCells int
	Commit   string
	Group    string
	// Binaries are the --duckdb-binary overrides, RELEASE=PATH.
	Binaries []string
	// Command is the command line the run's manifest records.
	Command []string
	// Watch watches every trial's database file for processes lockbench did not start, every
	// WatchInterval.
	Watch         bool
	WatchInterval time.Duration
}

// newBenchOptions returns bench's defaults, the ones --help shows.
func newBenchOptions(io streams) *benchOptions {
	return &benchOptions{IO: io, Matrix: scenarios.DefaultMatrix, RunsDir: "runs", MaxCells: defaultMaxCells, WatchInterval: watch.DefaultInterval}
}

// newBenchCmd parses bench's flags into options and hands them to runF.
func newBenchCmd(a *app, runF func(context.Context, *benchOptions) error) *cobra.Command {
	o := newBenchOptions(a.streams())
	var trials, warmup int
	c := &cobra.Command{
		Use:   "bench",
		Short: "Run a scenario matrix many times and report against its targets",
		Long: `bench runs every cell of a scenario matrix (a built-in one or a YAML file) for its warmup and
measured trials, interleaved in a seeded order, each trial in a fresh directory and database.
By default the run is sequential: it looks at the evidence after 3, 5 and 10 measured trials per
cell (--min-trials to --max-trials) and stops as soon as every target and expectation is decided,
with the chance of a wrong verdict on a target kept at most 2.5% each way over all looks;
--fixed runs every cell's --trials and judges at the end.
Trials are recorded one by one in runs/<UTC time>-<id>/history.ndjson; runs/latest points at
the newest run. At the end bench writes the reports (text, Markdown, JSON, JUnit, HTML, Go
benchmark format) into the run directory and prints the text report. The exit code is the
run's verdict: 0 pass, 1 fail, 2 bad input, 3 unknown or interrupted, 4 harness error.

With --watch, bench also samples the lock holders of each trial's database file while the trial
runs (as lockbench watch does, every --watch-interval) and records the strangers: processes it
did not start (a viewer, a notebook, a leftover process) that held the file or waited for its
lock. The trial records name them, and the report names them per cell ("a process lockbench did
not start ... held the trial's file during 3 of 10 watched trials"). A hold shorter than the
interval may be missed. Watching costs about 2% of a core while a trial holds its file.`,
		Example: `  lockbench bench                      # the quick pre-merge matrix
  lockbench bench --fixed              # every cell's 10 trials, no early stop
  lockbench bench --list
  lockbench bench -m locks
  lockbench bench -m my-scenario.yaml --filter mode=threaded
  lockbench bench -m my-scenario.yaml --filter years=2025-2029
  lockbench bench -m full --shard 2/4  # one of four CI jobs
  lockbench bench -m full --shard auto # the share from GitLab, CircleCI, Buildkite or Kubernetes
  lockbench bench -m upgrade           # DuckDB 1.5.6 against 2.0.0, side by side and mixed
  lockbench bench -m upgrade --duckdb-binary 1.5.6=/opt/lockbench-1.5.6
  lockbench bench --commit "$(git -C ../pipeline rev-parse HEAD)" -m pipeline.yaml
  lockbench bench --resume runs/20261126T221500Z-1a2b3c
  lockbench bench --watch              # and name any process lockbench did not start that held a trial's file`,
		Args: positional(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			o.MatrixSet = c.Flags().Changed("matrix")
			if c.Flags().Changed("trials") {
				o.Trials = &trials
			}
			if c.Flags().Changed("warmup") {
				o.Warmup = &warmup
			}
			o.Command = a.commandLine()
			return runF(c.Context(), o)
		},
	}
	fl := c.Flags()
	fl.StringVarP(&o.Matrix, "matrix", "m", o.Matrix, "a built-in matrix name (see --list) or a YAML file")
	fl.BoolVar(&o.List, "list", false, "list the built-in matrices and exit")
	fl.StringVar(&o.Resume, "resume", "", "finish an interrupted run directory without repeating its trials")
	fl.StringVar(&o.Shard, "shard", "", "run only share k of n of the cells, e.g. 2/4; auto (or auto/N) reads the CI's parallel-job variables")
	fl.StringVar(&o.Filter, "filter", "", "run only matching cells, e.g. mode=threaded/competitor=none or years=2025-2027")
	fl.Int64Var(&o.Seed, "seed", 0, "root seed (default: the scenario's)")
	fl.StringVar(&o.RunsDir, "runs", o.RunsDir, "directory that holds run directories")
	fl.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress output")
	fl.IntVar(&trials, "trials", 0, "override the scenario's measured trials per cell (with --fixed; otherwise the default of --max-trials)")
	fl.IntVar(&warmup, "warmup", -1, "override the scenario's warmup trials per cell")
	o.Gate.register(fl)
	fl.StringVar(&o.Versus, "versus", "", "compare every cell with its sibling at AXIS=VALUE, e.g. mode=sequential")
	fl.BoolVar(&o.NoReport, "no-report", false, "record trials only; do not print or write reports")
	fl.IntVar(&o.MaxCells, "max-cells", o.MaxCells, "refuse a matrix that would run more cells than this (at most 100000)")
	fl.StringVar(&o.Commit, "commit", "", "the commit under test (default: $GITHUB_SHA, $CI_COMMIT_SHA, $BUILDKITE_COMMIT, $CIRCLE_SHA1, else git HEAD of the working directory)")
	fl.StringVar(&o.Group, "group", "", "the CI pipeline run this shard belongs to, for trend (default: from the CI's variables)")
	fl.StringArrayVar(&o.Binaries, "duckdb-binary", nil, "use this lockbench binary for a DuckDB release that cells or competitors name: RELEASE=PATH (repeatable; default: built from source once)")
	fl.BoolVar(&o.Watch, "watch", false, "watch each trial's file and record the processes lockbench did not start that held it")
	fl.DurationVar(&o.WatchInterval, "watch-interval", o.WatchInterval, "time between two samples of --watch; a shorter hold may be missed")
	return c
}

// runBench is `lockbench bench`: it runs (or resumes) a matrix, records every trial and ends
// with the run's verdict.
func runBench(ctx context.Context, o *benchOptions) error {
	if o.List {
		for _, b := range scenarios.Builtins() {
			trials := fmt.Sprint(b.Trials)
			if b.MinTrials < b.Trials {
				trials = fmt.Sprintf("%d-%d", b.MinTrials, b.Trials)
			}
			fmt.Fprintf(o.IO.Out, "%-10s %3d cells × %5s trials  %s\n", b.Name, b.Cells, trials, b.Description)
		}
		return nil
	}
	if o.Resume != "" && (o.MatrixSet || o.Shard != "" || o.Filter != "") {
		return usageErr("--resume continues a run with its own matrix, filter and shard: drop -m, --filter and --shard")
	}
	if err := o.validate(); err != nil {
		return err
	}
	shard, err := resolveShard(o.IO.Err, o.Shard)
	if err != nil {
		return err
	}
	progress := o.IO.Err
	if o.Quiet {
		progress = nil
	}
	bins, err := newBinaries(progress, o.Binaries)
	if err != nil {
		return err
	}
	h := harness.Options{
		RunsDir: o.RunsDir, Resume: o.Resume, Filter: o.Filter, Shard: shard, RootSeed: o.Seed,
		Command: o.Command, Versions: buildinfo.Get(), Host: buildinfo.Host(), Releases: bins,
	}
	if o.Watch {
		h.Watch = o.WatchInterval
	}
	setProvenance(&h, o.Commit, o.Group)
	if o.Resume == "" {
		s, err := scenarios.Load(o.Matrix)
		if err != nil {
			return err
		}
		if o.Trials != nil {
			s.Trials = *o.Trials
		}
		if o.Warmup != nil {
			s.Warmup = *o.Warmup
		}
		if err := o.Gate.apply(s, o.Trials != nil); err != nil {
			return err
		}
		if err := o.checkSize(s); err != nil {
			return err
		}
		src, ok := scenarios.BuiltinYAML(o.Matrix)
		if !ok || strings.ContainsAny(o.Matrix, `/\.`) {
			if src, err = os.ReadFile(o.Matrix); err != nil {
				return usageErr("read %s: %v", o.Matrix, err)
			}
		}
		h.Scenario, h.ScenarioYAML = s, src
	}
	recorded := 0
	h.OnTrial = func(history.Trial) {
		recorded++
		reach(fmt.Sprintf("bench-trial-%d", recorded))
	}
	return executeAndReport(ctx, o.IO, h, runOutput{quiet: o.Quiet, noReport: o.NoReport, versus: o.Versus})
}

// runOutput says how a run shows its progress and its reports.
type runOutput struct {
	quiet    bool   // no progress lines
	noReport bool   // no reports at the end
	versus   string // compare every cell against this axis=value
}

// executeAndReport is bench's and check's common path: it runs (or resumes) the scenario,
// writes every report into the run directory, prints the text report, and ends with the run's
// verdict as the exit code (unknown when the run was interrupted).
func executeAndReport(ctx context.Context, ios streams, o harness.Options, out runOutput) error {
	if !out.quiet {
		o.Progress = ios.Err
		if fd, ok := ios.Err.(interface{ Fd() uintptr }); ok && isatty.IsTerminal(fd.Fd()) {
			o.Live = true
		}
	}
	res, err := harness.Execute(ctx, o)
	if res == nil {
		return err
	}
	if !out.quiet {
		fmt.Fprintf(ios.Err, "run directory: %s (%d trials run, %d already recorded; harness cost %.0f ms per trial)\n",
			res.Dir, res.Ran, res.Skipped, res.HarnessCost.Seconds()*1000)
	}
	if err != nil && !errors.Is(err, harness.ErrInterrupted) {
		return err
	}
	if out.noReport {
		return exitcode.WithCode(err, exitcode.Unknown)
	}
	code, rerr := writeRunReports(ios.Out, []string{res.Dir}, res.Dir, out.versus)
	var envErr *harness.EnvironmentError
	if rerr != nil && errors.As(err, &envErr) {
		// The machine that stopped the run may keep its reports from being written too.
		fmt.Fprintf(ios.Err, "lockbench: no report: %v\n", rerr)
		return err
	}
	if rerr != nil {
		return rerr
	}
	if err != nil {
		return exitcode.WithCode(err, exitcode.Unknown)
	}
	return withCode(code)
}

// validate checks the counts and the runs directory before anything is written.
func (o *benchOptions) validate() error {
	if o.Trials != nil {
		if err := checkRange("trials", *o.Trials, 1, maxTrials); err != nil {
			return err
		}
	}
	if o.Warmup != nil {
		if err := checkRange("warmup", *o.Warmup, 0, maxTrials); err != nil {
			return err
		}
	}
	if err := checkRange("max-cells", o.MaxCells, 1, scenarios.MaxCells); err != nil {
		return err
	}
	if o.Resume != "" && (o.Trials != nil || o.Warmup != nil || o.Gate.set()) {
		return usageErr("--resume keeps the run's own trial counts and design: drop --trials, --warmup, --min-trials, --max-trials and --fixed")
	}
	if err := o.Gate.validate(); err != nil {
		return err
	}
	if o.WatchInterval < minWatchInterval || o.WatchInterval > maxWatchInterval {
		return usageErr("--watch-interval %s is out of range: give a duration from %s to %s, such as 50ms", o.WatchInterval, minWatchInterval, maxWatchInterval)
	}
	if st, err := os.Stat(o.RunsDir); err == nil && !st.IsDir() {
		return usageErr("--runs %s is a file, not a directory: give the directory that holds run directories", o.RunsDir)
	}
	return nil
}

// checkSize refuses, before the run directory is created, a matrix whose cells (after
// --filter) exceed --max-cells.
func (o *benchOptions) checkSize(s *scenarios.Scenario) error {
	cells, err := scenarios.Filter(s.Cells(), o.Filter)
	if err != nil {
		return err
	}
	if n := len(cells); n > o.MaxCells {
		what := "matrix " + o.Matrix
		if o.Filter != "" {
			what += " with --filter " + o.Filter
		}
		return usageErr("%s has %d cells (%d trials each), more than --max-cells %d: run part of it with --filter or --shard K/N, or raise --max-cells (up to %d)",
			what, n, s.Trials+s.Warmup, o.MaxCells, scenarios.MaxCells)
	}
	return nil
}

// writeRunReports builds the report of dirs, writes every format into outDir (when set) and
// prints the text report. It returns the verdict's exit code.
func writeRunReports(stdout io.Writer, dirs []string, outDir, versus string) (exitcode.Code, error) {
	r, err := reports.LoadReport(dirs, versus)
	if err != nil {
		return 0, err
	}
	var werr error
	if outDir != "" {
		for _, f := range reports.Formats {
			var b bytes.Buffer
			if err := f.Write(&b, r); err != nil {
				return 0, fmt.Errorf("%s: %w", f.File, err)
			}
			if err := fsutil.WriteFileAtomic(filepath.Join(outDir, f.File), b.Bytes()); err != nil {
				werr = err
				break
			}
		}
	}
	if err := reports.WriteText(stdout, r); err != nil {
		return 0, err
	}
	if werr != nil {
		// A full or read-only disk is the machine's failure, not lockbench's: exit 3 with advice.
		if o := outcome.Classify(werr); o.Kind == vocab.Environment {
			outcome.EnrichEnvironment(&o, outDir)
			werr = exitcode.WithHint(exitcode.WithCode(werr, exitcode.Unknown), outcome.Advice(o, ""))
		}
		return 0, werr
	}
	if outDir != "" {
		fmt.Fprintf(stdout, "\nreports: %s/report.{txt,md,json,junit.xml,html,bench.txt}\n", outDir)
	}
	return r.ExitCode(), nil
}
