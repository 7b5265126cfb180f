package reports

import (
	"fmt"
	"strconv"
	"strings"
)

// This file holds what every renderer for people shares: cells named by their labels (the
// axes that vary), repeated warnings and mismatches folded into one line with a count, and the
// footnote that replaces a missing interval. JSON, JUnit and Go benchmark output keep full keys.

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
func valueCell(s *Summary, ref string) string {
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
func expName(r *Report, e ExpectationResult) string {
	if e.Implicit && e.cell != "" {
		return "cell " + labelOf(r, e.cell)
	}
	return e.Name
}

// foldedMismatches returns the expectation's mismatches with cells named by label, trials
// that differ in the same way from the same cell folded into one line with a count.
func foldedMismatches(r *Report, e ExpectationResult) []string {
	if len(e.mism) == 0 {
		return e.Mismatches
	}
	type group struct {
		first  mismatch
		trials []string
	}
	var order []string
	groups := map[string]*group{}
	runs := map[string]bool{}
	for _, m := range e.mism {
		runs[m.run] = true
	}
	for _, m := range e.mism {
		k := fmt.Sprintf("%s\x00%s\x00%s\x00%v", m.cell, m.got, m.want, m.strayOwner)
		g := groups[k]
		if g == nil {
			g = &group{first: m}
			groups[k] = g
			order = append(order, k)
		}
		t := "#" + strconv.Itoa(m.trial)
		if len(runs) > 1 {
			t = m.run + " " + t
		}
		g.trials = append(g.trials, t)
	}
	var out []string
	for _, k := range order {
		g := groups[k]
		if len(g.trials) == 1 {
			out = append(out, g.first.text(labelOf(r, g.first.cell)))
			continue
		}
		trials := g.trials
		if len(trials) > 8 {
			trials = append(trials[:8:8], "…")
		}
		what := fmt.Sprintf("got %s, want %s", g.first.got, g.first.want)
		if g.first.strayOwner {
			what = fmt.Sprintf("got %s from a process lockbench did not start, want %s from the injected competitor", g.first.got, g.first.want)
		}
		where := ""
		if len(runs) == 1 {
			where = " of run " + g.first.run
		}
		out = append(out, fmt.Sprintf("%s: %s in %d trials (%s%s)", labelOf(r, g.first.cell), what, len(g.trials), strings.Join(trials, ", "), where))
	}
	return out
}

// expLine is an expectation as people read it: one expectation, or several implicit ones that
// say the same thing folded into one line.
type expLine struct {
	ExpectationResult
	// Name is expName's, or "N cells" for a fold.
	Name string
	// Cells are the labels of a fold's cells (nil for one expectation).
	Cells []string
	// Details are the expectation's folded mismatches.
	Details []string
}

// minFold is the smallest group of identical expectation lines that is folded into one.
const minFold = 5

// expLines returns the report's expectations for display. Implicit expectations with the
// same verdict, reason and outcome counts and nothing else to show (no mismatch, no message)
// fold into one line naming their cells when there are at least minFold of them, at the
// place of the first.
func expLines(r *Report, es []ExpectationResult) []expLine {
	type key struct{ verdict, reason, outcomes string }
	keyOf := func(e ExpectationResult) (key, bool) {
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
			out = append(out, expLine{ExpectationResult: e, Name: expName(r, e), Details: foldedMismatches(r, e)})
			continue
		}
		label := labelOf(r, e.cell)
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
