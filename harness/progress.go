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
type progress struct {
	w      io.Writer
	live   bool
	total  int
	done   int
	ran    int
	start  time.Time
	labels map[string]string
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
	return &progress{w: w, live: live, total: total, start: time.Now(), labels: labels}
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

func (p *progress) trial(t history.Trial) {
	p.done++
	p.ran++
	if p.w == nil {
		return
	}
	elapsed := time.Since(p.start)
	eta := time.Duration(float64(elapsed) / float64(p.ran) * float64(p.total-p.done))
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

func (p *progress) finish() {
	if p.w != nil && p.live && p.ran > 0 {
		fmt.Fprintln(p.w)
	}
}

func round(d time.Duration) time.Duration { return d.Round(time.Second) }
