package main

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"lockbench/internal/fsutil"
	"lockbench/reports"
	"lockbench/verdict"
)

func init() { register(newReportCmd) }

// reportOptions are what `lockbench report` was asked to do.
type reportOptions struct {
	// Dirs are the run directories (several: the shards of one run).
	Dirs []string
	// Format is a name of reports.Formats; Out a file to write instead of stdout.
	Format, Out string
	// Versus is AXIS=VALUE: compare every cell with its sibling at that value.
	Versus string
}

func newReportCmd(a *app) *cobra.Command {
	opts := &reportOptions{}
	c := &cobra.Command{
		Use:   "report RUN_DIR...",
		Short: "Recompute the report of one or more run directories (shards merge into one)",
		Long: `report reads stored histories (it never runs anything) and computes every statistic, target
verdict and expectation again. Several directories, such as the shards of one CI matrix, merge
into one report. The exit code is the verdict: 0 pass, 1 fail, 3 unknown.`,
		Example: `  lockbench report runs/latest
  lockbench report --format md runs/latest >> "$GITHUB_STEP_SUMMARY"
  lockbench report --format html --out report.html shard-1 shard-2 shard-3`,
		Args: positional(cobra.MinimumNArgs(1)),
		RunE: func(c *cobra.Command, dirs []string) error {
			opts.Dirs = dirs
			return runReport(a.ctx, opts, a.stdout, a.stderr)
		},
	}
	c.Flags().StringVar(&opts.Format, "format", "text", reports.FormatNames(reports.Formats))
	c.Flags().StringVar(&opts.Out, "out", "", "write to this file instead of stdout (atomically)")
	c.Flags().StringVar(&opts.Versus, "versus", "", "compare every cell with its sibling at AXIS=VALUE, e.g. mode=sequential")
	return c
}

// runReport builds the report of opts.Dirs and writes it; the returned error carries the exit
// code (the verdict's, or 2 for bad input).
func runReport(ctx context.Context, opts *reportOptions, stdout, stderr io.Writer) error {
	f, ok := reports.FindFormat(reports.Formats, opts.Format)
	if !ok {
		return usageErr("--format %q: use %s", opts.Format, reports.FormatNames(reports.Formats))
	}
	r, err := reports.LoadReportContext(ctx, opts.Dirs, opts.Versus)
	if err != nil {
		return err
	}
	if err := writeOutput(stdout, stderr, opts.Out, r.Verdict, func(w io.Writer) error { return f.Write(w, r) }); err != nil {
		return err
	}
	return withCode(r.ExitCode())
}

// writeOutput writes what render renders to stdout or, when out is set, atomically to the file
// out, telling stderr which verdict it holds.
func writeOutput(stdout, stderr io.Writer, out string, v verdict.Verdict, render func(io.Writer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return err
	}
	if out == "" {
		_, err := stdout.Write(b.Bytes())
		return err
	}
	if err := fsutil.WriteFileAtomic(out, b.Bytes()); err != nil {
		return usageErr("--out: %v", err)
	}
	fmt.Fprintf(stderr, "wrote %s (verdict %s)\n", out, v)
	return nil
}
