package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"lockbench/internal/fsutil"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"

	"lockbench/buildinfo"
	"lockbench/harness"
	"lockbench/internal/exitcode"
	"lockbench/reports"
	"lockbench/scenarios"
)

func init() { register(newBenchCmd) }

type benchFlags struct {
	matrix   string
	list     bool
	resume   string
	shard    string
	filter   string
	seed     int64
	runsDir  string
	quiet    bool
	trials   int
	warmup   int
	versus   string
	noReport bool
	maxCells int
	commit   string
	group    string
}

func newBenchCmd(a *app) *cobra.Command {
	f := &benchFlags{}
	c := &cobra.Command{
		Use:   "bench",
		Short: "Run a scenario matrix many times and report against its targets",
		Long: `bench runs every cell of a scenario matrix (a built-in one or a YAML file) for its warmup and
measured trials, interleaved in a seeded order, each trial in a fresh directory and database.
Trials are recorded one by one in runs/<UTC time>-<id>/history.ndjson; runs/latest points at
the newest run. At the end bench writes the reports (text, Markdown, JSON, JUnit, HTML, Go
benchmark format) into the run directory and prints the text report. The exit code is the
run's verdict: 0 pass, 1 fail, 2 bad input, 3 unknown or interrupted, 4 harness error.`,
		Example: `  lockbench bench                      # the quick pre-merge matrix
  lockbench bench --list
  lockbench bench -m locks
  lockbench bench -m my-scenario.yaml --filter mode=threaded
  lockbench bench -m full --shard 2/4  # one of four CI jobs
  lockbench bench -m full --shard auto # the share from GitLab, CircleCI, Buildkite or Kubernetes
  lockbench bench --commit "$(git -C ../pipeline rev-parse HEAD)" -m pipeline.yaml
  lockbench bench --resume runs/20261126T221500Z-1a2b3c`,
		Args: positional(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error { return runBench(a, c, f) },
	}
	fl := c.Flags()
	fl.StringVarP(&f.matrix, "matrix", "m", scenarios.DefaultMatrix, "a built-in matrix name (see --list) or a YAML file")
	fl.BoolVar(&f.list, "list", false, "list the built-in matrices and exit")
	fl.StringVar(&f.resume, "resume", "", "finish an interrupted run directory without repeating its trials")
	fl.StringVar(&f.shard, "shard", "", "run only share k of n of the cells, e.g. 2/4; auto (or auto/N) reads the CI's parallel-job variables")
	fl.StringVar(&f.filter, "filter", "", "run only matching cells, e.g. mode=threaded/competitor=none")
	fl.Int64Var(&f.seed, "seed", 0, "root seed (default: the scenario's)")
	fl.StringVar(&f.runsDir, "runs", "runs", "directory that holds run directories")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress output")
	fl.IntVar(&f.trials, "trials", 0, "override the scenario's measured trials per cell")
	fl.IntVar(&f.warmup, "warmup", -1, "override the scenario's warmup trials per cell")
	fl.StringVar(&f.versus, "versus", "", "compare every cell with its sibling at AXIS=VALUE, e.g. mode=sequential")
	fl.BoolVar(&f.noReport, "no-report", false, "record trials only; do not print or write reports")
	fl.IntVar(&f.maxCells, "max-cells", defaultMaxCells, "refuse a matrix that would run more cells than this (at most 100000)")
	fl.StringVar(&f.commit, "commit", "", "the commit under test (default: $GITHUB_SHA, $CI_COMMIT_SHA, $BUILDKITE_COMMIT, $CIRCLE_SHA1, else git HEAD of the working directory)")
	fl.StringVar(&f.group, "group", "", "the CI pipeline run this shard belongs to, for trend (default: from the CI's variables)")
	return c
}

func runBench(a *app, c *cobra.Command, f *benchFlags) error {
	if f.list {
		for _, b := range scenarios.Builtins() {
			fmt.Fprintf(a.stdout, "%-10s %3d cells × %2d trials  %s\n", b.Name, b.Cells, b.Trials, b.Description)
		}
		return nil
	}
	if f.resume != "" && (c.Flags().Changed("matrix") || f.shard != "" || f.filter != "") {
		return usageErr("--resume continues a run with its own matrix, filter and shard: drop -m, --filter and --shard")
	}
	if err := f.validate(c); err != nil {
		return err
	}
	shard, err := resolveShard(a, f.shard)
	if err != nil {
		return err
	}
	o := harness.Options{
		RunsDir: f.runsDir, Resume: f.resume, Filter: f.filter, Shard: shard, RootSeed: f.seed,
		Command: append([]string{"lockbench"}, os.Args[1:]...), Versions: buildinfo.Get(), Host: buildinfo.Host(),
	}
	setProvenance(&o, f.commit, f.group)
	if f.resume == "" {
		s, err := scenarios.Load(f.matrix)
		if err != nil {
			return usage(err)
		}
		if c.Flags().Changed("trials") {
			s.Trials = f.trials
		}
		if c.Flags().Changed("warmup") {
			s.Warmup = f.warmup
		}
		if err := f.checkSize(s); err != nil {
			return err
		}
		src, ok := scenarios.BuiltinYAML(f.matrix)
		if !ok || strings.ContainsAny(f.matrix, `/\.`) {
			if src, err = os.ReadFile(f.matrix); err != nil {
				return usageErr("read %s: %v", f.matrix, err)
			}
		}
		o.Scenario, o.ScenarioYAML = s, src
	}
	return executeAndReport(a, o, runOutput{quiet: f.quiet, noReport: f.noReport, versus: f.versus})
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
func executeAndReport(a *app, o harness.Options, out runOutput) error {
	if !out.quiet {
		o.Progress = a.stderr
		if fd, ok := a.stderr.(interface{ Fd() uintptr }); ok && isatty.IsTerminal(fd.Fd()) {
			o.Live = true
		}
	}
	res, err := harness.Execute(a.ctx, o)
	if res == nil {
		if errors.Is(err, scenarios.ErrInvalid) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
			return usage(err)
		}
		return err
	}
	if !out.quiet {
		fmt.Fprintf(a.stderr, "run directory: %s (%d trials run, %d already recorded; harness cost %.0f ms per trial)\n",
			res.Dir, res.Ran, res.Skipped, res.HarnessCost.Seconds()*1000)
	}
	if err != nil && !errors.Is(err, harness.ErrInterrupted) {
		return err
	}
	if out.noReport {
		return exitcode.WithCode(err, exitcode.Unknown)
	}
	code, rerr := writeRunReports(a, []string{res.Dir}, res.Dir, out.versus)
	if rerr != nil {
		return rerr
	}
	if err != nil {
		return exitcode.WithCode(err, exitcode.Unknown)
	}
	return withCode(code)
}

// validate checks the counts and the runs directory before anything is written.
func (f *benchFlags) validate(c *cobra.Command) error {
	if c.Flags().Changed("trials") {
		if err := checkRange("trials", f.trials, 1, maxTrials); err != nil {
			return err
		}
	}
	if c.Flags().Changed("warmup") {
		if err := checkRange("warmup", f.warmup, 0, maxTrials); err != nil {
			return err
		}
	}
	if err := checkRange("max-cells", f.maxCells, 1, scenarios.MaxCells); err != nil {
		return err
	}
	if f.resume != "" && (c.Flags().Changed("trials") || c.Flags().Changed("warmup")) {
		return usageErr("--resume keeps the run's own trial counts: drop --trials and --warmup")
	}
	if st, err := os.Stat(f.runsDir); err == nil && !st.IsDir() {
		return usageErr("--runs %s is a file, not a directory: give the directory that holds run directories", f.runsDir)
	}
	return nil
}

// checkSize refuses, before the run directory is created, a matrix whose cells (after
// --filter) exceed --max-cells.
func (f *benchFlags) checkSize(s *scenarios.Scenario) error {
	cells, err := scenarios.Filter(s.Cells(), f.filter)
	if err != nil {
		return usage(err)
	}
	if n := len(cells); n > f.maxCells {
		what := "matrix " + f.matrix
		if f.filter != "" {
			what += " with --filter " + f.filter
		}
		return usageErr("%s has %d cells (%d trials each), more than --max-cells %d: run part of it with --filter or --shard K/N, or raise --max-cells (up to %d)",
			what, n, s.Trials+s.Warmup, f.maxCells, scenarios.MaxCells)
	}
	return nil
}

// writeRunReports builds the report of dirs, writes every format into outDir (when set) and
// prints the text report. It returns the verdict's exit code.
func writeRunReports(a *app, dirs []string, outDir, versus string) (exitcode.Code, error) {
	r, err := reports.LoadReport(dirs, versus)
	if err != nil {
		return 0, err
	}
	if outDir != "" {
		for _, f := range reports.Formats {
			var b bytes.Buffer
			if err := f.Write(&b, r); err != nil {
				return 0, fmt.Errorf("%s: %w", f.File, err)
			}
			if err := fsutil.WriteFileAtomic(filepath.Join(outDir, f.File), b.Bytes()); err != nil {
				return 0, err
			}
		}
	}
	if err := reports.WriteText(a.stdout, r); err != nil {
		return 0, err
	}
	if outDir != "" {
		fmt.Fprintf(a.stdout, "\nreports: %s/report.{txt,md,json,junit.xml,html,bench.txt}\n", outDir)
	}
	return r.ExitCode(), nil
}
