package reports

import (
	"fmt"
	"io"
	"strings"
)

// mdEscape makes s safe inside a Markdown table cell.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`)
	return r.Replace(s)
}

func mdRow(ew *errWriter, cells ...string) {
	for i := range cells {
		cells[i] = mdEscape(cells[i])
	}
	ew.printf("| %s |\n", strings.Join(cells, " | "))
}

// mdHeader writes a table header; align gives each column's alignment ('l' or 'r').
func mdHeader(ew *errWriter, align string, cells ...string) {
	mdRow(ew, cells...)
	seps := make([]string, len(cells))
	for i := range seps {
		seps[i] = "---"
		if i < len(align) && align[i] == 'r' {
			seps[i] = "--:"
		}
	}
	ew.printf("|%s|\n", strings.Join(seps, "|"))
}

func verdictBadge(v Verdict) string {
	switch v {
	case Pass:
		return "✅ pass"
	case Fail:
		return "❌ fail"
	default:
		return "❔ unknown"
	}
}

// WriteMarkdown writes the report as GitHub-flavoured Markdown, for CI job summaries and pull
// request comments: the verdict first, then targets, expectations, the cell table, the overhead
// breakdown, the versus comparisons and the warnings.
func WriteMarkdown(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	fn := newFootnotes(r)
	ew.printf("## lockbench: %s\n\n", verdictBadge(r.Verdict))
	total := 0
	for _, run := range r.Runs {
		total += run.Trials
	}
	ew.printf("%d run(s), %d trial(s), %d cell(s).", len(r.Runs), total, len(r.Cells))
	for _, run := range r.Runs {
		id := run.ID
		if run.Shard != "" {
			id += " (shard " + run.Shard + ")"
		}
		ew.printf(" `%s`: %s, %d cores; lockbench %s, DuckDB %s.", id, mdEscape(run.Host.CPU), run.Host.Cores,
			mdEscape(run.Versions.Lockbench), mdEscape(run.Versions.DuckDB))
	}
	if r.Constant != "" {
		ew.printf(" Every cell: `%s`.", r.Constant)
	}
	ew.printf("\n")
	if len(r.Targets) > 0 {
		ew.printf("\n### Targets\n\n")
		mdHeader(ew, "llrrrrl", "verdict", "target", "baseline", "candidate", "reduction", "95% CI", "target")
		for _, t := range r.Targets {
			ci := "-"
			if t.AchievedCI != nil {
				ci = fmt.Sprintf("[%s, %s]", pct(t.AchievedCI.Lo), pct(t.AchievedCI.Hi))
			}
			mdRow(ew, verdictBadge(t.Verdict), t.Name+" ("+t.Metric+")",
				fmt.Sprintf("%s (n=%d)", secs(t.BaselineMedian), t.BaselineN),
				fmt.Sprintf("%s (n=%d)", secs(t.CandidateMedian), t.CandidateN),
				pct(t.Achieved), ci, "≥ "+pct(t.Reduction))
		}
		ew.printf("\n")
		for _, t := range r.Targets {
			ew.printf("- **%s**: %s.\n", mdEscape(t.Name), mdEscape(t.Reason))
		}
	}
	if len(r.Expectations) > 0 {
		ew.printf("\n### Expectations\n\n")
		mdHeader(ew, "llll", "verdict", "expectation", "outcomes", "reason")
		for _, e := range expLines(r, r.Expectations) {
			name := e.Name
			if e.Cells != nil {
				name += ": " + cellList(e.Cells)
			}
			mdRow(ew, verdictBadge(e.Verdict), name, outcomesText(e.Outcomes), e.Reason)
		}
		var mism []string
		for _, e := range r.Expectations {
			mism = append(mism, foldedMismatches(r, e)...)
			for _, m := range e.Messages {
				mism = append(mism, expName(r, e)+": message: "+m)
			}
		}
		if len(mism) > 0 {
			ew.printf("\n<details><summary>%d unexpected outcome(s) and error message(s)</summary>\n\n", len(mism))
			for _, m := range mism {
				ew.printf("- %s\n", mdEscape(m))
			}
			ew.printf("\n</details>\n")
		}
	}
	if len(r.Cells) > 0 {
		ew.printf("\n### Cells\n\n")
		ew.printf("Median ± the relative half-width of its %.0f%% order-statistic interval; ok trials only, warmups excluded. A median without ± has too few trials for an interval: see its note.\n\n", 100*r.Settings.Confidence)
		mdHeader(ew, "lrrrrrll", "cell", "ok/n", "wall", "overhead", "sql", "wall cv", "outcomes", "notes")
		for _, c := range r.Cells {
			mdRow(ew, cellRow(c, fn)...)
		}
		if kinds := kindColumns(r.Cells); len(kinds) > 0 {
			ew.printf("\n### Median overhead by span kind\n\n")
			mdHeader(ew, "l"+strings.Repeat("r", len(kinds)+1), append(append([]string{"cell"}, kinds...), "overhead")...)
			for _, c := range r.Cells {
				mdRow(ew, kindRow(c, kinds)...)
			}
		}
	}
	if v := r.Versus; v != nil && len(v.Rows) > 0 {
		ew.printf("\n### vs %s=%s\n\n", mdEscape(v.Axis), mdEscape(v.Base))
		mdHeader(ew, "lrlrl", "cell", "wall", "", "overhead", "")
		for _, row := range v.Rows {
			mdRow(ew, labelOf(r, row.Cell), deltaText(row.Wall), pText(row.Wall.PAdj, row.Wall.BaseN, row.Wall.NewN),
				deltaText(row.Overhead), pText(row.Overhead.PAdj, row.Overhead.BaseN, row.Overhead.NewN))
		}
		mdRow(ew, "geomean", ratioChange(v.GeomeanWall), "", ratioChange(v.GeomeanOverhead), "")
	}
	writeParallelismMarkdown(ew, r)
	writeStrategiesMarkdown(ew, r)
	if len(fn.all) > 0 {
		ew.printf("\n### Warnings\n\n")
		for i, w := range fn.all {
			where := fn.where(r, i+1)
			if where != "" {
				where = "`" + strings.TrimSuffix(where, ": ") + "`: "
			}
			ew.printf("%d. %s%s\n", i+1, where, mdEscape(w.message))
		}
	}
	if ew.err != nil {
		return fmt.Errorf("markdown report: %w", ew.err)
	}
	return nil
}
