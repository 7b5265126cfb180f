package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// newTable returns a light box-drawing table with plain headers; align gives each column's
// alignment ('l' or 'r').
func newTable(w io.Writer, align string) *tablewriter.Table {
	aligns := make([]tw.Align, len(align))
	for i, a := range align {
		aligns[i] = tw.AlignLeft
		if a == 'r' {
			aligns[i] = tw.AlignRight
		}
	}
	return tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: aligns}),
	)
}

// writeTable writes a terminal table of header and rows; what names the rendering in errors.
func writeTable(ew *errWriter, align string, header []string, rows [][]string, what string) error {
	t := newTable(ew, align)
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = h
	}
	t.Header(cells...)
	for _, row := range rows {
		if err := t.Append(row); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// WriteText writes the terminal report: the runs, a table per cell, the overhead breakdown,
// the comparisons against the versus base, the parallelism and strategies sections, the
// verdict block and the warnings as footnotes.
func WriteText(w io.Writer, r *Report) error {
	const what = "text report"
	ew := &errWriter{w: w}
	writeRunsText(ew, r.Runs)
	if r.Constant != "" {
		ew.printf("every cell: %s\n", r.Constant)
	}
	fn := newFootnotes(r)
	if len(r.Cells) == 0 {
		ew.printf("\nno trials\n")
	} else {
		ew.printf("\n")
		var rows [][]string
		for _, c := range r.Cells {
			rows = append(rows, cellRow(c, fn))
		}
		if err := writeTable(ew, cellAlign, cellHeader, rows, what); err != nil {
			return err
		}
		if kinds := kindColumns(r.Cells); len(kinds) > 0 {
			ew.printf("\nmedian overhead by span kind\n")
			rows = nil
			for _, c := range r.Cells {
				rows = append(rows, kindRow(c, kinds))
			}
			if err := writeTable(ew, "l"+strings.Repeat("r", len(kinds)+1), kindHeader(kinds), rows, what); err != nil {
				return err
			}
		}
	}
	if v := r.Versus; v != nil && len(v.Rows) > 0 {
		ew.printf("\nvs %s=%s (ratio of medians, %.0f%% bootstrap CI of the change, Mann–Whitney U, Holm-adjusted, ~ = not significant at α=%.2f)\n",
			v.Axis, v.Base, 100*r.Settings.Confidence, r.Settings.Alpha)
		var rows [][]string
		for _, row := range v.Rows {
			rows = append(rows, versusRow(r, row))
		}
		if err := writeTable(ew, "lrlrl", versusHeader, append(rows, versusGeomean(v)), what); err != nil {
			return err
		}
	}
	if len(r.Parallelism) > 0 {
		ew.printf("\nparallelism: "+parallelismIntro+"\n", 100*r.Settings.Confidence)
		var rows [][]string
		for _, row := range r.Parallelism {
			rows = append(rows, parallelismCells(r, row))
		}
		if err := writeTable(ew, parallelismAlign, parallelismHeader, rows, what); err != nil {
			return err
		}
	}
	if err := writeStrategiesText(ew, r); err != nil {
		return err
	}
	if err := writeReleasesText(ew, r); err != nil {
		return err
	}
	writeVerdictText(ew, r, fn)
	writeUpgradeText(ew, r.Upgrade)
	if ew.err != nil {
		return fmt.Errorf("%s: %w", what, ew.err)
	}
	return nil
}

func writeRunsText(ew *errWriter, runs []RunInfo) {
	total := 0
	for _, r := range runs {
		total += r.Trials
	}
	ew.printf("lockbench report: %d run(s), %d trial(s)\n", len(runs), total)
	for _, r := range runs {
		id := r.ID
		if r.Shard != "" {
			id += " shard " + r.Shard
		}
		ew.printf("  %s: %d trials, seed %d, created %s\n", id, r.Trials, r.RootSeed, r.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"))
		ew.printf("    host %s (%d cores), %s %s; lockbench %s %s, %s, duckdb %s, driver %s\n",
			r.Host.CPU, r.Host.Cores, r.Host.OS, r.Host.Kernel, r.Versions.Lockbench, r.Versions.Commit,
			r.Versions.Go, r.Versions.DuckDB, r.Versions.Driver)
		if len(r.Releases) > 0 {
			ew.printf("    DuckDB releases used: %s\n", strings.Join(r.Releases, ", "))
		}
	}
}

// writeReleasesText writes the DuckDB releases section of the terminal report.
func writeReleasesText(ew *errWriter, r *Report) error {
	rc := r.Releases
	if rc == nil {
		return nil
	}
	ew.printf("\nDuckDB releases: %s\n", strings.Join(rc.Releases, ", "))
	if len(rc.Pairs) > 0 {
		ew.printf("%s\n", wrapText(releasesIntro(rc, r.Settings), 100))
		if rc.Constant != "" {
			ew.printf("every pair: %s\n", rc.Constant)
		}
		var rows [][]string
		for _, p := range rc.Pairs {
			rows = append(rows, releaseRow(p))
		}
		if err := writeTable(ew, releaseAlign, releaseHeader, append(rows, releaseGeomean(rc)), "text report"); err != nil {
			return err
		}
		ew.printf("%s\n", rc.Summary)
	}
	if len(rc.Data) > 0 {
		ew.printf("\ndata across releases (fingerprints of the same data set):\n")
		for _, d := range rc.Data {
			ew.printf("  %s\n", releaseDataLine(d))
		}
	}
	return nil
}

// writeUpgradeText writes the upgrade answer, the last block of the terminal report.
func writeUpgradeText(ew *errWriter, u *Upgrade) {
	if u == nil {
		return
	}
	ew.printf("\n%s\n", upgradeTitle(u))
	item := func(indent, s string) {
		ew.printf("%s%s\n", indent, strings.ReplaceAll(wrapText(s, 96-len(indent)), "\n", "\n"+indent+"  "))
	}
	item("  ", u.DataLine)
	item("  ", u.SpeedLine)
	for _, sp := range u.Speed {
		item("    ", sp.Line)
	}
	item("  ", upgradeMixedIntro(u))
	for _, a := range u.Mixed {
		item("    ", a.Line)
	}
	if u.Pin != nil {
		item("  ", u.Pin.Line)
	}
	item("  ", "Order: "+u.Order)
}

// writeStrategiesText writes the strategies section of the terminal report.
func writeStrategiesText(ew *errWriter, r *Report) error {
	s := r.Strategies
	if s == nil {
		return nil
	}
	ew.printf("\nstrategies: what to do about \"Conflicting lock is held\"\n")
	for _, t := range strategyTables(s) {
		ew.printf("\n%s\n", t.Title)
		if err := writeTable(ew, t.Align, t.Header, t.Rows, "text report"); err != nil {
			return err
		}
	}
	ew.printf("%s\n", wrapText(strategiesNote(s, r.Settings.Confidence), 100))
	if len(s.Recommendations) > 0 {
		ew.printf("\nrecommendations (from these measurements):\n")
		for _, rec := range s.Recommendations {
			ew.printf("  - %s\n", rec.Line)
		}
	}
	return nil
}

// wrapText breaks s into lines of at most width characters at spaces.
func wrapText(s string, width int) string {
	var b strings.Builder
	line := 0
	for i, w := range strings.Fields(s) {
		if i > 0 {
			if line+1+len(w) > width {
				b.WriteString("\n")
				line = 0
			} else {
				b.WriteString(" ")
				line++
			}
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}

func writeVerdictText(ew *errWriter, r *Report, fn footnotes) {
	if len(r.Targets) > 0 {
		ew.printf("\ntargets\n")
		for _, t := range r.Targets {
			ew.printf("  %-7s %s\n", verdictWord(t.Verdict), t.Name)
			ew.printf("          %s\n", t.Evidence())
			ew.printf("          %s\n", t.Reason)
			if d := t.Decided(); d != "" {
				ew.printf("          %s\n", d)
			}
		}
	}
	if len(r.Expectations) > 0 {
		ew.printf("\nexpectations\n")
		for _, e := range expLines(r, r.Expectations) {
			ew.printf("  %-7s %s: %s (%s)\n", verdictWord(e.Verdict), e.Name, e.Reason, outcomesText(e.Outcomes))
			if e.Cells != nil {
				ew.printf("          cells: %s\n", cellList(e.Cells))
			}
			if d := e.Decided(); d != "" {
				ew.printf("          %s\n", d)
			}
			for _, m := range e.Folded {
				ew.printf("          %s\n", m)
			}
			for _, m := range e.Messages {
				ew.printf("          message: %s\n", m)
			}
		}
	}
	if len(fn.all) > 0 {
		ew.printf("\nwarnings\n")
		for i, w := range fn.all {
			ew.printf("  [%d] %s%s\n", i+1, fn.where(r, i+1), w.message)
		}
	}
	ew.printf("\nverdict: %s (exit %d)\n", verdictWord(r.Verdict), r.Verdict.ExitCode())
}

// WriteCompareText writes a comparison as a terminal table: per cell the medians on each side,
// the change with its bootstrap interval and class, and the Holm-adjusted U-test p-value, then a
// geomean row and the verdict.
func WriteCompareText(w io.Writer, c *Comparison) error {
	const what = "text comparison"
	ew := &errWriter{w: w}
	ew.printf("lockbench compare: base %s vs new %s\n", runIDs(c.Base), runIDs(c.New))
	if l := c.releasesLine(); l != "" {
		ew.printf("%s\n", l)
	}
	if c.Constant != "" {
		ew.printf("every cell: %s\n", c.Constant)
	}
	ew.printf("change = median(new)/median(base) − 1 with %.0f%% bootstrap CI; regressed/improved only when p (Holm) < %.2f and the whole CI is beyond ±%s (±%s where the baseline median is 0); ? = too few ok trials to tell\n\n",
		100*c.Settings.Confidence, c.Settings.Alpha, pct(c.Threshold), secs(c.AbsThreshold))
	var rows [][]string
	for _, cc := range c.Cells {
		rows = append(rows, compareRow(cc))
	}
	if err := writeTable(ew, compareAlign, compareHeader, append(rows, compareGeomean(c)), what); err != nil {
		return err
	}
	ew.printf("\nverdict: %s (exit %d): %s\n", verdictWord(c.Verdict), c.Verdict.ExitCode(), c.Reason)
	if ew.err != nil {
		return fmt.Errorf("%s: %w", what, ew.err)
	}
	return nil
}
