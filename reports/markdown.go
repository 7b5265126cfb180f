package reports

import (
	"fmt"
	"io"
	"strings"

	"lockbench/verdict"
)

// mdEscape makes s safe inside a Markdown table cell.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`)
	return r.Replace(s)
}

// mdRow writes one table row, every cell escaped.
func mdRow(ew *errWriter, cells ...string) {
	escaped := make([]string, len(cells))
	for i, c := range cells {
		escaped[i] = mdEscape(c)
	}
	ew.printf("| %s |\n", strings.Join(escaped, " | "))
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

// mdTable writes a Markdown table of header and rows.
func mdTable(ew *errWriter, align string, header []string, rows [][]string) {
	mdHeader(ew, align, header...)
	for _, row := range rows {
		mdRow(ew, row...)
	}
}

func verdictBadge(v verdict.Verdict) string {
	switch v {
	case verdict.Pass:
		return "✅ pass"
	case verdict.Fail:
		return "❌ fail"
	default:
		return "❔ unknown"
	}
}

// WriteMarkdown writes the report as GitHub-flavoured Markdown, for CI job summaries and pull
// request comments: the verdict first, then targets, expectations, the cell table, the overhead
// breakdown, the versus comparisons, the parallelism and strategies sections and the warnings.
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
		if len(run.Releases) > 0 {
			ew.printf(" DuckDB releases used: %s.", mdEscape(strings.Join(run.Releases, ", ")))
		}
	}
	if r.Constant != "" {
		ew.printf(" Every cell: `%s`.", r.Constant)
	}
	ew.printf("\n")
	if len(r.Targets) > 0 {
		ew.printf("\n### Targets\n\n")
		ciHeader := "95% CI"
		if r.Design != nil {
			ciHeader = "interval (level)" // each look has its own level
		}
		mdHeader(ew, "llrrrrl", "verdict", "target", "baseline", "candidate", "reduction", ciHeader, "target")
		for _, t := range r.Targets {
			ci := "-"
			if t.AchievedCI != nil {
				ci = fmt.Sprintf("[%s, %s]", pct(t.AchievedCI.Lo), pct(t.AchievedCI.Hi))
				if r.Design != nil {
					ci += fmt.Sprintf(" (%.2f%%)", 100*t.AchievedCI.Level)
				}
			}
			mdRow(ew, verdictBadge(t.Verdict), t.Name+" ("+string(t.Metric)+")",
				fmt.Sprintf("%s (n=%d)", secs(t.BaselineMedian), t.BaselineN),
				fmt.Sprintf("%s (n=%d)", secs(t.CandidateMedian), t.CandidateN),
				pct(t.Achieved), ci, "≥ "+pct(t.Reduction))
		}
		ew.printf("\n")
		for _, t := range r.Targets {
			ew.printf("- **%s**: %s.\n", mdEscape(t.Name), mdEscape(t.Reason))
			if d := t.Decided(); d != "" {
				ew.printf("  %s.\n", mdEscape(d))
			}
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
			reason := e.Reason
			if d := e.Decided(); d != "" {
				reason += "; " + d
			}
			mdRow(ew, verdictBadge(e.Verdict), name, outcomesText(e.Outcomes), reason)
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
		var rows [][]string
		for _, c := range r.Cells {
			rows = append(rows, cellRow(c, fn))
		}
		mdTable(ew, cellAlign, cellHeader, rows)
		if kinds := kindColumns(r.Cells); len(kinds) > 0 {
			ew.printf("\n### Median overhead by span kind\n\n")
			rows = nil
			for _, c := range r.Cells {
				rows = append(rows, kindRow(c, kinds))
			}
			mdTable(ew, "l"+strings.Repeat("r", len(kinds)+1), kindHeader(kinds), rows)
		}
	}
	if v := r.Versus; v != nil && len(v.Rows) > 0 {
		ew.printf("\n### vs %s=%s\n\n", mdEscape(v.Axis), mdEscape(v.Base))
		var rows [][]string
		for _, row := range v.Rows {
			rows = append(rows, versusRow(r, row))
		}
		mdTable(ew, "lrlrl", versusHeader, append(rows, versusGeomean(v)))
	}
	if len(r.Parallelism) > 0 {
		ew.printf("\n### Parallelism\n\n"+parallelismIntro+"\n\n", 100*r.Settings.Confidence)
		var rows [][]string
		for _, row := range r.Parallelism {
			rows = append(rows, parallelismCells(r, row))
		}
		mdTable(ew, parallelismAlign, parallelismHeader, rows)
	}
	writeStrategiesMarkdown(ew, r)
	writeReleasesMarkdown(ew, r)
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
	writeUpgradeMarkdown(ew, r.Upgrade)
	if ew.err != nil {
		return fmt.Errorf("markdown report: %w", ew.err)
	}
	return nil
}

// writeReleasesMarkdown writes the DuckDB releases section in Markdown.
func writeReleasesMarkdown(ew *errWriter, r *Report) {
	rc := r.Releases
	if rc == nil {
		return
	}
	ew.printf("\n### DuckDB releases\n\n")
	ew.printf("Releases: %s.", mdEscape(strings.Join(rc.Releases, ", ")))
	if len(rc.Pairs) > 0 {
		ew.printf(" %s", mdEscape(releasesIntro(rc, r.Settings)))
		if rc.Constant != "" {
			ew.printf(" Every pair: `%s`.", rc.Constant)
		}
		ew.printf("\n\n")
		var rows [][]string
		for _, p := range rc.Pairs {
			rows = append(rows, releaseRow(p))
		}
		mdTable(ew, releaseAlign, releaseHeader, append(rows, releaseGeomean(rc)))
		ew.printf("\n%s\n", mdEscape(rc.Summary))
	} else {
		ew.printf("\n")
	}
	if len(rc.Data) > 0 {
		ew.printf("\nData across releases (fingerprints of the same data set):\n\n")
		for _, d := range rc.Data {
			line := mdEscape(releaseDataLine(d))
			if d.Status == DataDiffers {
				line = "**" + line + "**"
			}
			ew.printf("- %s\n", line)
		}
	}
}

// writeUpgradeMarkdown writes the upgrade answer, the last section of the Markdown report.
func writeUpgradeMarkdown(ew *errWriter, u *Upgrade) {
	if u == nil {
		return
	}
	ew.printf("\n### %s\n\n", mdEscape(upgradeTitle(u)))
	ew.printf("- %s\n", mdEscape(u.DataLine))
	ew.printf("- %s\n", mdEscape(u.SpeedLine))
	for _, sp := range u.Speed {
		ew.printf("  - %s\n", mdEscape(sp.Line))
	}
	ew.printf("- %s\n", mdEscape(upgradeMixedIntro(u)))
	for _, a := range u.Mixed {
		ew.printf("  - %s\n", mdEscape(a.Line))
	}
	if u.Pin != nil {
		ew.printf("- %s\n", mdEscape(u.Pin.Line))
	}
	ew.printf("- **Order:** %s\n", mdEscape(u.Order))
}

// writeStrategiesMarkdown writes the strategies section in Markdown.
func writeStrategiesMarkdown(ew *errWriter, r *Report) {
	s := r.Strategies
	if s == nil {
		return
	}
	ew.printf("\n### Strategies\n")
	for _, t := range strategyTables(s) {
		ew.printf("\n**%s**\n\n", mdEscape(t.Title))
		mdTable(ew, t.Align, t.Header, t.Rows)
	}
	ew.printf("\n%s\n", mdEscape(strategiesNote(s, r.Settings.Confidence)))
	if len(s.Recommendations) > 0 {
		ew.printf("\nRecommendations, from these measurements:\n\n")
		for _, rec := range s.Recommendations {
			ew.printf("- %s\n", mdEscape(rec.Line))
		}
	}
}

// WriteCompareMarkdown writes a comparison as a Markdown table with a verdict heading.
func WriteCompareMarkdown(w io.Writer, c *Comparison) error {
	ew := &errWriter{w: w}
	ew.printf("## lockbench compare: %s\n\n", verdictBadge(c.Verdict))
	ew.printf("%s\n\n", mdEscape(c.Reason))
	ew.printf("Base %s vs new %s. Change = median(new)/median(base) − 1 with its %.0f%% bootstrap CI; a cell regressed or improved only when the Holm-adjusted Mann–Whitney p < %.2f and the whole CI lies beyond ±%s (±%s where the baseline median is 0); ? marks too few ok trials to tell.",
		mdEscape(runIDs(c.Base)), mdEscape(runIDs(c.New)), 100*c.Settings.Confidence, c.Settings.Alpha, pct(c.Threshold), secs(c.AbsThreshold))
	if c.Constant != "" {
		ew.printf(" Every cell: `%s`.", c.Constant)
	}
	if l := c.releasesLine(); l != "" {
		ew.printf(" %s.", mdEscape(l))
	}
	ew.printf("\n\n")
	var rows [][]string
	for _, cc := range c.Cells {
		rows = append(rows, compareRow(cc))
	}
	mdTable(ew, compareAlign, compareHeader, append(rows, compareGeomean(c)))
	if ew.err != nil {
		return fmt.Errorf("markdown comparison: %w", ew.err)
	}
	return nil
}
