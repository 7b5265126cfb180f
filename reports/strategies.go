package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat"

	"lockbench/history"
	"lockbench/stats"
	"lockbench/verdict"
	"lockbench/vocab"
)

// Situations of the strategies section: who else uses the file while the pipeline runs. They
// come from the competitor of a cell with a strategy.
const (
	SituationAlone   = "alone"
	SituationViewers = string(vocab.Viewers)
	SituationWriter  = "second writer"
)

// situationTitles are the situations as the recommendations name them.
var situationTitles = map[string]string{
	SituationAlone:   "the pipeline alone",
	SituationViewers: "dashboards reading during the run",
	SituationWriter:  "a second writer during the run",
}

// Strategies is the strategies section: for every strategy and situation, how the pipeline and
// the cooperating participants fared, whether the data stayed the same as the sequential
// reference's, and one recommendation per situation derived from those figures.
type Strategies struct {
	// Reference names the cell whose data every strategy is compared with (sequential, no
	// strategy, no competitor, the same data set); empty when the runs have none.
	Reference string `json:"reference,omitempty"`
	// ReferenceFingerprint is the reference cell's fingerprint (the most frequent one among its
	// ok trials).
	ReferenceFingerprint string `json:"reference_fingerprint,omitempty"`
	// Rows is one row per cell with a strategy, by situation and then strategy order.
	Rows []StrategyRow `json:"rows"`
	// Recommendations is one per situation the runs measured.
	Recommendations []Recommendation `json:"recommendations"`
}

// StrategyRow is one strategy in one situation (one cell), pooled over its non-warmup trials.
type StrategyRow struct {
	// Strategy, Situation and Competitor describe the cell; Cell is its key.
	Strategy   string `json:"strategy"`
	Situation  string `json:"situation"`
	Competitor string `json:"competitor"`
	Cell       string `json:"cell"`
	// Pipeline is the share of trials whose workload ended ok; Outcomes counts them by kind.
	Pipeline stats.Rate             `json:"pipeline"`
	Outcomes []verdict.OutcomeCount `json:"outcomes"`
	// Wall is the median wall time of the ok trials and WallCI its order-statistic interval
	// (at the report's confidence when there are enough trials, else min–max with the level
	// that has); nil without ok trials.
	Wall   *float64        `json:"wall,omitempty"`
	WallCI *stats.Interval `json:"wall_ci,omitempty"`
	// Viewers and Writer are the cooperating participants' figures, nil without them.
	Viewers *ParticipantFigures `json:"viewers,omitempty"`
	Writer  *ParticipantFigures `json:"writer,omitempty"`
	// DataIdentical is "yes" when every ok trial's fingerprint equals the reference's, "no"
	// when one differs (Mismatches counts them), "n/a" when no trial completed and "unknown"
	// without a reference.
	DataIdentical string `json:"data_identical"`
	Mismatches    int    `json:"mismatches,omitempty"`
}

// ParticipantFigures pools one role's attempts over a row's trials.
type ParticipantFigures struct {
	// Served is the share of attempts that succeeded; LockConflicts counts refusals.
	Served        stats.Rate `json:"served"`
	LockConflicts int        `json:"lock_conflicts"`
	// WaitP50 and WaitP95 are percentiles of the time attempts waited for access, in ms.
	WaitP50 float64 `json:"wait_p50_ms"`
	WaitP95 float64 `json:"wait_p95_ms"`
	// StalenessP50 and StalenessP95 are percentiles of the years a successful read was behind
	// the newest finished year (viewers; nil without successful reads); Partial is the share of
	// successful reads that saw an unfinished year.
	StalenessP50 *float64 `json:"staleness_p50_years,omitempty"`
	StalenessP95 *float64 `json:"staleness_p95_years,omitempty"`
	Partial      float64  `json:"partial"`
	// RowsWritten and RowsKept are the writer's rows acknowledged and found at the end; Kept is
	// their ratio (1 without rows).
	RowsWritten int     `json:"rows_written,omitempty"`
	RowsKept    int     `json:"rows_kept,omitempty"`
	Kept        float64 `json:"kept,omitempty"`
	// FirstError is the first failure's message.
	FirstError string `json:"first_error,omitempty"`
}

// Recommendation is the strategy the measurements favour in one situation.
type Recommendation struct {
	// Situation is one of the Situation constants; Strategy the best one; Also the strategies
	// that did as well within the measurements' precision.
	Situation string   `json:"situation"`
	Strategy  string   `json:"strategy"`
	Also      []string `json:"also,omitempty"`
	// Line is the recommendation in one sentence, with the figures behind it.
	Line string `json:"line"`
}

// none is the value of the strategy and competitor axes of a cell without them.
const none = string(vocab.NoStrategy)

// situationOf maps a cell's competitor onto a situation.
func situationOf(competitor string) string {
	kind, _, _ := strings.Cut(competitor, "(")
	switch vocab.CompetitorKind(kind) {
	case "", vocab.NoCompetitor:
		return SituationAlone
	case vocab.Viewers:
		return SituationViewers
	case vocab.SecondWriter:
		return SituationWriter
	}
	return competitor
}

// strategyOrder is the order rows are shown in (vocab.Strategies); unknown names sort last.
var strategyOrder = vocab.Strings(vocab.Strategies)

func orderOf(list []string, s string) int {
	if i := slices.Index(list, s); i >= 0 {
		return i
	}
	return len(list)
}

var situationOrder = []string{SituationAlone, SituationViewers, SituationWriter}

// buildStrategies computes the section from the report's cells and the runs' trials; nil when
// no cell has a strategy.
func buildStrategies(cells []*Cell, runs []history.Run, conf float64) *Strategies {
	trials := map[string][]history.Trial{}
	for _, run := range runs {
		for _, t := range run.Trials {
			if !t.Warmup {
				trials[t.Cell] = append(trials[t.Cell], t)
			}
		}
	}
	s := &Strategies{Rows: []StrategyRow{}, Recommendations: []Recommendation{}}
	refs := map[string]string{} // data set -> reference fingerprint
	refCell := map[string]string{}
	for _, c := range cells {
		p := c.Params
		if cmp.Or(p["strategy"], none) != none || p["mode"] != string(vocab.Sequential) || cmp.Or(p["competitor"], none) != none {
			continue
		}
		if fp := commonFingerprint(trials[c.Key]); fp != "" {
			if _, ok := refs[dataSet(p)]; !ok {
				refs[dataSet(p)], refCell[dataSet(p)] = fp, c.Key
			}
		}
	}
	for _, c := range cells {
		st := cmp.Or(c.Params["strategy"], none)
		if st == none {
			continue
		}
		ref, hasRef := refs[dataSet(c.Params)]
		if hasRef && s.Reference == "" {
			s.Reference, s.ReferenceFingerprint = refCell[dataSet(c.Params)], ref
		}
		s.Rows = append(s.Rows, strategyRow(c, st, trials[c.Key], ref, hasRef, conf))
	}
	if len(s.Rows) == 0 {
		return nil
	}
	sort.SliceStable(s.Rows, func(i, j int) bool {
		a, b := s.Rows[i], s.Rows[j]
		if x, y := orderOf(situationOrder, a.Situation), orderOf(situationOrder, b.Situation); x != y {
			return x < y
		}
		return orderOf(strategyOrder, a.Strategy) < orderOf(strategyOrder, b.Strategy)
	})
	for _, sit := range situationOrder {
		if rec, ok := recommend(s.Rows, sit); ok {
			s.Recommendations = append(s.Recommendations, rec)
		}
	}
	return s
}

func dataSet(p map[string]string) string {
	return p["employees"] + "/" + p["years"] + "/" + p["seed"]
}

// commonFingerprint is the most frequent fingerprint of the ok trials (ties: the smallest).
func commonFingerprint(ts []history.Trial) string {
	n := map[string]int{}
	for _, t := range ts {
		if t.Outcome.Kind == vocab.OK && t.Fingerprint != "" {
			n[t.Fingerprint]++
		}
	}
	best := ""
	for fp, k := range n {
		if best == "" || k > n[best] || (k == n[best] && fp < best) {
			best = fp
		}
	}
	return best
}

func strategyRow(c *Cell, st string, ts []history.Trial, ref string, hasRef bool, conf float64) StrategyRow {
	row := StrategyRow{Strategy: st, Situation: situationOf(c.Params["competitor"]), Competitor: cmp.Or(c.Params["competitor"], none),
		Cell: c.Key, Outcomes: c.Outcomes, DataIdentical: "n/a"}
	var walls []float64
	var viewers, writers []*history.Participants
	completed := 0
	for _, t := range ts {
		if t.Outcome.Kind == vocab.OK {
			walls = append(walls, t.WallS)
		}
		if t.Outcome.Kind == vocab.OK || t.Outcome.Kind == vocab.Mismatch {
			completed++
			if t.Outcome.Kind == vocab.Mismatch || (hasRef && t.Fingerprint != "" && t.Fingerprint != ref) {
				row.Mismatches++
			}
		}
		if co := t.Cooperation; co != nil {
			if co.Viewers != nil {
				viewers = append(viewers, co.Viewers)
			}
			if co.Writer != nil {
				writers = append(writers, co.Writer)
			}
		}
	}
	row.Pipeline = stats.Wilson(len(walls), len(ts), conf)
	switch {
	case row.Mismatches > 0:
		row.DataIdentical = "no"
	case completed > 0 && !hasRef:
		row.DataIdentical = "unknown"
	case completed > 0:
		row.DataIdentical = "yes"
	}
	if len(walls) > 0 {
		sorted := slices.Sorted(slices.Values(walls))
		m := stats.Median(sorted)
		row.Wall = &m
		row.WallCI = stats.MedianRange(sorted, conf)
	}
	row.Viewers = pool(viewers, false, conf)
	row.Writer = pool(writers, true, conf)
	return row
}

// pool adds up one role's figures over trials.
func pool(ps []*history.Participants, writer bool, conf float64) *ParticipantFigures {
	if len(ps) == 0 {
		return nil
	}
	f := &ParticipantFigures{}
	var waits, stale []float64
	ok, n, partial := 0, 0, 0
	for _, p := range ps {
		ok += p.Successes
		n += p.Attempts
		f.LockConflicts += p.LockConflicts
		waits = append(waits, p.WaitMS...)
		for _, s := range p.StalenessYears {
			stale = append(stale, float64(s))
		}
		partial += p.Partial
		f.RowsWritten += p.RowsWritten
		f.RowsKept += p.RowsKept
		if f.FirstError == "" {
			f.FirstError = p.FirstError
		}
	}
	f.Served = stats.Wilson(ok, n, conf)
	if len(waits) > 0 {
		sort.Float64s(waits)
		f.WaitP50 = stat.Quantile(0.5, stat.Empirical, waits, nil)
		f.WaitP95 = stat.Quantile(0.95, stat.Empirical, waits, nil)
	}
	if len(stale) > 0 {
		sort.Float64s(stale)
		p50, p95 := stat.Quantile(0.5, stat.Empirical, stale, nil), stat.Quantile(0.95, stat.Empirical, stale, nil)
		f.StalenessP50, f.StalenessP95 = &p50, &p95
		f.Partial = float64(partial) / float64(len(stale))
	}
	if writer {
		f.Kept = 1
		if f.RowsWritten > 0 {
			f.Kept = float64(f.RowsKept) / float64(f.RowsWritten)
		}
	}
	return f
}

// recommend picks the strategy the measurements favour in a situation. A strategy that
// changed the data is out. The rest are ranked by the pipeline's success rate, then by how
// well the participants were served (viewers: successful reads of whole years; a writer:
// successful writes still in the file at the end), then by the 95th percentile of staleness
// (viewers) and of waiting, then by the median wall time. Strategies whose figures are the
// same and whose wall intervals overlap the best one's are named with it.
func recommend(rows []StrategyRow, situation string) (Recommendation, bool) {
	var cands []StrategyRow
	for _, r := range rows {
		if r.Situation == situation && r.DataIdentical != "no" && r.Pipeline.N > 0 {
			cands = append(cands, r)
		}
	}
	if len(cands) == 0 {
		return Recommendation{}, false
	}
	slices.SortStableFunc(cands, func(a, b StrategyRow) int {
		if c := cmp.Compare(b.Pipeline.Value, a.Pipeline.Value); c != 0 {
			return c
		}
		if c := cmp.Compare(service(b, situation), service(a, situation)); c != 0 {
			return c
		}
		if c := cmp.Compare(staleness95(a), staleness95(b)); c != 0 {
			return c
		}
		if c := cmp.Compare(wait95(a), wait95(b)); c != 0 {
			return c
		}
		return cmp.Compare(wallOf(a), wallOf(b))
	})
	best := cands[0]
	rec := Recommendation{Situation: situation, Strategy: best.Strategy}
	for _, c := range cands[1:] {
		if c.Pipeline.Value == best.Pipeline.Value && service(c, situation) == service(best, situation) &&
			staleness95(c) == staleness95(best) && wait95(c) == wait95(best) && overlaps(c.WallCI, best.WallCI) {
			rec.Also = append(rec.Also, c.Strategy)
		}
	}
	title := cmp.Or(situationTitles[situation], "with "+situation)
	names := strings.Join(append([]string{best.Strategy}, rec.Also...), " or ")
	rec.Line = fmt.Sprintf("%s: %s (%s)", title, names, evidence(best, situation))
	return rec, true
}

// service is the share of a row's participant attempts that did their job: viewers' successful
// reads of whole years, the writer's successful writes that are still in the file; 1 alone.
func service(r StrategyRow, situation string) float64 {
	switch situation {
	case SituationViewers:
		if r.Viewers == nil {
			return 0
		}
		return r.Viewers.Served.Value * (1 - r.Viewers.Partial)
	case SituationWriter:
		if r.Writer == nil {
			return 0
		}
		return r.Writer.Served.Value * r.Writer.Kept
	}
	return 1
}

func staleness95(r StrategyRow) float64 {
	if r.Viewers == nil || r.Viewers.StalenessP95 == nil {
		return math.Inf(1)
	}
	return *r.Viewers.StalenessP95
}

func wait95(r StrategyRow) float64 {
	switch {
	case r.Viewers != nil:
		return r.Viewers.WaitP95
	case r.Writer != nil:
		return r.Writer.WaitP95
	}
	return 0
}

func wallOf(r StrategyRow) float64 {
	if r.Wall == nil {
		return math.Inf(1)
	}
	return *r.Wall
}

// overlaps reports whether two intervals share a point (false when either is missing).
func overlaps(a, b *stats.Interval) bool {
	return a != nil && b != nil && a.Lo <= b.Hi && b.Lo <= a.Hi
}

// evidence is the figures behind a recommendation.
func evidence(r StrategyRow, situation string) string {
	parts := []string{fmt.Sprintf("pipeline ok %d/%d", r.Pipeline.OK, r.Pipeline.N)}
	switch {
	case situation == SituationViewers && r.Viewers != nil:
		v := r.Viewers
		parts = append(parts, fmt.Sprintf("%s of %d reads served", pct0(v.Served.Value), v.Served.N))
		if v.StalenessP95 != nil {
			parts = append(parts, fmt.Sprintf("p95 staleness %s", yearsText(*v.StalenessP95)))
		}
		if v.Partial > 0 {
			parts = append(parts, fmt.Sprintf("%s partial", pct0(v.Partial)))
		}
		parts = append(parts, fmt.Sprintf("p95 wait %s", msText(v.WaitP95)))
	case situation == SituationWriter && r.Writer != nil:
		w := r.Writer
		parts = append(parts, fmt.Sprintf("%s of %d writes ok", pct0(w.Served.Value), w.Served.N),
			fmt.Sprintf("%d/%d rows kept", w.RowsKept, w.RowsWritten), fmt.Sprintf("p95 wait %s", msText(w.WaitP95)))
	}
	if r.Wall != nil {
		parts = append(parts, "wall "+secs(*r.Wall))
	}
	return strings.Join(parts, ", ")
}

func pct0(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }

func msText(ms float64) string {
	if ms >= 1000 {
		return fmt.Sprintf("%.2fs", ms/1000)
	}
	return fmt.Sprintf("%.0fms", ms)
}

func yearsText(y float64) string {
	if y == 1 {
		return "1 year"
	}
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", y), "0"), ".") + " years"
}
