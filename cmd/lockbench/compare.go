package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"lockbench/reports"
)

func init() { register(newCompareCmd) }

func newCompareCmd(a *app) *cobra.Command {
	var threshold, format string
	c := &cobra.Command{
		Use:   "compare BASE NEW",
		Short: "Compare two runs cell by cell and fail on a significant regression",
		Long: `compare reports, for every cell, the change in median wall and overhead between two run
directories, with a bootstrap interval and a Mann–Whitney p-value (Holm-corrected across
cells). A cell regressed only when the change is significant at 0.05 and its whole interval is
beyond the threshold. Cells present on one side only are listed as such. Exit 1 on a regression.`,
		Example: `  lockbench compare runs/main runs/latest
  lockbench compare --threshold 10% --format md base new`,
		Args: positional(cobra.ExactArgs(2)),
		RunE: func(c *cobra.Command, args []string) error {
			th, err := parsePercent(threshold)
			if err != nil {
				return usageErr("--threshold %q: %v (e.g. 5%% or 0.05)", threshold, err)
			}
			base, err := reports.Load(args[0])
			if err != nil {
				return usage(err)
			}
			next, err := reports.Load(args[1])
			if err != nil {
				return usage(err)
			}
			cmp := reports.Compare(base, next, th)
			f, ok := reports.FindFormat(reports.CompareFormats, format)
			if !ok {
				return usageErr("--format %q: use %s", format, reports.FormatNames(reports.CompareFormats))
			}
			if err := f.Write(a.stdout, cmp); err != nil {
				return err
			}
			return withCode(cmp.Verdict.ExitCode())
		},
	}
	c.Flags().StringVar(&threshold, "threshold", "5%", "smallest change that counts as a regression")
	c.Flags().StringVar(&format, "format", "text", reports.FormatNames(reports.CompareFormats))
	return c
}

// parsePercent reads "5%" or "0.05" as 0.05.
func parsePercent(s string) (float64, error) {
	s = strings.TrimSpace(s)
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, err
	}
	if pct {
		v /= 100
	}
	if !(v >= 0 && v < 10) { // NaN fails both
		return 0, strconv.ErrRange
	}
	return v, nil
}
