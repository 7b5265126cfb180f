package trend

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"lockbench/reports"
	"lockbench/verdict"
)

// RecentPoints is how many of a series' newest points the text and Markdown renderings list;
// JSON and HTML have every point.
const RecentPoints = 10

// Formats are the formats of a trend (lockbench trend --format).
var Formats = []reports.Format[*Trend]{
	{Name: "text", Write: WriteText},
	{Name: "md", Write: WriteMarkdown},
	{Name: "json", Write: WriteJSON},
	{Name: "html", Write: WriteHTML},
}

// WriteJSON writes the trend as indented JSON (see Trend for the fields).
func WriteJSON(w io.Writer, t *Trend) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}

// WriteText writes the trend for a terminal: a header with the settings, then per series its
// verdict, change points, workload changes and newest points, and the overall verdict.
func WriteText(w io.Writer, t *Trend) error {
	b := &strings.Builder{}
	header(b, t)
	for _, s := range t.Series {
		fmt.Fprintf(b, "\n%-7s %s\n", strings.ToUpper(string(s.Verdict)), s.Label)
		fmt.Fprintf(b, "        %s\n", s.Reason)
		if n := len(s.Points); n > 0 {
			p := s.Points[n-1]
			fmt.Fprintf(b, "        %d %s; newest %s n=%d at commit %s\n", n, plural(n, "run", "runs"), pointText(p), p.N, shortCommit(p.Commit))
		}
		if s.Skipped > 0 {
			fmt.Fprintf(b, "        %d %s without an ok trial (not plotted)\n", s.Skipped, plural(s.Skipped, "run", "runs"))
		}
		for _, e := range events(s) {
			switch {
			case e.cp != nil:
				c := e.cp
				fmt.Fprintf(b, "        change %s: run %s → %s (%s → %s), %s\n", c.Direction,
					c.BeforeRun, c.AfterRun, stamp(c.BeforeTime), stamp(c.AfterTime), commitsText(*c))
				fmt.Fprintf(b, "               %s → %s, %s, p %s\n", secs(c.BeforeMedian), secs(c.AfterMedian), ratioText(*c), pValue(c.P))
			case e.wc != nil:
				c := e.wc
				fmt.Fprintf(b, "        workload changed: run %s → %s (%s), commit %s: series split, not a change point\n",
					c.BeforeRun, c.AfterRun, stamp(c.Time), shortCommit(c.Commit))
			}
		}
		if len(s.Points) > 0 {
			tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
			// A series that ran several DuckDB releases shows each point's.
			rel := func(Point) string { return "" }
			relHead, cols := "", 6
			if len(seriesReleases(s)) > 1 {
				rel = func(p Point) string { return cmp.Or(p.DuckDB, "-") + "\t" }
				relHead, cols = "duckdb\t", 7
			}
			fmt.Fprintf(tw, "        \trun\ttime\tcommit\t%smedian\tinterval\tn\t\n", relHead)
			from := max(0, len(s.Points)-RecentPoints)
			if from > 0 {
				fmt.Fprintf(tw, "        \t… %d older%s\n", from, strings.Repeat("\t", cols))
			}
			for i := from; i < len(s.Points); i++ {
				p := s.Points[i]
				fmt.Fprintf(tw, "        \t%s\t%s\t%s\t%s%s\t%s\t%d\t%s\n", p.Run, stamp(p.Time), shortCommit(p.Commit), rel(p),
					secs(p.Median), intervalText(p), p.N, marker(s, i))
			}
			tw.Flush()
		}
	}
	fmt.Fprintf(b, "\nverdict: %s\n", summary(t))
	_, err := io.WriteString(w, b.String())
	return err
}

func header(b *strings.Builder, t *Trend) {
	fmt.Fprintf(b, "lockbench trend: %s of %d %s over %d %s", t.Metric, len(t.Series), plural(len(t.Series), "cell", "cells"), t.Runs, plural(t.Runs, "run", "runs"))
	if t.Runs > 0 {
		fmt.Fprintf(b, ", %s to %s UTC", stamp(t.First), stamp(t.Last))
	}
	st := t.Settings
	fmt.Fprintf(b, "\nchange points: E-Divisive on run medians, α %g (%d permutations, seed %d), min change %s; a verdict needs %d runs\n",
		st.Alpha, st.Permutations, st.Seed, pct(st.MinChange), st.MinRuns)
	if t.Constant != "" {
		fmt.Fprintf(b, "every cell: %s\n", t.Constant)
	}
	for _, n := range t.Notes {
		fmt.Fprintf(b, "note: %s\n", n)
	}
}

// summary is the overall verdict in one line.
func summary(t *Trend) string {
	regs := t.Regressions()
	switch t.Verdict {
	case verdict.Fail:
		parts := make([]string, len(regs))
		for i, s := range regs {
			c := s.ChangePoints[len(s.ChangePoints)-1]
			parts[i] = fmt.Sprintf("%s %s at commit %s%s", s.Label, signedPct(c.Change()), shortCommit(c.Commit), releaseSuffix(c))
		}
		return fmt.Sprintf("FAIL: %d of %d series regressed at the newest run: %s", len(regs), len(t.Series), strings.Join(parts, "; "))
	case verdict.Unknown:
		if len(t.Series) == 0 {
			return "UNKNOWN: no series with ok trials"
		}
		n := 0
		for _, s := range t.Series {
			if s.Verdict == verdict.Unknown {
				n++
			}
		}
		return fmt.Sprintf("UNKNOWN: %d of %d series have too few runs to decide", n, len(t.Series))
	default:
		return fmt.Sprintf("PASS: no regression at the newest run in %d series", len(t.Series))
	}
}

// event is a change point or a workload change, for listing both in series order.
type event struct {
	at int
	cp *ChangePoint
	wc *WorkloadChange
}

func events(s *Series) []event {
	var out []event
	i, j := 0, 0
	for i < len(s.ChangePoints) || j < len(s.WorkloadChanges) {
		if j >= len(s.WorkloadChanges) || (i < len(s.ChangePoints) && s.ChangePoints[i].Index < s.WorkloadChanges[j].Index) {
			out = append(out, event{at: s.ChangePoints[i].Index, cp: &s.ChangePoints[i]})
			i++
		} else {
			out = append(out, event{at: s.WorkloadChanges[j].Index, wc: &s.WorkloadChanges[j]})
			j++
		}
	}
	return out
}

// marker flags the first point after a change point or a workload change.
func marker(s *Series, i int) string {
	for _, c := range s.ChangePoints {
		if c.Index == i {
			if c.Direction == Slower {
				return "▲ " + signedPct(c.Change())
			}
			return "▼ " + signedPct(c.Change())
		}
	}
	for _, c := range s.WorkloadChanges {
		if c.Index == i {
			return "◆ new workload"
		}
	}
	return ""
}

// commitsText names the commits on the two sides of a change point, and the DuckDB releases
// when they differ: "commit 1a2b → 3c4d, DuckDB 1.5.6 → 2.0.0".
func commitsText(c ChangePoint) string {
	return "commit " + shortCommit(c.BeforeCommit) + " → " + shortCommit(c.Commit) + releaseSuffix(c)
}

// seriesReleases returns the distinct DuckDB releases of a series' points.
func seriesReleases(s *Series) []string {
	var out []string
	for _, p := range s.Points {
		if p.DuckDB != "" && !slices.Contains(out, p.DuckDB) {
			out = append(out, p.DuckDB)
		}
	}
	return out
}

func pointText(p Point) string {
	return secs(p.Median) + " " + intervalText(p)
}

func intervalText(p Point) string {
	if p.Lo == nil || p.Hi == nil {
		return "[n<6]"
	}
	return "[" + secs(*p.Lo) + ", " + secs(*p.Hi) + "]"
}

func ratioText(c ChangePoint) string {
	s := signedPct(c.Change())
	if c.RatioLo != nil && c.RatioHi != nil {
		s += " [" + signedPct(*c.RatioLo-1) + ", " + signedPct(*c.RatioHi-1) + "]"
	}
	return s
}

func pValue(p float64) string {
	if p < 0.001 {
		return fmt.Sprintf("%.4f", p)
	}
	return fmt.Sprintf("%.3f", p)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func pct(v float64) string { return fmt.Sprintf("%g%%", math.Round(1000*v)/10) }

// secs formats seconds as every report does.
func secs(v float64) string { return reports.Secs(v) }
