package main

import (
	"bytes"
	"fmt"
	"io"

	"lockbench/internal/fsutil"

	"github.com/spf13/cobra"

	"lockbench/reports"
)

func init() { register(newReportCmd) }

func newReportCmd(a *app) *cobra.Command {
	var format, out, versus string
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
			f, ok := reports.FindFormat(reports.Formats, format)
			if !ok {
				return usageErr("--format %q: use %s", format, reports.FormatNames(reports.Formats))
			}
			r, err := reports.LoadReport(dirs, versus)
			if err != nil {
				return err
			}
			if err := writeOutput(a, out, r.Verdict, func(w io.Writer) error { return f.Write(w, r) }); err != nil {
				return err
			}
			return withCode(r.ExitCode())
		},
	}
	c.Flags().StringVar(&format, "format", "text", reports.FormatNames(reports.Formats))
	c.Flags().StringVar(&out, "out", "", "write to this file instead of stdout (atomically)")
	c.Flags().StringVar(&versus, "versus", "", "compare every cell with its sibling at AXIS=VALUE, e.g. mode=sequential")
	return c
}

// writeOutput writes what render renders to stdout or, when out is set, atomically to the file
// out, telling stderr which verdict it holds.
func writeOutput(a *app, out string, verdict reports.Verdict, render func(io.Writer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return err
	}
	if out == "" {
		_, err := a.stdout.Write(b.Bytes())
		return err
	}
	if err := fsutil.WriteFileAtomic(out, b.Bytes()); err != nil {
		return usageErr("--out: %v", err)
	}
	fmt.Fprintf(a.stderr, "wrote %s (verdict %s)\n", out, verdict)
	return nil
}
