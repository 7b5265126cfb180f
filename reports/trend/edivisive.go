package trend

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// This file implements E-Divisive with means (Matteson and James, "A Nonparametric Approach
// for Multiple Change Point Analysis of Multivariate Data", JASA 2014) for one-dimensional
// series with exponent α = 1, as Apache Otava (formerly hunter) uses it: the divergence between
// a stretch of the series and the stretch that follows it, the pair of stretches that maximises
// it, a permutation test of its significance, and bisection until the next split is not
// significant.

// minSide is the fewest points on each side of a split. The statistic's within-sample terms
// average over pairs, so each side needs two values.
const minSide = 2

// Divergence returns the E-Divisive statistic of x (before) against y (after), with α = 1:
//
//	Q(x, y) = mn/(m+n) · ( 2/(mn)·Σᵢⱼ|xᵢ−yⱼ| − C(m,2)⁻¹·Σᵢ<ₖ|xᵢ−xₖ| − C(n,2)⁻¹·Σⱼ<ₖ|yⱼ−yₖ| )
//
// where m = len(x), n = len(y) and C(k,2) = k(k−1)/2. It is the sample energy distance between
// the two sides scaled by their sizes: near 0 when both come from one distribution, large when
// they differ in location (or shape). It returns NaN unless both sides have two values.
func Divergence(x, y []float64) float64 {
	m, n := len(x), len(y)
	if m < 2 || n < 2 {
		return math.NaN()
	}
	all := append(slices.Clone(x), y...)
	total := pairSum(all)
	wx, wy := pairSum(x), pairSum(y)
	return qhat(total-wx-wy, wx, wy, m, n)
}

// pairSum returns Σᵢ<ₖ|xᵢ−xₖ| in O(n log n): after sorting, the value of rank r (from 0) is
// larger than r values and smaller than n−1−r.
func pairSum(xs []float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	n := len(s)
	sum := 0.0
	for r, v := range s {
		sum += float64(2*r-n+1) * v
	}
	return sum
}

// qhat is Q from the cross sum, the two within sums and the sizes.
func qhat(cross, wx, wy float64, m, n int) float64 {
	fm, fn := float64(m), float64(n)
	e := 2*cross/(fm*fn) - wx/(fm*(fm-1)/2) - wy/(fn*(fn-1)/2)
	return fm * fn / (fm + fn) * e
}

// segment is a stretch [lo, hi) of the series.
type segment struct{ lo, hi int }

// candidate is the best split of one segment: x = [seg.lo, tau), y = [tau, kappa), with
// statistic q.
type candidate struct {
	seg        segment
	tau, kappa int
	q          float64
}

// divisive holds a series and scratch space for the statistic.
type divisive struct {
	x     []float64
	order []int     // the current arrangement: order[i] is the value at position i
	vals  []float64 // scratch: the segment's values in arrangement order
	row   []float64 // scratch: row[t] = Σ_{t<j<k} |v_t − v_j| for the current k
	tot   []float64 // scratch: tot[k] = within sum of the segment's first k values
	inv   []float64 // inv[i] = 1/i
}

func newDivisive(xs []float64) *divisive {
	n := len(xs)
	d := &divisive{x: xs, order: make([]int, n), vals: make([]float64, n), row: make([]float64, n), tot: make([]float64, n+1), inv: make([]float64, n+1)}
	identity(d.order)
	for i := 1; i <= n; i++ {
		d.inv[i] = 1 / float64(i)
	}
	return d
}

// best returns the best split of segment s in arrangement order, maximising Q over every
// tau and kappa with s.lo+2 ≤ tau ≤ kappa−2 and kappa ≤ s.hi, or ok=false when s is too short
// to split. It runs in O(n²) time and O(n) space for a segment of n values. For each end k it
// walks tau down from k, extending every row sum row[t] = Σ_{t<j<k} |v_t − v_j| by the new
// value and accumulating the within sum of [tau, k); the within sums of the prefixes are tot.
// With m = tau − lo, n = k − tau and the total T of [lo, k),
//
//	Q = 2/(m+n)·(C − n/(m−1)·wx − m/(n−1)·wy) = 2/k·(T − (k−1)·(wx/(m−1) + wy/(n−1)))
//
// since C = T − wx − wy, so for each k the best tau minimises wx/(m−1) + wy/(n−1).
func (d *divisive) best(s segment, order []int) (c candidate, ok bool) {
	n := s.hi - s.lo
	if n < 2*minSide {
		return c, false
	}
	v := d.vals[:n]
	for i := range v {
		v[i] = d.x[order[s.lo+i]]
	}
	row, tot, inv := d.row[:n], d.tot[:n+1], d.inv
	clear(row)
	tot[0], tot[1] = 0, 0
	c = candidate{seg: s, q: math.Inf(-1)}
	for k := 2; k <= n; k++ {
		xk := v[k-1]
		added, within := 0.0, 0.0
		bestR, bestT := math.Inf(1), 0
		t := k - 2
		for ; t >= minSide; t-- {
			dist := math.Abs(v[t] - xk)
			rt := row[t] + dist
			row[t] = rt
			added += dist
			within += rt
			if r := tot[t]*inv[t-1] + within*inv[k-t-1]; r < bestR {
				bestR, bestT = r, t
			}
		}
		for ; t >= 0; t-- {
			dist := math.Abs(v[t] - xk)
			row[t] += dist
			added += dist
		}
		tot[k] = tot[k-1] + added
		if bestT == 0 {
			continue // k < 4: no admissible split yet
		}
		if q := 2 * inv[k] * (tot[k] - float64(k-1)*bestR); q > c.q {
			c.tau, c.kappa, c.q = s.lo+bestT, s.lo+k, q
		}
	}
	return c, true
}

// bestOf returns the best split over all segments in the arrangement order.
func (d *divisive) bestOf(segs []segment, order []int) (candidate, bool) {
	var best candidate
	found := false
	for _, s := range segs {
		if c, ok := d.best(s, order); ok && (!found || c.q > best.q) {
			best, found = c, true
		}
	}
	return best, found
}

// permutationP returns the p-value of observing a best split at least as large as q when the
// observations are exchangeable within each segment: the share of arrangements, permuted
// within every segment, whose best split over all segments reaches q. When the segments have
// at most perms arrangements in all, every arrangement is enumerated and the p-value is exact;
// otherwise perms random arrangements are drawn from rng and p = (1 + #{reach q})/(perms + 1)
// (counting the observed arrangement, so p is never 0). Drawing stops early once p cannot come
// out at or below alpha; the p-value returned is then a lower bound above alpha.
func (d *divisive) permutationP(segs []segment, q float64, perms int, alpha float64, rng *rand.Rand) float64 {
	reach := func(order []int) bool {
		c, ok := d.bestOf(segs, order)
		return ok && c.q >= q-1e-12*math.Abs(q)-1e-15
	}
	order := d.order
	for i := range order {
		order[i] = i
	}
	if total, ok := arrangements(segs, perms); ok {
		hits := 0
		enumerate(segs, order, func() {
			if reach(order) {
				hits++
			}
		})
		return float64(hits) / float64(total)
	}
	hits := 1 // the observed arrangement
	limit := alpha * float64(perms+1)
	for done := 0; done < perms; done++ {
		for _, s := range segs {
			part := order[s.lo:s.hi]
			rng.Shuffle(len(part), func(i, j int) { part[i], part[j] = part[j], part[i] })
		}
		if reach(order) {
			hits++
			if float64(hits) > limit {
				return float64(hits) / float64(done+2)
			}
		}
	}
	return float64(hits) / float64(perms+1)
}

// arrangements returns the number of arrangements permuting within segments, and whether it is
// at most limit.
func arrangements(segs []segment, limit int) (int, bool) {
	total := 1
	for _, s := range segs {
		n := s.hi - s.lo
		for k := 2; k <= n; k++ {
			total *= k
			if total > limit {
				return 0, false
			}
		}
	}
	return total, true
}

// enumerate calls f once for every arrangement of order that permutes within the segments
// (an odometer over each segment's permutations in lexicographic order). order must start
// sorted within each segment, and ends so.
func enumerate(segs []segment, order []int, f func()) {
	for {
		f()
		i := 0
		for ; i < len(segs); i++ {
			part := order[segs[i].lo:segs[i].hi]
			if nextPermutation(part) {
				break
			}
			// wrapped: part is sorted again; carry to the next segment
		}
		if i == len(segs) {
			return
		}
	}
}

// nextPermutation rearranges p into the next permutation in lexicographic order and returns
// true, or sorts it and returns false when it was the last.
func nextPermutation(p []int) bool {
	i := len(p) - 2
	for i >= 0 && p[i] >= p[i+1] {
		i--
	}
	if i < 0 {
		slices.Reverse(p)
		return false
	}
	j := len(p) - 1
	for p[j] <= p[i] {
		j--
	}
	p[i], p[j] = p[j], p[i]
	slices.Reverse(p[i+1:])
	return true
}

// Split is a change point found by EDivisive: the index of the first value after it, its
// statistic and the p-value of its permutation test.
type Split struct {
	Index int
	Q     float64
	P     float64
}

// EDivisive finds change points in a series. At each step it takes, over the current segments,
// the split with the largest statistic (Divergence of a stretch [lo, τ) of a segment against
// the stretch [τ, κ) that follows it, at least two values each), tests it by permuting the
// values within every current segment (perms permutations drawn from rng, or every arrangement
// when there are at most perms), and keeps it when p ≤ alpha; it stops at the first split that
// is not significant. The splits are returned in series order.
func EDivisive(xs []float64, alpha float64, perms int, rng *rand.Rand) []Split {
	d := newDivisive(xs)
	segs := []segment{{0, len(xs)}}
	var out []Split
	for {
		c, ok := d.bestOf(segs, identity(d.order))
		if !ok {
			break
		}
		p := d.permutationP(segs, c.q, perms, alpha, rng)
		if p > alpha {
			break
		}
		out = append(out, Split{Index: c.tau, Q: c.q, P: p})
		var next []segment
		for _, s := range segs {
			if s == c.seg {
				next = append(next, segment{s.lo, c.tau}, segment{c.tau, s.hi})
			} else {
				next = append(next, s)
			}
		}
		segs = next
	}
	slices.SortFunc(out, func(a, b Split) int { return a.Index - b.Index })
	return out
}

func identity(order []int) []int {
	for i := range order {
		order[i] = i
	}
	return order
}
