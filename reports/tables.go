package reports

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"lockbench/stats"
	"lockbench/verdict"
)

// This file lays out the tables the text, Markdown and HTML renderers share, as rows of plain
// strings: each renderer only decides how to draw them.

// cellRow is one row of the cell table: label, ok/n, the medians, wall cv, outcomes, notes.
func cellRow(c *Cell, fn footnotes) []string {
	cv := "-"
	if c.Wall != nil {
		cv = pct(c.Wall.CV)
	}
	wall, overhead, sql, notes := cellValues(c, fn)
	return []string{c.Label, fmt.Sprintf("%d/%d", c.OK, c.Trials), wall, overhead, sql, cv, outcomesText(c.Outcomes), notes}
}

// cellHeader is the header of the cell table, and cellAlign its columns' alignment.
var cellHeader = []string{"cell", "ok/n", "wall", "overhead", "sql", "wall cv", "outcomes", "notes"}

const cellAlign = "lrrrrrll"

// kindColumns returns the overhead kinds present in any cell, in report order.
func kindColumns(cells []*Cell) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range kindOrder {
		for _, c := range cells {
			for _, km := range c.OverheadByKind {
				if km.Kind == string(k) && !seen[km.Kind] {
					seen[km.Kind] = true
					out = append(out, km.Kind)
				}
			}
		}
	}
	for _, c := range cells {
		for _, km := range c.OverheadByKind {
			if !seen[km.Kind] {
				seen[km.Kind] = true
				out = append(out, km.Kind)
			}
		}
	}
	return out
}

func kindValue(c *Cell, kind string) string {
	for _, km := range c.OverheadByKind {
		if km.Kind == kind {
			return secs(km.Median)
		}
	}
	return "-"
}

// kindHeader is the header of the overhead-by-kind table.
func kindHeader(kinds []string) []string {
	return append(append([]string{"cell"}, kinds...), "overhead")
}

// kindRow is one row of the overhead-by-kind table: the cell's label, the median of each kind,
// and the median overhead.
func kindRow(c *Cell, kinds []string) []string {
	row := []string{c.Label}
	for _, k := range kinds {
		row = append(row, kindValue(c, k))
	}
	ov := "-"
	if c.Overhead != nil {
		ov = secs(c.Overhead.Median)
	}
	return append(row, ov)
}

// deltaText is a versus comparison: the change with its interval ("~ [−3.0%, +5.1%]").
func deltaText(d verdict.Delta) string {
	if d.Absolute() {
		return fmt.Sprintf("%s [%s, %s]", d.Symbol(), signedSecs(d.DiffCI.Lo), signedSecs(d.DiffCI.Hi))
	}
	if d.Ratio == 0 && d.RatioCI == nil {
		return "?"
	}
	return fmt.Sprintf("%s %s", d.Symbol(), ciText(d.ChangeCI))
}

// versusHeader is the header of the versus table.
var versusHeader = []string{"cell", "wall", "", "overhead", ""}

// versusRow is one row of the versus table.
func versusRow(r *Report, row VersusRow) []string {
	return []string{labelOf(r, row.Cell), deltaText(row.Wall), pText(row.Wall.PAdj, row.Wall.BaseN, row.Wall.NewN),
		deltaText(row.Overhead), pText(row.Overhead.PAdj, row.Overhead.BaseN, row.Overhead.NewN)}
}

// versusGeomean is the last row of the versus table.
func versusGeomean(v *Versus) []string {
	return []string{"geomean", ratioChange(v.GeomeanWall), "", ratioChange(v.GeomeanOverhead), ""}
}

// ratioChange formats a geometric-mean ratio as a signed change ("-" for none).
func ratioChange(ratio float64) string {
	if ratio == 0 {
		return "-"
	}
	return signedPct(ratio - 1)
}

// speedupText renders a row's speed-up with its interval, or "-".
func speedupText(r ParallelismRow) string {
	if r.Speedup == 0 {
		return "-"
	}
	s := fmt.Sprintf("%.2f×", r.Speedup)
	if r.SpeedupCI != nil {
		s += fmt.Sprintf(" [%.2f, %.2f]", r.SpeedupCI.Lo, r.SpeedupCI.Hi)
	}
	return s
}

// fractionText renders the fraction of the bound achieved, or "-".
func fractionText(r ParallelismRow) string {
	if r.Fraction == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*r.Fraction)
}

// parallelismCells is the row rendered as table cells: cell, speed-up, bound, fraction, work,
// critical path, models on the critical path.
func parallelismCells(r *Report, row ParallelismRow) []string {
	return []string{labelOf(r, row.Cell), speedupText(row), fmt.Sprintf("%.2f×", row.Bound), fractionText(row),
		secs(row.WorkS), secs(row.CriticalPathS), strings.Join(row.Path, ", ")}
}

var parallelismHeader = []string{"cell", "speed-up vs sequential", "bound", "of bound", "work", "critical path", "on the critical path"}

const parallelismAlign = "lrrrrrl"

const parallelismIntro = "The bound is work / critical path of the steps' measured times (capped by the connections): the most running independent steps at once can gain. Speed-up is median sequential wall / median wall, with a %.0f%% bootstrap interval."

// strategyTable is one situation's table of the strategies section, as plain strings.
type strategyTable struct {
	Situation string
	Title     string
	Align     string
	Header    []string
	Rows      [][]string
}

// strategyTables lays out the section: one table per situation, with the columns that matter
// there.
func strategyTables(s *Strategies) []strategyTable {
	var out []strategyTable
	var sits []string
	for _, r := range s.Rows {
		if len(sits) == 0 || sits[len(sits)-1] != r.Situation {
			sits = append(sits, r.Situation)
		}
	}
	for _, sit := range sits {
		t := strategyTable{Situation: sit, Title: "with " + sit}
		switch sit {
		case SituationAlone:
			t.Title = "alone"
			t.Align, t.Header = "lrrl", []string{"strategy", "pipeline ok", "wall", "data identical"}
		case SituationViewers:
			t.Align, t.Header = "lrrrrrrl", []string{"strategy", "pipeline ok", "wall", "reads ok", "wait p50/p95", "staleness p50/p95", "partial reads", "data identical"}
		case SituationWriter:
			t.Align, t.Header = "lrrrrrl", []string{"strategy", "pipeline ok", "wall", "writes ok", "rows kept", "wait p50/p95", "data identical"}
		default:
			t.Align, t.Header = "lrrl", []string{"strategy", "pipeline ok", "wall", "data identical"}
		}
		for _, r := range s.Rows {
			if r.Situation != sit {
				continue
			}
			row := []string{r.Strategy, rateText(r.Pipeline), wallText(r)}
			switch sit {
			case SituationViewers:
				row = append(row, participantCells(r.Viewers, true)...)
			case SituationWriter:
				row = append(row, participantCells(r.Writer, false)...)
			}
			t.Rows = append(t.Rows, append(row, dataText(r)))
		}
		out = append(out, t)
	}
	return out
}

// rateText is "ok/n [lo–hi%]".
func rateText(r stats.Rate) string {
	if r.N == 0 {
		return "-"
	}
	s := fmt.Sprintf("%d/%d", r.OK, r.N)
	if r.CI != nil {
		s += fmt.Sprintf(" [%.0f–%.0f%%]", 100*r.CI.Lo, 100*r.CI.Hi)
	}
	return s
}

// wallText is the median wall with its interval and the interval's level.
func wallText(r StrategyRow) string {
	if r.Wall == nil {
		return "-"
	}
	s := secs(*r.Wall)
	if ci := r.WallCI; ci != nil {
		s += fmt.Sprintf(" [%s–%s @%.0f%%]", secs(ci.Lo), secs(ci.Hi), 100*ci.Level)
	}
	return s
}

func participantCells(p *ParticipantFigures, viewer bool) []string {
	n := 3
	if viewer {
		n = 4
	}
	if p == nil {
		cells := make([]string, n)
		for i := range cells {
			cells[i] = "-"
		}
		return cells
	}
	wait := msText(p.WaitP50) + " / " + msText(p.WaitP95)
	if p.Served.N == 0 {
		wait = "-"
	}
	if !viewer {
		return []string{rateText(p.Served), fmt.Sprintf("%d/%d", p.RowsKept, p.RowsWritten), wait}
	}
	stale, partial := "-", "-"
	if p.StalenessP50 != nil {
		stale = fmt.Sprintf("%s / %s", trimFloat(*p.StalenessP50), yearsText(*p.StalenessP95))
		partial = pct0(p.Partial)
	}
	return []string{rateText(p.Served), wait, stale, partial}
}

func trimFloat(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", v), "0"), ".")
}

func dataText(r StrategyRow) string {
	if r.DataIdentical == "no" {
		return fmt.Sprintf("no (%d trial(s) differ)", r.Mismatches)
	}
	return r.DataIdentical
}

// strategiesNote explains the figures in one paragraph.
func strategiesNote(s *Strategies, conf float64) string {
	ref := "no sequential reference cell in these runs, so data identity is unknown"
	if s.Reference != "" {
		ref = fmt.Sprintf("data is compared with the sequential reference %s (fingerprint %s)", s.Reference, s.ReferenceFingerprint)
	}
	return fmt.Sprintf("Rates show ok/n with a %.0f%% Wilson interval; wall is the median of ok trials with its "+
		"order-statistic interval at the level shown. Participants' figures count attempts made while the "+
		"pipeline ran: wait is time blocked on the queue or sleeping between retries; staleness is the newest "+
		"finished year minus the year a read saw; a partial read saw a year still being built. Rows kept are "+
		"the second writer's acknowledged rows still in the file at the end; %s.", 100*conf, ref)
}

// runIDs names a comparison's runs on one side: "r1 (shard 1/2), r1 (shard 2/2)".
func runIDs(runs []RunInfo) string {
	ids := make([]string, len(runs))
	for i, r := range runs {
		ids[i] = r.ID
		if r.Shard != "" {
			ids[i] += " (shard " + r.Shard + ")"
		}
	}
	if len(ids) == 0 {
		return "-"
	}
	return strings.Join(ids, ", ")
}

// changeCell formats one side of a cell change: "−12.3% [−15.0%, −9.1%] improved", "~ +1.2%
// [−3.0%, +5.1%]", "? +8.0% [−20%, +40%]" (too few trials), or under the absolute rule
// "+52.0ms [+40.0ms, +61.0ms] regressed".
func changeCell(d *verdict.Delta, class string) string {
	switch class {
	case verdict.ChangeOnlyBase:
		return "only in base"
	case verdict.ChangeOnlyNew:
		return "only in new"
	}
	if d == nil {
		return "-"
	}
	var s string
	switch {
	case d.Absolute():
		s = fmt.Sprintf("%s [%s, %s]", signedSecs(d.Diff), signedSecs(d.DiffCI.Lo), signedSecs(d.DiffCI.Hi))
	case d.Ratio == 0:
		return "? " + d.Note
	default:
		s = fmt.Sprintf("%s %s", signedPct(d.Change), ciText(d.ChangeCI))
	}
	switch class {
	case verdict.ChangeNone:
		return "~ " + s
	case verdict.ChangeUnknown:
		return "? " + s
	}
	return s + " " + class
}

func medians(d *verdict.Delta) string {
	if d == nil {
		return "-"
	}
	return fmt.Sprintf("%s → %s", secs(d.BaseMedian), secs(d.NewMedian))
}

func deltaP(d *verdict.Delta) string {
	if d == nil {
		return ""
	}
	return pText(d.PAdj, d.BaseN, d.NewN)
}

// compareHeader is the header of the comparison table, and compareAlign its alignment.
var compareHeader = []string{"cell", "wall", "wall change", "", "overhead", "overhead change", ""}

const compareAlign = "lrlrrlr"

// compareRow is one cell of a comparison as a table row.
func compareRow(cc verdict.CellChange) []string {
	return []string{cmp.Or(cc.Label, cc.Cell), medians(cc.Wall), changeCell(cc.Wall, cc.WallClass), deltaP(cc.Wall),
		medians(cc.Overhead), changeCell(cc.Overhead, cc.OverheadClass), deltaP(cc.Overhead)}
}

// compareGeomean is the last row of the comparison table.
func compareGeomean(c *Comparison) []string {
	return []string{"geomean", "", ratioChange(c.GeomeanWall), "", "", ratioChange(c.GeomeanOverhead), ""}
}

// releaseHeader is the header of the DuckDB releases table, and releaseAlign its alignment:
// the comparison table's columns with the releases after the cell and the data check last.
var releaseHeader = []string{"cell", "releases", "wall", "wall change", "", "overhead", "overhead change", "", "data"}

const releaseAlign = "llrlrrlrl"

// releasesIntro explains the DuckDB releases table in one sentence.
func releasesIntro(rc *ReleaseComparison, s verdict.Settings) string {
	return fmt.Sprintf("Cells that differ only in their DuckDB release, the newer against the older: change = median(new)/median(old) − 1 with its %.0f%% bootstrap CI; "+
		"slower (regressed) or faster (improved) only when p (Mann–Whitney U, Holm-adjusted) < %.2f and the whole CI is beyond ±%s (±%s where the older median is 0); "+
		"? = too few ok trials to tell. Data compares the fingerprints of the two cells, data seed by data seed.",
		100*s.Confidence, s.Alpha, pct(rc.Threshold), secs(rc.AbsThreshold))
}

// releaseRow is one pair of the DuckDB releases table.
func releaseRow(p ReleasePair) []string {
	row := compareRow(p.CellChange)
	return slices.Concat([]string{row[0], p.BaseRelease + " → " + p.NewRelease}, row[1:], []string{dataWord(p.Data)})
}

// releaseGeomean is the last row of the DuckDB releases table.
func releaseGeomean(rc *ReleaseComparison) []string {
	return []string{"geomean", "", "", ratioChange(rc.GeomeanWall), "", "", ratioChange(rc.GeomeanOverhead), "", ""}
}

// dataWord is a data status as the tables print it: a difference in capitals.
func dataWord(status string) string {
	if status == DataDiffers {
		return "DIFFERS"
	}
	return status
}

// releaseDataLine is one data set of the releases section: "identical: employees=1000
// years=2025-2027 seed=1: 1.5.6 ev12/ws34/ab12… (10 trials), 2.0.0 … (10 trials)".
func releaseDataLine(d ReleaseData) string {
	parts := make([]string, len(d.Fingerprints))
	for i, f := range d.Fingerprints {
		parts[i] = fmt.Sprintf("%s %s (%d %s)", f.Release, f.Fingerprint, f.Trials, plural(f.Trials, "trial", "trials"))
	}
	return fmt.Sprintf("%s: %s: %s", dataWord(d.Status), d.Data, strings.Join(parts, ", "))
}

// upgradeTitle is the heading of the upgrade answer.
func upgradeTitle(u *Upgrade) string {
	return fmt.Sprintf("Upgrade answer: DuckDB %s → %s (derived from the figures of this report)", u.From, u.To)
}

// upgradeMixedIntro introduces the mixed arrangements, or says there is none.
func upgradeMixedIntro(u *Upgrade) string {
	if len(u.Mixed) == 0 {
		return "Mixed arrangements: none measured (no competitor ran another release than the pipeline)."
	}
	return "Mixed arrangements (a competitor on another release than the pipeline that created the file):"
}
