package reports

import (
	"cmp"
	"fmt"
	"io"
	"strings"
)

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
func changeCell(d *Delta, class string) string {
	switch class {
	case ChangeOnlyBase:
		return "only in base"
	case ChangeOnlyNew:
		return "only in new"
	}
	if d == nil {
		return "-"
	}
	var s string
	switch {
	case d.absolute():
		s = fmt.Sprintf("%s [%s, %s]", signedSecs(d.Diff), signedSecs(d.DiffCI.Lo), signedSecs(d.DiffCI.Hi))
	case d.Ratio == 0:
		return "? " + d.Note
	default:
		s = fmt.Sprintf("%s %s", signedPct(d.Change), ciText(d.ChangeCI))
	}
	switch class {
	case ChangeNone:
		return "~ " + s
	case ChangeUnknown:
		return "? " + s
	}
	return s + " " + class
}

func medians(d *Delta) string {
	if d == nil {
		return "-"
	}
	return fmt.Sprintf("%s → %s", secs(d.BaseMedian), secs(d.NewMedian))
}

func deltaP(d *Delta) string {
	if d == nil {
		return ""
	}
	return pText(d.PAdj, d.BaseN, d.NewN)
}

// WriteCompareText writes a comparison as a terminal table: per cell the medians on each side,
// the change with its bootstrap interval and class, and the Holm-adjusted U-test p-value, then a
// geomean row and the verdict.
func WriteCompareText(w io.Writer, c *Comparison) error {
	ew := &errWriter{w: w}
	ew.printf("lockbench compare: base %s vs new %s\n", runIDs(c.Base), runIDs(c.New))
	if c.Constant != "" {
		ew.printf("every cell: %s\n", c.Constant)
	}
	ew.printf("change = median(new)/median(base) − 1 with %.0f%% bootstrap CI; regressed/improved only when p (Holm) < %.2f and the whole CI is beyond ±%s (±%s where the baseline median is 0); ? = too few ok trials to tell\n\n",
		100*c.Settings.Confidence, c.Settings.Alpha, pct(c.Threshold), secs(c.AbsThreshold))
	t := newTable(ew, "lrlrrlr")
	t.Header("cell", "wall", "wall change", "", "overhead", "overhead change", "")
	for _, cc := range c.Cells {
		if err := t.Append([]string{cmp.Or(cc.Label, cc.Cell), medians(cc.Wall), changeCell(cc.Wall, cc.WallClass), deltaP(cc.Wall),
			medians(cc.Overhead), changeCell(cc.Overhead, cc.OverheadClass), deltaP(cc.Overhead)}); err != nil {
			return fmt.Errorf("text comparison: %w", err)
		}
	}
	if err := t.Append([]string{"geomean", "", ratioChange(c.GeomeanWall), "", "", ratioChange(c.GeomeanOverhead), ""}); err != nil {
		return fmt.Errorf("text comparison: %w", err)
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("text comparison: %w", err)
	}
	ew.printf("\nverdict: %s (exit %d): %s\n", verdictWord(c.Verdict), c.Verdict.ExitCode(), c.Reason)
	if ew.err != nil {
		return fmt.Errorf("text comparison: %w", ew.err)
	}
	return nil
}

// WriteCompareMarkdown writes a comparison as a Markdown table with a verdict heading.
func WriteCompareMarkdown(w io.Writer, c *Comparison) error {
	ew := &errWriter{w: w}
	ew.printf("## lockbench compare: %s\n\n", verdictBadge(c.Verdict))
	ew.printf("%s\n\n", mdEscape(c.Reason))
	ew.printf("Base %s vs new %s. Change = median(new)/median(base) − 1 with its %.0f%% bootstrap CI; a cell regressed or improved only when the Holm-adjusted Mann–Whitney p < %.2f and the whole CI lies beyond ±%s (±%s where the baseline median is 0); ? marks too few ok trials to tell.",
		mdEscape(runIDs(c.Base)), mdEscape(runIDs(c.New)), 100*c.Settings.Confidence, c.Settings.Alpha, pct(c.Threshold), secs(c.AbsThreshold))
	if c.Constant != "" {
		ew.printf(" Every cell: `%s`.", c.Constant)
	}
	ew.printf("\n\n")
	mdHeader(ew, "lrlrrlr", "cell", "wall", "wall change", "", "overhead", "overhead change", "")
	for _, cc := range c.Cells {
		mdRow(ew, cmp.Or(cc.Label, cc.Cell), medians(cc.Wall), changeCell(cc.Wall, cc.WallClass), deltaP(cc.Wall),
			medians(cc.Overhead), changeCell(cc.Overhead, cc.OverheadClass), deltaP(cc.Overhead))
	}
	mdRow(ew, "geomean", "", ratioChange(c.GeomeanWall), "", "", ratioChange(c.GeomeanOverhead), "")
	if ew.err != nil {
		return fmt.Errorf("markdown comparison: %w", ew.err)
	}
	return nil
}
