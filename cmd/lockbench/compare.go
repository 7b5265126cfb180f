package main

import (
	"context"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"lockbench/reports"
)

func init() { register(newCompareCmd) }

// compareOptions are what `lockbench compare` was asked to do.
type compareOptions struct {
	// Base and New are the run directories compared.
	Base, New string
	// Threshold is the smallest change that counts ("5%" or "0.05"); Format a name of
	// reports.CompareFormats.
	Threshold, Format string
}

func newCompareCmd(a *app) *cobra.Command {
	opts := &compareOptions{}
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
			opts.Base, opts.New = args[0], args[1]
			return runCompare(a.ctx, opts, a.stdout)
		},
	}
	c.Flags().StringVar(&opts.Threshold, "threshold", "5%", "smallest change that counts as a regression")
	c.Flags().StringVar(&opts.Format, "format", "text", reports.FormatNames(reports.CompareFormats))
	return c
}

// runCompare compares the two runs and writes the comparison to stdout; the returned error
// carries the exit code (the verdict's, or 2 for bad input).
func runCompare(ctx context.Context, opts *compareOptions, stdout io.Writer) error {
	th, err := parsePercent(opts.Threshold)
	if err != nil {
		return usageErr("--threshold %q: %v (e.g. 5%% or 0.05)", opts.Threshold, err)
	}
	f, ok := reports.FindFormat(reports.CompareFormats, opts.Format)
	if !ok {
		return usageErr("--format %q: use %s", opts.Format, reports.FormatNames(reports.CompareFormats))
	}
	cmp, err := reports.LoadComparison(ctx, []string{opts.Base}, []string{opts.New}, th)
	if err != nil {
		return err
	}
	if err := f.Write(stdout, cmp); err != nil {
		return err
	}
	return withCode(cmp.Verdict.ExitCode())
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
