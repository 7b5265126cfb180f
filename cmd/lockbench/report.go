package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"lockbench/history"
	"lockbench/reports"
)

func init() { register(newReportCmd) }

// formats maps --format values to the report writers.
var formats = map[string]func(io.Writer, *reports.Report) error{
	"text":    reports.WriteText,
	"md":      reports.WriteMarkdown,
	"json":    reports.WriteJSON,
	"junit":   reports.WriteJUnit,
	"html":    reports.WriteHTML,
	"gobench": reports.WriteGoBench,
}

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
			write, ok := formats[format]
			if !ok {
				return usageErr("--format %q: use text, md, json, junit, html or gobench", format)
			}
			r, err := buildReport(dirs, versus)
			if err != nil {
				return err
			}
			if out == "" {
				if err := write(a.stdout, r); err != nil {
					return err
				}
				return withCode(r.ExitCode())
			}
			var b bytes.Buffer
			if err := write(&b, r); err != nil {
				return err
			}
			if err := history.WriteFileAtomic(out, b.Bytes()); err != nil {
				return usageErr("--out: %v", err)
			}
			fmt.Fprintf(a.stderr, "wrote %s (verdict %s)\n", out, r.Verdict)
			return withCode(r.ExitCode())
		},
	}
	c.Flags().StringVar(&format, "format", "text", "text, md, json, junit, html or gobench")
	c.Flags().StringVar(&out, "out", "", "write to this file instead of stdout (atomically)")
	c.Flags().StringVar(&versus, "versus", "", "compare every cell with its sibling at AXIS=VALUE, e.g. mode=sequential")
	return c
}
