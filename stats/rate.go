package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Rate is a count of successes out of attempts with its Wilson score interval.
type Rate struct {
	OK    int       `json:"ok"`
	N     int       `json:"n"`
	Value float64   `json:"value"`
	CI    *Interval `json:"ci,omitempty"`
}

// Wilson returns ok out of n with its Wilson score interval at the given confidence (no
// interval when n is 0).
func Wilson(ok, n int, confidence float64) Rate {
	r := Rate{OK: ok, N: n}
	if n == 0 {
		return r
	}
	p := float64(ok) / float64(n)
	r.Value = p
	z := distuv.UnitNormal.Quantile(1 - (1-confidence)/2)
	nf := float64(n)
	den := 1 + z*z/nf
	centre := (p + z*z/(2*nf)) / den
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / den
	r.CI = &Interval{Lo: math.Max(0, centre-half), Hi: math.Min(1, centre+half), Level: confidence}
	return r
}
