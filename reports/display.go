package reports

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"lockbench/internal/units"
	"lockbench/stats"
	"lockbench/verdict"
)

// This file holds what every renderer for people shares: cells named by their labels (the
// axes that vary), repeated warnings and mismatches folded into one line with a count, the
// footnote that replaces a missing interval, and how numbers are written. JSON, JUnit and Go
// benchmark output keep full keys.

// Secs formats a duration in seconds with three significant digits and an adaptive unit, as
// every report prints durations.
func Secs(v float64) string { return units.Secs(v) }

func secs(v float64) string       { return units.Secs(v) }
func signedSecs(v float64) string { return units.SignedSecs(v) }
func pct(v float64) string        { return units.Pct(v) }
func signedPct(v float64) string  { return units.SignedPct(v) }

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

// pText formats a p-value with its sample sizes: "p=0.002 n=12+12".
func pText(p *float64, n1, n2 int) string {
	if p == nil {
		return fmt.Sprintf("n=%d+%d", n1, n2)
	}
	if n1 == n2 {
		return fmt.Sprintf("p=%.3f n=%d", *p, n1)
	}
	return fmt.Sprintf("p=%.3f n=%d+%d", *p, n1, n2)
}

// ciText formats an interval of fractions as signed percentages.
func ciText(ci *stats.Interval) string {
	if ci == nil {
		return "[?]"
	}
	return fmt.Sprintf("[%s, %s]", signedPct(ci.Lo), signedPct(ci.Hi))
}

// outcomesText formats outcome counts as "ok 10, lock-conflict 2".
func outcomesText(oc []verdict.OutcomeCount) string {
	if len(oc) == 0 {
		return "-"
	}
	parts := make([]string, len(oc))
	for i, o := range oc {
		parts[i] = fmt.Sprintf("%s %d", o.Kind, o.Count)
	}
	return strings.Join(parts, ", ")
}

// verdictWord is the upper-case verdict for terminal output.
func verdictWord(v verdict.Verdict) string { return strings.ToUpper(string(v)) }

// labelOf names a cell of the report by its label (its key when the report has no such cell).
func labelOf(r *Report, key string) string {
	if c := r.Cell(key); c != nil {
		return c.Label
	}
	return key
}

// footnote is one numbered warning text, shared by every cell that has it.
type footnote struct {
	code, message string
	cells         []string // cell keys ("" for a report-wide warning)
}

// footnotes numbers the report's warnings in report order, folding warnings with the same
// code and message into one footnote that lists their cells.
type footnotes struct {
	all    []footnote
	byCell map[string][]int // cell key → footnote numbers (1-based)
	code   map[string]map[string]int
}

func newFootnotes(r *Report) footnotes {
	f := footnotes{byCell: map[string][]int{}, code: map[string]map[string]int{}}
	index := map[[2]string]int{}
	for _, w := range r.AllWarnings() {
		k := [2]string{w.Code, w.Message}
		i, ok := index[k]
		if !ok {
			f.all = append(f.all, footnote{code: w.Code, message: w.Message})
			i = len(f.all)
			index[k] = i
		}
		f.all[i-1].cells = append(f.all[i-1].cells, w.Cell)
		f.byCell[w.Cell] = append(f.byCell[w.Cell], i)
		if f.code[w.Cell] == nil {
			f.code[w.Cell] = map[string]int{}
		}
		f.code[w.Cell][w.Code] = i
	}
	return f
}

// refs returns the cell's footnote references, "[1][3]", leaving out the footnote of code skip.
func (f footnotes) refs(cell, skip string) string {
	var b strings.Builder
	for _, n := range f.byCell[cell] {
		if skip == "" || f.all[n-1].code != skip {
			b.WriteString("[" + strconv.Itoa(n) + "]")
		}
	}
	return b.String()
}

// ref returns "[n]" for the cell's warning of code, or "".
func (f footnotes) ref(cell, code string) string {
	if n, ok := f.code[cell][code]; ok {
		return "[" + strconv.Itoa(n) + "]"
	}
	return ""
}

// where names the cells of footnote n by label: "a, b: " (or "5 cells (a, b, c, …): ").
func (f footnotes) where(r *Report, n int) string {
	var labels []string
	for _, c := range f.all[n-1].cells {
		if c != "" {
			labels = append(labels, labelOf(r, c))
		}
	}
	switch {
	case len(labels) == 0:
		return ""
	case len(labels) <= 3:
		return strings.Join(labels, ", ") + ": "
	}
	return fmt.Sprintf("%d cells (%s, …): ", len(labels), strings.Join(labels[:2], ", "))
}

// valueCell formats a median with its interval, benchstat-style ("1.23s ± 4%"). Without an
// interval (too few trials) it shows the median with the reference of the footnote that says
// why, instead of benchstat's "± ∞".
func valueCell(s *stats.Summary, ref string) string {
	if s == nil {
		return "-"
	}
	if s.MedianCI == nil {
		if ref == "" {
			return secs(s.Median) + " (no CI)"
		}
		return secs(s.Median) + " " + ref
	}
	if s.Median == 0 {
		return fmt.Sprintf("0s [%s, %s]", secs(s.MedianCI.Lo), secs(s.MedianCI.Hi))
	}
	rel := max(s.MedianCI.Hi/s.Median-1, 1-s.MedianCI.Lo/s.Median)
	return fmt.Sprintf("%s ± %.0f%%", secs(s.Median), 100*rel)
}

// cellValues returns the wall, overhead and sql cells of c and its remaining footnote refs.
func cellValues(c *Cell, fn footnotes) (wall, overhead, sql, notes string) {
	ref := fn.ref(c.Key, "no-interval")
	return valueCell(c.Wall, ref), valueCell(c.Overhead, ref), valueCell(c.SQL, ref), fn.refs(c.Key, "no-interval")
}

// expName names an expectation for people: an implicit one by its cell's label.
func expName(r *Report, e verdict.ExpectationResult) string {
	if e.Implicit && e.Cell != "" {
		return "cell " + labelOf(r, e.Cell)
	}
	return e.Name
}

// foldedMismatches returns the expectation's mismatches with cells named by label, trials
// that differ in the same way from the same cell folded into one line with a count.
func foldedMismatches(r *Report, e verdict.ExpectationResult) []string {
	if len(e.Details) == 0 {
		return e.Mismatches
	}
	type group struct {
		first  verdict.Mismatch
		trials []string
	}
	var order []string
	groups := map[string]*group{}
	runs := map[string]bool{}
	for _, m := range e.Details {
		runs[m.Run] = true
	}
	for _, m := range e.Details {
		k := fmt.Sprintf("%s\x00%s\x00%s\x00%v", m.Cell, m.Got, m.Want, m.StrayOwner)
		g := groups[k]
		if g == nil {
			g = &group{first: m}
			groups[k] = g
			order = append(order, k)
		}
		t := "#" + strconv.Itoa(m.Trial)
		if len(runs) > 1 {
			t = m.Run + " " + t
		}
		g.trials = append(g.trials, t)
	}
	var out []string
	for _, k := range order {
		g := groups[k]
		if len(g.trials) == 1 {
			out = append(out, g.first.Text(labelOf(r, g.first.Cell)))
			continue
		}
		trials := g.trials
		if len(trials) > 8 {
			trials = append(trials[:8:8], "…")
		}
		what := fmt.Sprintf("got %s, want %s", g.first.Got, g.first.Want)
		if g.first.StrayOwner {
			what = fmt.Sprintf("got %s from a process lockbench did not start, want %s from the injected competitor", g.first.Got, g.first.Want)
		}
		where := ""
		if len(runs) == 1 {
			where = " of run " + g.first.Run
		}
		out = append(out, fmt.Sprintf("%s: %s in %d trials (%s%s)", labelOf(r, g.first.Cell), what, len(g.trials), strings.Join(trials, ", "), where))
	}
	return out
}

// expLine is an expectation as people read it: one expectation, or several implicit ones that
// say the same thing folded into one line.
type expLine struct {
	verdict.ExpectationResult
	// Name is expName's, or "N cells" for a fold.
	Name string
	// Cells are the labels of a fold's cells (nil for one expectation).
	Cells []string
	// Folded are the expectation's mismatches, folded (see foldedMismatches).
	Folded []string
}

// minFold is the smallest group of identical expectation lines that is folded into one.
const minFold = 5

// expLines returns the report's expectations for display. Implicit expectations with the
// same verdict, reason and outcome counts and nothing else to show (no mismatch, no message)
// fold into one line naming their cells when there are at least minFold of them, at the
// place of the first.
func expLines(r *Report, es []verdict.ExpectationResult) []expLine {
	type key struct{ verdict, reason, outcomes string }
	keyOf := func(e verdict.ExpectationResult) (key, bool) {
		if !e.Implicit || len(e.Mismatches) > 0 || len(e.Messages) > 0 {
			return key{}, false
		}
		return key{string(e.Verdict), e.Reason, outcomesText(e.Outcomes)}, true
	}
	count := map[key]int{}
	for _, e := range es {
		if k, ok := keyOf(e); ok {
			count[k]++
		}
	}
	var out []expLine
	at := map[key]int{}
	for _, e := range es {
		k, ok := keyOf(e)
		if !ok || count[k] < minFold {
			out = append(out, expLine{ExpectationResult: e, Name: expName(r, e), Folded: foldedMismatches(r, e)})
			continue
		}
		label := labelOf(r, e.Cell)
		if i, seen := at[k]; seen {
			out[i].Cells = append(out[i].Cells, label)
			out[i].Name = fmt.Sprintf("%d cells", len(out[i].Cells))
			continue
		}
		at[k] = len(out)
		out = append(out, expLine{ExpectationResult: e, Name: "1 cell", Cells: []string{label}})
	}
	return out
}

// cellList names the cells of a fold: at most five, then how many more.
func cellList(cells []string) string {
	if len(cells) <= 5 {
		return strings.Join(cells, "; ")
	}
	return fmt.Sprintf("%s; and %d more", strings.Join(cells[:5], "; "), len(cells)-5)
}
