package trend

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	"lockbench/verdict"
)

// mdEscape makes s safe inside a Markdown table cell.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`).Replace(s)
}

func mdRow(b *strings.Builder, cells ...string) {
	for i := range cells {
		cells[i] = mdEscape(cells[i])
	}
	fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
}

func mdHeader(b *strings.Builder, align string, cells ...string) {
	mdRow(b, cells...)
	seps := make([]string, len(cells))
	for i := range seps {
		seps[i] = "---"
		if i < len(align) && align[i] == 'r' {
			seps[i] = "--:"
		}
	}
	fmt.Fprintf(b, "|%s|\n", strings.Join(seps, "|"))
}

func badge(v verdict.Verdict) string {
	switch v {
	case verdict.Pass:
		return "✅ pass"
	case verdict.Fail:
		return "❌ regression"
	default:
		return "❔ unknown"
	}
}

// WriteMarkdown writes the trend as GitHub-flavoured Markdown, for a CI step summary or a pull
// request comment: the verdict, a table of every series, the change points and workload
// changes, and each series' newest points in a collapsed section.
func WriteMarkdown(w io.Writer, t *Trend) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "## lockbench trend: %s\n\n", badge(t.Verdict))
	fmt.Fprintf(b, "%s\n\n", summary(t))
	st := t.Settings
	fmt.Fprintf(b, "`%s` of %d %s over %d %s", t.Metric, len(t.Series), plural(len(t.Series), "cell", "cells"), t.Runs, plural(t.Runs, "run", "runs"))
	if t.Runs > 0 {
		fmt.Fprintf(b, " (%s to %s UTC)", stamp(t.First), stamp(t.Last))
	}
	fmt.Fprintf(b, ". Change points: E-Divisive on run medians, α %g (%d permutations, seed %d), min change %s; a verdict needs %d runs.\n",
		st.Alpha, st.Permutations, st.Seed, pct(st.MinChange), st.MinRuns)
	if t.Constant != "" {
		fmt.Fprintf(b, " Every cell: `%s`.\n", t.Constant)
	}
	for _, n := range t.Notes {
		fmt.Fprintf(b, "\n> note: %s\n", mdEscape(n))
	}
	fmt.Fprintf(b, "\n")
	mdHeader(b, "lllrrl", "verdict", "cell", "newest", "runs", "changes", "reason")
	for _, s := range t.Series {
		newest := "-"
		if n := len(s.Points); n > 0 {
			newest = pointText(s.Points[n-1])
		}
		mdRow(b, badge(s.Verdict), "`"+s.Label+"`", newest, fmt.Sprint(len(s.Points)), fmt.Sprint(len(s.ChangePoints)), s.Reason)
	}
	var changes []string
	for _, s := range t.Series {
		for _, e := range events(s) {
			if e.cp != nil {
				c := e.cp
				changes = append(changes, mdRowString("`"+s.Label+"`", c.Direction, ratioText(*c),
					secs(c.BeforeMedian)+" → "+secs(c.AfterMedian), pValue(c.P),
					fmt.Sprintf("%s → %s", c.BeforeRun, c.AfterRun), shortCommit(c.BeforeCommit)+" → "+shortCommit(c.Commit)+releaseSuffix(*c), stamp(c.AfterTime)))
			} else {
				c := e.wc
				changes = append(changes, mdRowString("`"+s.Label+"`", "workload changed", "-", "-", "-",
					fmt.Sprintf("%s → %s", c.BeforeRun, c.AfterRun), shortCommit(c.Commit), stamp(c.Time)))
			}
		}
	}
	if len(changes) > 0 {
		fmt.Fprintf(b, "\n### Changes\n\n")
		mdHeader(b, "llrrrlll", "cell", "direction", "change [95% CI]", "medians", "p", "runs", "commits", "time")
		for _, row := range changes {
			b.WriteString(row)
		}
		fmt.Fprintf(b, "\nA workload change (different SQL models, seeds, exec command or cell parameters) splits a series: it is never a change point.\n")
	}
	for _, s := range t.Series {
		if len(s.Points) == 0 {
			continue
		}
		from := max(0, len(s.Points)-RecentPoints)
		fmt.Fprintf(b, "\n<details><summary><code>%s</code>: newest %d of %d runs</summary>\n\n", mdEscape(s.Label), len(s.Points)-from, len(s.Points))
		if len(seriesReleases(s)) > 1 {
			mdHeader(b, "llllrlrl", "run", "time", "commit", "duckdb", "median", "interval", "n", "")
		} else {
			mdHeader(b, "lllrlrl", "run", "time", "commit", "median", "interval", "n", "")
		}
		for i := from; i < len(s.Points); i++ {
			p := s.Points[i]
			cells := []string{p.Run, stamp(p.Time), shortCommit(p.Commit)}
			if len(seriesReleases(s)) > 1 {
				cells = append(cells, cmp.Or(p.DuckDB, "-"))
			}
			mdRow(b, append(cells, secs(p.Median), intervalText(p), fmt.Sprint(p.N), marker(s, i))...)
		}
		fmt.Fprintf(b, "\n</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdRowString(cells ...string) string {
	b := &strings.Builder{}
	mdRow(b, cells...)
	return b.String()
}
