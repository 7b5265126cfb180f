package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// errWriter remembers the first write error so renderers can write freely and check once.
type errWriter struct {
	w   io.Writer
	err error
}

// Write implements io.Writer.
func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) { fmt.Fprintf(e, format, args...) }

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

// WriteText writes the terminal report: the runs, a table per cell, the overhead breakdown,
// the comparisons against the versus base, the verdict block and the warnings as footnotes.
func WriteText(w io.Writer, r *Report) error {
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
		t := newTable(ew, "lrrrrrll")
		t.Header("cell", "ok/n", "wall", "overhead", "sql", "wall cv", "outcomes", "notes")
		for _, c := range r.Cells {
			if err := t.Append(cellRow(c, fn)); err != nil {
				return fmt.Errorf("text report: %w", err)
			}
		}
		if err := t.Render(); err != nil {
			return fmt.Errorf("text report: %w", err)
		}
		if err := writeByKindText(ew, r); err != nil {
			return err
		}
	}
	if r.Versus != nil && len(r.Versus.Rows) > 0 {
		if err := writeVersusText(ew, r); err != nil {
			return err
		}
	}
	if err := writeParallelismText(ew, r); err != nil {
		return err
	}
	if err := writeStrategiesText(ew, r); err != nil {
		return err
	}
	writeVerdictText(ew, r, fn)
	if ew.err != nil {
		return fmt.Errorf("text report: %w", ew.err)
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
	}
}

// cellRow is one row of the cell table: label, ok/n, the medians, wall cv, outcomes, notes.
func cellRow(c *Cell, fn footnotes) []string {
	cv := "-"
	if c.Wall != nil {
		cv = pct(c.Wall.CV)
	}
	wall, overhead, sql, notes := cellValues(c, fn)
	return []string{c.Label, fmt.Sprintf("%d/%d", c.OK, c.Trials), wall, overhead, sql, cv, outcomesText(c.Outcomes), notes}
}

// kindColumns returns the overhead kinds present in any cell, in report order.
func kindColumns(cells []*Cell) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range kindOrder {
		for _, c := range cells {
			for _, km := range c.OverheadByKind {
				if km.Kind == string(k) && !seen[km.Kind] {
					seen[km.Kind] = true
					out = append(out, km.Kind)
				}
			}
		}
	}
	for _, c := range cells {
		for _, km := range c.OverheadByKind {
			if !seen[km.Kind] {
				seen[km.Kind] = true
				out = append(out, km.Kind)
			}
		}
	}
	return out
}

func kindValue(c *Cell, kind string) string {
	for _, km := range c.OverheadByKind {
		if km.Kind == kind {
			return secs(km.Median)
		}
	}
	return "-"
}

// kindRow is one row of the overhead-by-kind table: the cell's label, the median of each kind,
// and the median overhead.
func kindRow(c *Cell, kinds []string) []string {
	row := []string{c.Label}
	for _, k := range kinds {
		row = append(row, kindValue(c, k))
	}
	ov := "-"
	if c.Overhead != nil {
		ov = secs(c.Overhead.Median)
	}
	return append(row, ov)
}

func writeByKindText(ew *errWriter, r *Report) error {
	kinds := kindColumns(r.Cells)
	if len(kinds) == 0 {
		return nil
	}
	ew.printf("\nmedian overhead by span kind\n")
	t := newTable(ew, "l"+strings.Repeat("r", len(kinds)+1))
	t.Header(append(append([]string{"cell"}, kinds...), "overhead"))
	for _, c := range r.Cells {
		if err := t.Append(kindRow(c, kinds)); err != nil {
			return fmt.Errorf("text report: %w", err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("text report: %w", err)
	}
	return nil
}

func deltaText(d Delta) string {
	if d.absolute() {
		return fmt.Sprintf("%s [%s, %s]", d.Symbol(), signedSecs(d.DiffCI.Lo), signedSecs(d.DiffCI.Hi))
	}
	if d.Ratio == 0 && d.RatioCI == nil {
		return "?"
	}
	return fmt.Sprintf("%s %s", d.Symbol(), ciText(d.ChangeCI))
}

func labelOf(r *Report, key string) string {
	if c := r.Cell(key); c != nil {
		return c.Label
	}
	return key
}

func writeVersusText(ew *errWriter, r *Report) error {
	v := r.Versus
	ew.printf("\nvs %s=%s (ratio of medians, %.0f%% bootstrap CI of the change, Mann–Whitney U, Holm-adjusted, ~ = not significant at α=%.2f)\n",
		v.Axis, v.Base, 100*r.Settings.Confidence, r.Settings.Alpha)
	t := newTable(ew, "lrlrl")
	t.Header("cell", "wall", "", "overhead", "")
	for _, row := range v.Rows {
		if err := t.Append([]string{labelOf(r, row.Cell), deltaText(row.Wall), pText(row.Wall.PAdj, row.Wall.BaseN, row.Wall.NewN),
			deltaText(row.Overhead), pText(row.Overhead.PAdj, row.Overhead.BaseN, row.Overhead.NewN)}); err != nil {
			return fmt.Errorf("text report: %w", err)
		}
	}
	if err := t.Append([]string{"geomean", ratioChange(v.GeomeanWall), "", ratioChange(v.GeomeanOverhead), ""}); err != nil {
		return fmt.Errorf("text report: %w", err)
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("text report: %w", err)
	}
	return nil
}

// ratioChange formats a geometric-mean ratio as a signed change ("-" for none).
func ratioChange(ratio float64) string {
	if ratio == 0 {
		return "-"
	}
	return signedPct(ratio - 1)
}

func writeVerdictText(ew *errWriter, r *Report, fn footnotes) {
	if len(r.Targets) > 0 {
		ew.printf("\ntargets\n")
		for _, t := range r.Targets {
			ew.printf("  %-7s %s\n", verdictWord(t.Verdict), t.Name)
			ew.printf("          %s\n", t.Evidence())
			ew.printf("          %s\n", t.Reason)
		}
	}
	if len(r.Expectations) > 0 {
		ew.printf("\nexpectations\n")
		for _, e := range expLines(r, r.Expectations) {
			ew.printf("  %-7s %s: %s (%s)\n", verdictWord(e.Verdict), e.Name, e.Reason, outcomesText(e.Outcomes))
			if e.Cells != nil {
				ew.printf("          cells: %s\n", cellList(e.Cells))
			}
			for _, m := range e.Details {
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
