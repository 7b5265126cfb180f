package harness

import (
	"fmt"
	"io"
	"time"

	"lockbench/history"
)

// progress reports the run's advance on stderr: one redrawn line on a terminal, one plain line
// per trial otherwise, nothing when w is nil.
type progress struct {
	w     io.Writer
	live  bool
	total int
	done  int
	ran   int
	start time.Time
}

func newProgress(w io.Writer, live bool, total int) *progress {
	return &progress{w: w, live: live, total: total, start: time.Now()}
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
	line := fmt.Sprintf("[%d/%d] %s %d %s: %s %.2fs  elapsed %s, ETA %s",
		p.done, p.total, kind, t.Trial, t.Cell, t.Outcome.Kind, t.WallS, round(elapsed), round(eta))
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
