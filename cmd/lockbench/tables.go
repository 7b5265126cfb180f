package main

import (
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"

	"lockbench/sim"
)

// printYears writes simulate's per-year table.
func printYears(w io.Writer, years []sim.YearStats) {
	t := tablewriter.NewTable(w)
	t.Header("Year", "Active start", "Active end", "Hires", "Terms", "NH terms", "Promotions", "Raises", "Growth", "Target", "Total comp")
	for _, y := range years {
		_ = t.Append(
			fmt.Sprint(y.Year), fmt.Sprint(y.ActiveStart), fmt.Sprint(y.ActiveEnd), fmt.Sprint(y.Hires),
			fmt.Sprint(y.Terminations), fmt.Sprint(y.NewHireTerminations), fmt.Sprint(y.Promotions), fmt.Sprint(y.Raises),
			fmt.Sprintf("%+.2f%%", 100*y.Growth), fmt.Sprintf("%.2f%%", 100*y.TargetGrowth), fmt.Sprintf("$%.1fM", y.TotalCompensation/1e6),
		)
	}
	_ = t.Render()
}
