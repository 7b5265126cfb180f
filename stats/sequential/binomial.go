package sequential

import (
	"fmt"

	"gonum.org/v1/gonum/stat/distuv"
)

// ClopperPearson returns the exact (Clopper–Pearson) two-sided interval, at the given
// confidence, of a binomial proportion observed as k successes in n trials. Its bounds are
// quantiles of Beta distributions: the lower bound is the (1 − confidence)/2 quantile of
// Beta(k, n − k + 1) (0 when k = 0), the upper the (1 + confidence)/2 quantile of
// Beta(k + 1, n − k) (1 when k = n).
func ClopperPearson(k, n int, confidence float64) (lo, hi float64, err error) {
	if n <= 0 || k < 0 || k > n {
		return 0, 0, fmt.Errorf("binomial interval of %d successes in %d trials: need 0 ≤ successes ≤ trials and trials > 0", k, n)
	}
	if !(confidence > 0 && confidence < 1) {
		return 0, 0, fmt.Errorf("confidence %v: it must lie strictly between 0 and 1", confidence)
	}
	a := (1 - confidence) / 2
	lo, hi = 0, 1
	if k > 0 {
		lo = distuv.Beta{Alpha: float64(k), Beta: float64(n - k + 1)}.Quantile(a)
	}
	if k < n {
		hi = distuv.Beta{Alpha: float64(k + 1), Beta: float64(n - k)}.Quantile(1 - a)
	}
	return lo, hi, nil
}
