package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/criteria"
	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/outcome"
	"lockbench/stats"
	"lockbench/verdict"
	"lockbench/vocab"
)

// TestShardOrderDoesNotMatter merges the golden shards in both orders, and with each shard's
// trials reversed, and gets identical intervals, verdicts and renderings.
func TestShardOrderDoesNotMatter(t *testing.T) {
	runs := goldenRuns(t)
	reversed := []history.Run{runs[1], runs[0]}
	shuffled := make([]history.Run, len(runs))
	for i, r := range reversed {
		r.Trials = slices.Clone(r.Trials)
		slices.Reverse(r.Trials)
		shuffled[i] = r
	}
	a, err := Build(runs, goldenOptions())
	require.NoError(t, err)
	for name, other := range map[string][]history.Run{"shards reversed": reversed, "shards and trials reversed": shuffled} {
		t.Run(name, func(t *testing.T) {
			b, err := Build(other, goldenOptions())
			require.NoError(t, err)
			require.Len(t, b.Targets, len(a.Targets))
			for i := range a.Targets {
				assert.Equal(t, a.Targets[i].Verdict, b.Targets[i].Verdict, a.Targets[i].Name)
				assert.Equal(t, a.Targets[i].AchievedCI, b.Targets[i].AchievedCI, a.Targets[i].Name)
				assert.Equal(t, a.Targets[i].Achieved, b.Targets[i].Achieved, a.Targets[i].Name)
			}
			assert.Equal(t, a.Versus.Rows, b.Versus.Rows)
			assert.Equal(t, a.Verdict, b.Verdict)
			if name == "shards reversed" {
				// Same trials in the same places: the whole report renders the same.
				assert.Equal(t, string(render(t, func(w io.Writer) error { return WriteText(w, a) })),
					string(render(t, func(w io.Writer) error { return WriteText(w, b) })))
			}
			ca := Compare(runs, compareNewRuns(t), 0.05)
			cb := Compare(other, compareNewRuns(t), 0.05)
			byKey := func(cs []verdict.CellChange) []verdict.CellChange {
				return slices.SortedFunc(slices.Values(cs), func(a, b verdict.CellChange) int { return strings.Compare(a.Cell, b.Cell) })
			}
			assert.Equal(t, byKey(ca.Cells), byKey(cb.Cells))
			assert.Equal(t, ca.Verdict, cb.Verdict)
		})
	}
	// The bootstrap itself depends only on the multisets.
	base := []float64{10, 11, 12, 10.5, 11.5, 10.2, 11.8, 10.9}
	cand := []float64{3, 3.2, 3.1, 2.9, 3.3, 3.05}
	_, ci1, _ := stats.BootstrapRatio(base, cand, 500, 0.95)
	rb, rc := slices.Clone(base), slices.Clone(cand)
	slices.Reverse(rb)
	slices.Reverse(rc)
	_, ci2, _ := stats.BootstrapRatio(rb, rc, 500, 0.95)
	assert.Equal(t, ci1, ci2)
}

// TestCompareFewTrialsIsUnknown compares runs with 1 to 5 trials per side: nothing can be
// significant, so the comparison is unknown (exit 3) and says why, never pass.
func TestCompareFewTrialsIsUnknown(t *testing.T) {
	for n := 1; n <= 5; n++ {
		runs := twoCellRun(n, n, 10, 3, 0.05)
		c := Compare(runs, runs, 0.05)
		assert.Equal(t, verdict.Unknown, c.Verdict, "n=%d", n)
		assert.Equal(t, 3, int(c.Verdict.ExitCode()))
		assert.Contains(t, c.Reason, "too few ok trials to tell a change from noise (need >= 6 per side)", "n=%d", n)
		assert.Contains(t, c.Reason, fmt.Sprintf("(n=%d+%d)", n, n))
		for _, cc := range c.Cells {
			assert.Equal(t, verdict.ChangeUnknown, cc.WallClass, "n=%d %s", n, cc.Cell)
		}
		var b bytes.Buffer
		require.NoError(t, WriteCompareText(&b, c))
		assert.Contains(t, b.String(), "verdict: UNKNOWN (exit 3): 2 cell(s) have too few ok trials")
	}
	six := twoCellRun(6, 6, 10, 3, 0.05)
	assert.Equal(t, verdict.Pass, Compare(six, six, 0.05).Verdict, "6 per side can be called unchanged")
	// A regression is a failure however few the trials: fail wins over unknown.
	slow := twoCellRun(5, 5, 20, 6, 0.02)
	fast := twoCellRun(5, 5, 10, 3, 0.02)
	assert.Equal(t, verdict.Fail, Compare(fast, slow, 0.05).Verdict)
}

// TestZeroBaselineCanRegress compares a cell whose baseline overhead is exactly 0 with one
// that has 50 ms: there is no ratio, and the absolute rule flags the regression.
func TestZeroBaselineCanRegress(t *testing.T) {
	mk := func(id string, overhead float64) []history.Run {
		var ts []history.Trial
		for i := range 12 {
			v := overhead * (1 + 0.02*float64(i%5))
			ts = append(ts, history.Trial{Cell: "mode=threaded", Trial: i + 1, Outcome: outcome.Outcome{Kind: vocab.OK},
				WallS: 1 + v, SQLS: 1, OverheadS: v, Params: map[string]string{"mode": "threaded"}})
		}
		return []history.Run{{Manifest: history.Manifest{ID: id}, Trials: ts}}
	}
	c := Compare(mk("base", 0), mk("new", 0.050), 0.05)
	require.Len(t, c.Cells, 1)
	o := c.Cells[0].Overhead
	require.NotNil(t, o.DiffCI, "the absolute rule applies")
	assert.Nil(t, o.RatioCI)
	assert.InDelta(t, 0.0515, o.Diff, 1e-9)
	assert.Greater(t, o.DiffCI.Lo, verdict.AbsoluteThreshold)
	assert.Equal(t, verdict.ChangeRegressed, c.Cells[0].OverheadClass, o.Note)
	assert.Equal(t, verdict.Fail, c.Verdict)
	var b bytes.Buffer
	require.NoError(t, WriteCompareText(&b, c))
	assert.Contains(t, b.String(), "0s → 51.5ms │ +51.5ms [+")
	assert.Contains(t, b.String(), "regressed")
	// Zero on both sides is no change.
	same := Compare(mk("base", 0), mk("new", 0), 0.05)
	assert.Equal(t, verdict.ChangeNone, same.Cells[0].OverheadClass)
	assert.Equal(t, verdict.Pass, same.Verdict)
	// A change within ±1 ms of a zero baseline is noise.
	tiny := Compare(mk("base", 0), mk("new", 0.0004), 0.05)
	assert.Equal(t, verdict.ChangeNone, tiny.Cells[0].OverheadClass)
}

// writeHistory writes a run directory whose history holds lines verbatim.
func writeHistory(t *testing.T, lines ...string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, history.WriteManifest(dir, history.Manifest{SchemaVersion: 1, ID: "r"}))
	require.NoError(t, os.WriteFile(filepath.Join(dir, history.HistoryFile), []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	return dir
}

func line(outcome, timings string) string {
	return fmt.Sprintf(`{"cell":"mode=threaded","trial":3,"warmup":false,"outcome":{"kind":%q},%s"overhead_by_kind":{},"started_at":"2026-01-01T00:00:00Z"}`, outcome, timings)
}

// TestLoadRefusesCorruptTimings checks that an ok trial without a timing, or with a timing no
// trial can measure, is refused naming the file and line, instead of entering the statistics.
func TestLoadRefusesCorruptTimings(t *testing.T) {
	good := line("ok", `"wall_s":1.5,"sql_s":1,"overhead_s":0.5,`)
	tests := []struct {
		name string
		bad  string
		want string
	}{
		{"missing wall", line("ok", `"sql_s":1,"overhead_s":0.5,`), "an ok trial without wall_s (missing or null)"},
		{"null overhead", line("ok", `"wall_s":1.5,"sql_s":1,"overhead_s":null,`), "an ok trial without overhead_s (missing or null)"},
		{"negative wall", line("ok", `"wall_s":-1,"sql_s":1,"overhead_s":0.5,`), "wall_s -1 is negative"},
		{"absurd wall", line("ok", `"wall_s":1e308,"sql_s":1,"overhead_s":0.5,`), "wall_s 1e+308 is more than a year"},
		{"absurd kind", `{"cell":"mode=threaded","trial":3,"outcome":{"kind":"ok"},"wall_s":1,"sql_s":1,"overhead_s":0,"overhead_by_kind":{"spawn":1e300}}`, "overhead_by_kind.spawn 1e+300 is more than a year"},
		{"absurd failed trial", line("timeout", `"wall_s":1e300,"sql_s":0,"overhead_s":0,`), "wall_s 1e+300 is more than a year"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeHistory(t, good, "", good, tc.bad, good)
			_, err := LoadReport([]string{dir}, "")
			require.Error(t, err)
			assert.True(t, errors.Is(err, history.ErrCorrupt), "%v", err)
			assert.Equal(t, exitcode.Usage, exitcode.Of(err))
			assert.Contains(t, err.Error(), filepath.Join(dir, history.HistoryFile)+":4: corrupt trial mode=threaded #3: "+tc.want)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
	// A failed trial may lack timings; a torn last line is ignored as history ignores it.
	dir := writeHistory(t, good, line("lock-conflict", ""), `{"cell":"mode=threaded","trial":9,"outco`)
	f, err := os.OpenFile(filepath.Join(dir, history.HistoryFile), os.O_RDWR, 0)
	require.NoError(t, err)
	st, _ := f.Stat()
	require.NoError(t, f.Truncate(st.Size()-1)) // no newline after the torn line
	f.Close()
	r, err := LoadReport([]string{dir}, "")
	require.NoError(t, err)
	assert.Equal(t, 2, r.Cell("mode=threaded").Trials)
}

// TestBuildRefusesNonFiniteValues checks that runs built in memory with values no trial can
// measure give an error, and that extreme but valid values still encode as JSON.
func TestBuildRefusesNonFiniteValues(t *testing.T) {
	for _, v := range []float64{math.NaN(), math.Inf(1), -5, 1e12} {
		runs := twoCellRun(12, 12, 10, 3, 0.05)
		runs[0].Trials[3].WallS = v
		_, err := Build(runs, Options{})
		require.Error(t, err, "%v", v)
		assert.True(t, errors.Is(err, history.ErrCorrupt))
		assert.Contains(t, err.Error(), "mode=process-per-model #4")
	}
	// Denormal and huge-but-bounded values: every figure stays finite and encodes.
	runs := twoCellRun(12, 12, 10, 3, 0.05)
	for i := range runs[0].Trials {
		runs[0].Trials[i].OverheadS = 5e-324 * float64(i%2)
		runs[0].Trials[i].WallS = history.MaxSeconds * float64(i%3) / 2
	}
	r, err := Build(runs, Options{Targets: []criteria.ResolvedTarget{target(0.5)}, VersusAxis: "mode", VersusBase: "process-per-model"})
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, WriteJSON(&b, r))
	assert.True(t, json.Valid(b.Bytes()))
	require.NoError(t, WriteCompareJSON(&b, Compare(runs, runs, 0.05)))
}

// TestFewTrialsFootnote checks that a median without an interval shows the footnote that says
// why instead of benchstat's "± ∞", in text and Markdown.
func TestFewTrialsFootnote(t *testing.T) {
	r, err := Build(twoCellRun(4, 12, 10, 3, 0.05), Options{})
	require.NoError(t, err)
	for _, f := range []func(io.Writer, *Report) error{WriteText, WriteMarkdown, WriteHTML} {
		var b bytes.Buffer
		require.NoError(t, f(&b, r))
		s := b.String()
		assert.NotContains(t, s, "∞")
		assert.Contains(t, s, "no confidence interval for the medians")
		assert.Contains(t, s, "have 4 (run 2 more)")
		assert.Regexp(t, `11\.\ds \[1\]`, s, "the median carries the footnote's number")
	}
}

// TestRepeatedMessagesFold checks that trials that differ from an expectation the same way
// fold into one line with a count, and that lock messages differing only in the holder's PID
// fold into one with the PIDs listed; JSON keeps one complete line per trial.
func TestRepeatedMessagesFold(t *testing.T) {
	var trials []history.Trial
	key := "mode=parallel-processes/threads=4/employees=1000"
	for i := range 4 {
		oc := outcome.Outcome{Kind: vocab.Timeout, Message: "trial exceeded 30s"}
		if i == 3 {
			oc = outcome.Outcome{Kind: vocab.LockConflict, HolderPID: 100 + i,
				Message: fmt.Sprintf(`IO Error: Could not set lock on file "a.db": Conflicting lock is held in /bin/x (PID %d)`, 100+i)}
		}
		trials = append(trials, history.Trial{Cell: key, Trial: i + 1, Expected: string(vocab.LockConflict), Outcome: oc, Params: vocab.ParseCellKey(key)})
	}
	for i := range 3 {
		trials = append(trials, history.Trial{Cell: "mode=threaded/threads=4/employees=1000", Trial: i + 1, Expected: string(vocab.LockConflict),
			Outcome: outcome.Outcome{Kind: vocab.LockConflict, HolderPID: 200 + i,
				Message: fmt.Sprintf(`IO Error: Could not set lock on file "a.db": Conflicting lock is held in /bin/x (PID %d)`, 200+i)},
			Params: vocab.ParseCellKey("mode=threaded/threads=4/employees=1000")})
	}
	r, err := Build([]history.Run{{Manifest: history.Manifest{ID: "r"}, Trials: trials}}, Options{})
	require.NoError(t, err)
	assert.Equal(t, "threads=4 employees=1000", r.Constant)
	e := r.Expectations[0]
	assert.Len(t, e.Mismatches, 3, "JSON keeps every trial")
	assert.Contains(t, e.Mismatches[0], key, "JSON keeps complete keys")
	assert.Equal(t, []string{"mode=parallel-processes: got timeout, want lock-conflict in 3 trials (#1, #2, #3 of run r)"}, foldedMismatches(r, e))
	assert.Equal(t, []string{`IO Error: Could not set lock on file "a.db": Conflicting lock is held in /bin/x (PID …) (×3; PIDs 200, 201, 202)`}, r.Expectations[1].Messages)
	var b bytes.Buffer
	require.NoError(t, WriteMarkdown(&b, r))
	assert.Contains(t, b.String(), "in 3 trials (#1, #2, #3 of run r)")
	assert.Contains(t, b.String(), "| ❌ fail | cell mode=parallel-processes |")
	assert.Contains(t, b.String(), "Every cell: `threads=4 employees=1000`.")
}

// TestTargetsFigureStaysOnScale draws targets whose reductions are far below −100% (a much
// slower candidate): the axis stops at −100% with a handful of ticks, and every mark stays on it.
func TestTargetsFigureStaysOnScale(t *testing.T) {
	fig := string(targetsFigure([]verdict.TargetResult{
		{ResolvedTarget: criteria.ResolvedTarget{Target: criteria.Target{Name: "slow", Metric: vocab.Wall, Reduction: 0.65}}, Verdict: verdict.Fail, Achieved: -5000, AchievedCI: &stats.Interval{Lo: -9000, Hi: -10, Level: 0.95}},
		{ResolvedTarget: criteria.ResolvedTarget{Target: criteria.Target{Name: "fine", Metric: vocab.Wall, Reduction: -0.1}}, Verdict: verdict.Pass, Achieved: 0.2, AchievedCI: &stats.Interval{Lo: 0.1, Hi: 0.3, Level: 0.95}},
	}))
	assert.Equal(t, 2*5, strings.Count(fig, `class="tick"`), "ticks at -100%, -50%, 0%, 50%, 100% on each row")
	assert.Contains(t, fig, ">-500000.0%</div>", "the label keeps the exact value")
	for _, m := range regexp.MustCompile(`left:(-?[\d.]+)%`).FindAllStringSubmatch(fig, -1) {
		v, err := strconv.ParseFloat(m[1], 64)
		require.NoError(t, err)
		assert.True(t, v >= 0 && v <= 100, "mark at %v%%", v)
	}
}

// TestIdenticalExpectationsFold checks that five or more implicit expectations that say the
// same thing fold into one line naming their cells, in text, Markdown and HTML.
func TestIdenticalExpectationsFold(t *testing.T) {
	var trials []history.Trial
	for i := range 7 {
		key := fmt.Sprintf("mode=threaded/seed=%d", i)
		trials = append(trials, history.Trial{Cell: key, Trial: 1, Warmup: true, Outcome: outcome.Outcome{Kind: vocab.OK}, Params: vocab.ParseCellKey(key)})
	}
	r, err := Build([]history.Run{{Manifest: history.Manifest{ID: "r"}, Trials: trials}}, Options{})
	require.NoError(t, err)
	require.Len(t, r.Expectations, 7, "JSON keeps one expectation per cell")
	lines := expLines(r, r.Expectations)
	require.Len(t, lines, 1)
	assert.Equal(t, "7 cells", lines[0].Name)
	assert.Equal(t, "seed=0; seed=1; seed=2; seed=3; seed=4; and 2 more", cellList(lines[0].Cells))
	for _, f := range []func(io.Writer, *Report) error{WriteText, WriteMarkdown, WriteHTML} {
		var b bytes.Buffer
		require.NoError(t, f(&b, r))
		assert.Equal(t, 1, strings.Count(b.String(), "no trials were recorded"), b.String())
		assert.Contains(t, b.String(), "7 cells")
	}
}
