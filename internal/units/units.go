// Package units formats the quantities lockbench prints for people: durations in seconds with
// three significant digits and an adaptive unit (1.23s, 45.6ms, 789µs), and fractions as
// percentages with one decimal. Every report, comparison, verdict reason and trend uses it, so
// a figure reads the same wherever it appears.
package units

import (
	"fmt"
	"math"
)

// Secs formats a duration in seconds with three significant digits and an adaptive unit: "0s",
// "1.23s", "45.6ms", "789µs"; durations of 1000 s and more in whole seconds.
func Secs(v float64) string {
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

// SignedSecs formats a duration in seconds with its sign: "+52.0ms", "-1.20s".
func SignedSecs(v float64) string {
	if v > 0 {
		return "+" + Secs(v)
	}
	return Secs(v)
}

// Pct formats a fraction as a percentage with one decimal: 0.653 is "65.3%".
func Pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

// SignedPct formats a fraction as a signed percentage with one decimal: "+12.0%", "-3.5%".
func SignedPct(v float64) string { return fmt.Sprintf("%+.1f%%", 100*v) }
