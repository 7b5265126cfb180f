package reports

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// verdictColors are the colours of the three verdicts in the HTML report.
var verdictColors = map[Verdict]string{Pass: "#1a7f37", Fail: "#cf222e", Unknown: "#9a6700"}

func verdictColor(v Verdict) string {
	if c, ok := verdictColors[v]; ok {
		return c
	}
	return verdictColors[Unknown]
}

// headlineText is the report's key figure in words: the first target's reduction with its
// interval against the target, or, without targets, how many expectations were met.
func headlineText(r *Report) string {
	if len(r.Targets) > 0 {
		t := r.Targets[0]
		ci := "no interval"
		if t.AchievedCI != nil {
			ci = fmt.Sprintf("%.0f%% CI %s to %s", 100*t.AchievedCI.Level, pct(t.AchievedCI.Lo), pct(t.AchievedCI.Hi))
		}
		more := ""
		if len(r.Targets) > 1 {
			more = fmt.Sprintf(" (and %d more target(s) below)", len(r.Targets)-1)
		}
		return fmt.Sprintf("%s: %s reduced by %s (%s); target ≥ %s%s", t.Name, t.Metric, pct(t.Achieved), ci, pct(t.Reduction), more)
	}
	met := 0
	for _, e := range r.Expectations {
		if e.Verdict == Pass {
			met++
		}
	}
	return fmt.Sprintf("%d of %d expectations met", met, len(r.Expectations))
}

// targetsFigure draws every target as one row: the reduction's interval as a bar in the
// colour of its verdict, the point estimate as a dot with its value, and the target as a dashed
// line, on a shared percentage axis. It is HTML positioned in percentages, so it spans the
// page's width on a desktop and on a phone while its text keeps the page's size and font.
func targetsFigure(ts []TargetResult) template.HTML {
	if len(ts) == 0 {
		return ""
	}
	lo, hi := 0.0, 1.0 // reductions are at most 100%
	for _, t := range ts {
		lo = min(lo, t.Reduction, t.Achieved)
		hi = max(hi, t.Reduction, t.Achieved)
		if t.AchievedCI != nil {
			lo, hi = min(lo, t.AchievedCI.Lo), max(hi, t.AchievedCI.Hi)
		}
	}
	// Whole quarters, from at most −100% (twice as slow): a value beyond is drawn at the edge,
	// its label still exact.
	lo = max(math.Floor(lo*4)/4, -1)
	hi = math.Ceil(hi*4) / 4
	step := 0.25
	if hi-lo > 1.25 {
		step = 0.5
	}
	x := func(v float64) float64 { return 100 * (min(max(v, lo), hi) - lo) / (hi - lo) }
	esc := template.HTMLEscapeString
	var b strings.Builder
	b.WriteString(`<div class="tfig" role="img" aria-label="each target's reduction with its interval against the target">`)
	for _, t := range ts {
		col := verdictColor(t.Verdict)
		fmt.Fprintf(&b, `<div class="trow"><div class="tname"><b style="color:%s">%s</b> %s <span class="muted">(%s)</span></div><div class="track">`,
			col, strings.ToUpper(string(t.Verdict)), esc(t.Name), esc(t.Metric))
		if t.AchievedCI != nil {
			fmt.Fprintf(&b, `<div class="ci" style="left:%.2f%%;width:%.2f%%;background:%s;border-color:%s" title="%s to %s"></div>`,
				x(t.AchievedCI.Lo), max(x(t.AchievedCI.Hi)-x(t.AchievedCI.Lo), 0.4), col, col, pct(t.AchievedCI.Lo), pct(t.AchievedCI.Hi))
		}
		// The estimate's label and the target's sit on opposite sides of their marks.
		side, tside := "r", "l"
		if t.Achieved < t.Reduction {
			side, tside = "l", "r"
		}
		fmt.Fprintf(&b, `<div class="dot" style="left:%.2f%%;background:%s"></div><div class="est %s" style="left:%.2f%%;color:%s">%s</div>`,
			x(t.Achieved), col, side, x(t.Achieved), col, pct(t.Achieved))
		fmt.Fprintf(&b, `<div class="tline" style="left:%.2f%%"><span class="%s">target ≥ %s</span></div>`, x(t.Reduction), tside, pct(t.Reduction))
		for v := lo; v <= hi+1e-9; v += step {
			fmt.Fprintf(&b, `<span class="tick" style="left:%.2f%%">%.0f%%</span>`, x(v), 100*v)
		}
		b.WriteString(`</div></div>`)
	}
	b.WriteString(`</div>`)
	return template.HTML(b.String())
}
