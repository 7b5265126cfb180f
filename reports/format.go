package reports

import (
	"fmt"
	"math"
	"strings"
)

// Secs formats a duration in seconds with three significant digits and an adaptive unit, as
// every report prints durations.
func Secs(v float64) string { return secs(v) }

// secs formats a duration in seconds with three significant digits and an adaptive unit.
func secs(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0s"
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprint(v)
	case a >= 1000:
		return fmt.Sprintf("%.0fs", v)
	case a >= 1:
		return sig3(v) + "s"
	case a >= 1e-3:
		return sig3(v*1e3) + "ms"
	default:
		return sig3(v*1e6) + "µs"
	}
}

// sig3 formats v with three significant digits and no exponent (|v| < 1000).
func sig3(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

// signedSecs formats a duration in seconds with its sign: "+52.0ms", "-1.20s".
func signedSecs(v float64) string {
	if v > 0 {
		return "+" + secs(v)
	}
	return secs(v)
}

// pct formats a fraction as a percentage with one decimal.
func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

// signedPct formats a fraction as a signed percentage with one decimal.
func signedPct(v float64) string { return fmt.Sprintf("%+.1f%%", 100*v) }

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
func ciText(ci *Interval) string {
	if ci == nil {
		return "[?]"
	}
	return fmt.Sprintf("[%s, %s]", signedPct(ci.Lo), signedPct(ci.Hi))
}

// outcomesText formats outcome counts as "ok 10, lock-conflict 2".
func outcomesText(oc []OutcomeCount) string {
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
func verdictWord(v Verdict) string { return strings.ToUpper(string(v)) }
