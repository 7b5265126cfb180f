package harness

import (
	"fmt"
	"io"
	"time"

	"lockbench/criteria"
	"lockbench/history"
	"lockbench/scenarios"
)

// progress reports the run's advance on stderr: one redrawn line on a terminal, one plain line
// per trial otherwise, nothing when w is nil. Trials name their cell by the axes that vary
// between the run's cells; the axes every cell shares are printed once, first.
//
// The ETA is estimated per cell, because cells differ widely: a process-per-model trial can
// take thirty times as long as a threaded one. It adds up, over the cells, the trials each still
// needs times what a trial of that cell has taken so far; a cell with no trial yet counts at the
// mean of every trial so far.
type progress struct {
	w      io.Writer
	live   bool
	total  int
	done   int
	ran    int
	start  time.Time
	labels map[string]string
	// took is what the trials run so far took, by cell, from start to recorded.
	took map[string]cellCost
}

// cellCost is what a cell's trials took: n trials, sum in all.
type cellCost struct {
	sum time.Duration
	n   int
}

func newProgress(w io.Writer, live bool, total int, cells []scenarios.Cell) *progress {
	keys := make([]string, len(cells))
	for i, c := range cells {
		keys[i] = c.Key
	}
	labels, common := scenarios.Labels(keys)
	if w != nil && common != "" {
		fmt.Fprintf(w, "%d trials of %d cells; every cell has %s\n", total, len(cells), common)
	}
	return &progress{w: w, live: live, total: total, start: time.Now(), labels: labels, took: map[string]cellCost{}}
}

// label is the cell's label, or its key when it has none.
func (p *progress) label(key string) string {
	if l, ok := p.labels[key]; ok {
		return l
	}
	return key
}

// design describes a sequential run's design: its total of trials grows and shrinks with the
// evidence.
func (p *progress) design(d criteria.Design) {
	if p.w != nil && d.IsSequential() {
		fmt.Fprintln(p.w, d)
	}
}

func (p *progress) skip() { p.done++ }

// trial reports trial t, which took took from start to recorded; left is how many trials each
// cell still needs (see gate.left).
func (p *progress) trial(t history.Trial, took time.Duration, left map[string]int) {
	p.done++
	p.ran++
	c := p.took[t.Cell]
	p.took[t.Cell] = cellCost{sum: c.sum + took, n: c.n + 1}
	if p.w == nil {
		return
	}
	elapsed := time.Since(p.start)
	eta := p.eta(left)
	kind := "trial"
	if t.Warmup {
		kind = "warmup"
	}
	what := string(t.Outcome.Kind)
	if !t.Outcome.Kind.Result() {
		what += "/" + string(t.Outcome.Sub) + " (not a result)"
	}
	line := fmt.Sprintf("[%d/%d] %s %d %s: %s %.2fs  elapsed %s, ETA %s",
		p.done, p.total, kind, t.Trial, p.label(t.Cell), what, t.WallS, round(elapsed), round(eta))
	if p.live {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		return
	}
	fmt.Fprintln(p.w, line)
}

// eta estimates the time the trials in left will take: each at the mean of its cell's trials so
// far, or at the mean of all trials so far for a cell that has none.
func (p *progress) eta(left map[string]int) time.Duration {
	var all cellCost
	for _, c := range p.took {
		all.sum += c.sum
		all.n += c.n
	}
	if all.n == 0 {
		return 0
	}
	var eta time.Duration
	for cell, n := range left {
		c, ok := p.took[cell]
		if !ok {
			c = all
		}
		eta += time.Duration(n) * (c.sum / time.Duration(c.n))
	}
	return eta
}

func (p *progress) finish() {
	if p.w != nil && p.live && p.ran > 0 {
		fmt.Fprintln(p.w)
	}
}

func round(d time.Duration) time.Duration { return d.Round(time.Second) }
