package reports

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/criteria"
	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/outcome"
	"lockbench/verdict"
	"lockbench/vocab"
)

// simpleTrials returns n ok trials of cell key with the given overhead values drawn around
// center (spread is the relative half-width of a uniform jitter).
func simpleTrials(key string, params map[string]string, n int, center, spread float64, seed uint64) []history.Trial {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []history.Trial
	for i := range n {
		v := center * (1 + spread*(2*rng.Float64()-1))
		out = append(out, history.Trial{Cell: key, Trial: i + 1, Outcome: outcome.Outcome{Kind: vocab.OK},
			WallS: v + 1, SQLS: 1, OverheadS: v, Params: params})
	}
	return out
}

func twoCellRun(nBase, nCand int, base, cand, spread float64) []history.Run {
	bp := map[string]string{"mode": "process-per-model"}
	cp := map[string]string{"mode": "threaded"}
	trials := append(simpleTrials("mode=process-per-model", bp, nBase, base, spread, 1),
		simpleTrials("mode=threaded", cp, nCand, cand, spread, 2)...)
	return []history.Run{{Manifest: history.Manifest{ID: "t"}, Trials: trials}}
}

func target(reduction float64) criteria.ResolvedTarget {
	return criteria.ResolvedTarget{Target: criteria.Target{Name: "t", Metric: vocab.Overhead, Baseline: criteria.Selector{"mode": "process-per-model"},
		Candidate: criteria.Selector{"mode": "threaded"}, Reduction: reduction}}
}

func TestTargetVerdicts(t *testing.T) {
	tests := []struct {
		name      string
		runs      []history.Run
		target    criteria.ResolvedTarget
		want      verdict.Verdict
		reasonHas string
	}{
		{"pass: whole interval above", twoCellRun(12, 12, 10, 3, 0.05), target(0.65), verdict.Pass, "at or above"},
		{"fail: whole interval below", twoCellRun(12, 12, 10, 3, 0.05), target(0.75), verdict.Fail, "below the target"},
		{"unknown: interval straddles", twoCellRun(12, 12, 10, 3, 0.05), target(0.70), verdict.Unknown, "straddles"},
		{"unknown: too few baseline trials", twoCellRun(9, 12, 10, 3, 0.05), target(0.65), verdict.Unknown, "too few"},
		{"unknown: too few candidate trials", twoCellRun(12, 9, 10, 3, 0.05), target(0.65), verdict.Unknown, "too few"},
		{"pass at exactly the floor", twoCellRun(10, 10, 10, 3, 0.05), target(0.65), verdict.Pass, ""},
		{"unknown: no candidate cell", twoCellRun(12, 12, 10, 3, 0.05),
			criteria.ResolvedTarget{Target: criteria.Target{Name: "t", Metric: vocab.Overhead, Baseline: criteria.Selector{"mode": "process-per-model"}, Candidate: criteria.Selector{"mode": "sequential"}, Reduction: 0.5}},
			verdict.Unknown, "no cell matches the candidate"},
		{"unknown: zero baseline", twoCellRun(12, 12, 0, 3, 0.05), target(0.65), verdict.Unknown, "zero"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Build(tc.runs, Options{Targets: []criteria.ResolvedTarget{tc.target}})
			require.NoError(t, err)
			require.Len(t, r.Targets, 1)
			tr := r.Targets[0]
			assert.Equal(t, tc.want, tr.Verdict, "%s; %s", tr.Reason, tr.Evidence())
			assert.Contains(t, tr.Reason, tc.reasonHas)
			if tr.AchievedCI != nil {
				assert.LessOrEqual(t, tr.AchievedCI.Lo, tr.Achieved)
				assert.GreaterOrEqual(t, tr.AchievedCI.Hi, tr.Achieved)
			}
			assert.Contains(t, tr.Evidence(), fmt.Sprintf("n=%d", tr.BaselineN))
			assert.Equal(t, tc.want, r.Verdict, "the run verdict follows the only target")
		})
	}
}

func TestTargetPoolsCells(t *testing.T) {
	runs := twoCellRun(6, 12, 10, 3, 0.05)
	more := simpleTrials("mode=process-per-model/threads=2", map[string]string{"mode": "process-per-model", "threads": "2"}, 6, 10, 0.05, 9)
	runs[0].Trials = append(runs[0].Trials, more...)
	r, err := Build(runs, Options{Targets: []criteria.ResolvedTarget{target(0.65)}})
	require.NoError(t, err)
	tr := r.Targets[0]
	assert.Equal(t, 12, tr.BaselineN)
	assert.Equal(t, []string{"mode=process-per-model", "mode=process-per-model/threads=2"}, tr.BaselineCells)
	assert.Equal(t, verdict.Pass, tr.Verdict)
}

func TestBuildRejectsBadTarget(t *testing.T) {
	bad := func(t criteria.Target) Options { return Options{Targets: []criteria.ResolvedTarget{{Target: t}}} }
	_, err := Build(nil, bad(criteria.Target{Name: "x", Metric: "latency", Baseline: criteria.Selector{"a": "b"}, Candidate: criteria.Selector{"a": "c"}}))
	assert.ErrorContains(t, err, "metric")
	_, err = Build(nil, bad(criteria.Target{Name: "x", Metric: "wall", Baseline: criteria.Selector{"a": "b"}, Candidate: criteria.Selector{"a": "c"}, Reduction: 65}))
	assert.ErrorContains(t, err, "fraction")
}

func TestExpectations(t *testing.T) {
	lock := outcome.Outcome{Kind: vocab.LockConflict, HolderPID: 7}
	ok := outcome.Outcome{Kind: vocab.OK}
	mk := func(cell string, warm bool, expected string, oc outcome.Outcome) history.Trial {
		return history.Trial{Cell: cell, Warmup: warm, Expected: expected, Outcome: oc, Params: vocab.ParseCellKey(cell)}
	}
	tests := []struct {
		name   string
		trials []history.Trial
		exp    *criteria.Expectation
		want   verdict.Verdict
	}{
		{"implicit ok", []history.Trial{mk("c=a", false, "", ok), mk("c=a", false, "", ok)}, nil, verdict.Pass},
		{"implicit lock-conflict", []history.Trial{mk("c=a", false, "lock-conflict", lock)}, nil, verdict.Pass},
		{"implicit differs", []history.Trial{mk("c=a", false, "lock-conflict", ok)}, nil, verdict.Fail},
		{"only warmups", []history.Trial{mk("c=a", true, "", ok)}, nil, verdict.Unknown},
		{"warmup failures do not count", []history.Trial{mk("c=a", true, "", lock), mk("c=a", false, "", ok)}, nil, verdict.Pass},
		{"mismatch always fails", []history.Trial{mk("c=a", false, "mismatch", outcome.Outcome{Kind: vocab.Mismatch})}, nil, verdict.Fail},
		{"explicit pass", []history.Trial{mk("c=a", false, "lock-conflict", lock)}, &criteria.Expectation{Cells: criteria.Selector{"c": "a"}, Outcome: "lock-conflict"}, verdict.Pass},
		{"explicit fail", []history.Trial{mk("c=a", false, "", ok)}, &criteria.Expectation{Cells: criteria.Selector{"c": "a"}, Outcome: "lock-conflict"}, verdict.Fail},
		{"explicit no match", []history.Trial{mk("c=a", false, "", ok)}, &criteria.Expectation{Cells: criteria.Selector{"c": "b"}, Outcome: "ok"}, verdict.Unknown},
		{"explicit by key", []history.Trial{mk("c=a", false, "", ok)}, &criteria.Expectation{Cells: criteria.Selector{"cell": "c=a"}}, verdict.Pass},
		{"either of two outcomes", []history.Trial{mk("c=a", false, "ok|lock-conflict", lock), mk("c=a", false, "ok|lock-conflict", ok)}, nil, verdict.Pass},
		{"lock held by the injected competitor", []history.Trial{mk("c=a", false, "lock-conflict",
			outcome.Outcome{Kind: vocab.LockConflict, HolderPID: 7, HolderRole: "competitor"})}, nil, verdict.Pass},
		{"lock held by a stray process", []history.Trial{mk("c=a", false, "lock-conflict",
			outcome.Outcome{Kind: vocab.LockConflict, HolderPID: 7, HolderRole: "other"})}, nil, verdict.Fail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var opts Options
			if tc.exp != nil {
				opts.Expectations = []criteria.Expectation{*tc.exp}
			}
			r, err := Build([]history.Run{{Trials: tc.trials}}, opts)
			require.NoError(t, err)
			er := r.Expectations[len(r.Expectations)-1]
			assert.Equal(t, tc.want, er.Verdict, er.Reason)
			if tc.want == verdict.Fail {
				assert.NotEmpty(t, er.Mismatches)
			}
		})
	}
}

func TestGoldenReportModel(t *testing.T) {
	r, err := Build(goldenRuns(t), goldenOptions())
	require.NoError(t, err)
	require.Len(t, r.Cells, 5)
	on := r.Cell(specThreadedOn.key())
	require.NotNil(t, on)
	assert.Equal(t, 12, on.Trials, "the threaded-on cell is pooled across both shards")
	assert.Equal(t, 1, on.Warmups)
	assert.Equal(t, "mode=threaded threads=4 coordination=on competitor=none", on.Label)

	want := []verdict.Verdict{verdict.Pass, verdict.Fail, verdict.Unknown, verdict.Unknown}
	for i, tr := range r.Targets {
		assert.Equal(t, want[i], tr.Verdict, "%s: %s", tr.Name, tr.Reason)
	}
	assert.Equal(t, verdict.Fail, r.Verdict)

	codes := map[string]bool{}
	for _, w := range r.AllWarnings() {
		codes[w.Code] = true
	}
	for _, c := range []string{"slow-first-trial", "outliers", "no-interval"} {
		assert.True(t, codes[c], "warning %s", c)
	}
	ppm := r.Cell(specPPM.key())
	var kinds []string
	for _, k := range ppm.OverheadByKind {
		kinds = append(kinds, k.Kind)
	}
	assert.Equal(t, []string{"spawn", "open", "close", "validate", "idle"}, kinds)
	require.NotNil(t, r.Versus)
	require.Len(t, r.Versus.Rows, 1)
	assert.True(t, r.Versus.Rows[0].Overhead.Significant)
}

// TestLoadReport reads the golden shards from disk and judges the targets their manifest
// records: the report is the one built from the same runs in memory. Paths that are not run
// directories, and a run without a history, are bad input.
func TestLoadReport(t *testing.T) {
	runs := goldenRuns(t)
	opts := goldenOptions()
	var dirs []string
	for i, run := range runs {
		run.Manifest.Targets = opts.Targets
		dir := filepath.Join(t.TempDir(), fmt.Sprint(i))
		require.NoError(t, writeRun(dir, run))
		dirs = append(dirs, dir)
	}
	loaded, err := LoadReport(dirs, "coordination=off")
	require.NoError(t, err)
	assert.Equal(t, 12, loaded.Cell(specThreadedOn.key()).Trials)
	opts.Expectations = nil
	for i := range runs {
		runs[i].Dir = dirs[i]
	}
	want, err := Build(runs, opts)
	require.NoError(t, err)
	assert.Equal(t, string(render(t, func(w io.Writer) error { return WriteText(w, want) })),
		string(render(t, func(w io.Writer) error { return WriteText(w, loaded) })))

	for _, tc := range []struct {
		name string
		dirs []string
		want string
	}{
		{"missing", []string{filepath.Join(t.TempDir(), "missing")}, "no such file or directory"},
		{"not a run", []string{t.TempDir()}, "is not a run directory: it has no manifest.json"},
		{"none", nil, "no run directory given"},
	} {
		_, err := LoadReport(tc.dirs, "")
		require.Error(t, err, tc.name)
		assert.Contains(t, err.Error(), tc.want, tc.name)
		assert.Equal(t, exitcode.Usage, exitcode.Of(err), tc.name)
	}
	_, err = LoadReport(dirs, "coordination")
	assert.Equal(t, exitcode.Usage, exitcode.Of(err))
	assert.ErrorContains(t, err, "--versus")

	// A run directory whose run recorded no trial: bad input, rather than an empty report that
	// passes.
	bare := t.TempDir()
	require.NoError(t, history.WriteManifest(bare, history.Manifest{SchemaVersion: history.SchemaVersion, ID: "bare"}))
	_, err = LoadReport([]string{bare}, "")
	assert.ErrorContains(t, err, "has no history.ndjson: the run recorded no trial")
	assert.Equal(t, exitcode.Usage, exitcode.Of(err))
}

// TestTornHistoryIsReported reads a history that ends in a partial line: the line is ignored,
// as it always was, and the report now says so in a warning (it said nothing before the one
// reader of run directories).
func TestTornHistoryIsReported(t *testing.T) {
	runs := twoCellRun(12, 12, 10, 3, 0.05)
	dir := t.TempDir()
	require.NoError(t, writeRun(dir, runs[0]))
	f, err := os.OpenFile(filepath.Join(dir, history.HistoryFile), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"cell":"mode=threaded","trial":13,"outco`)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	r, err := LoadReport([]string{dir}, "")
	require.NoError(t, err)
	assert.Equal(t, 12, r.Cell("mode=threaded").Trials)
	require.Len(t, r.Warnings, 1)
	assert.Equal(t, "history", r.Warnings[0].Code)
	assert.Contains(t, r.Warnings[0].Message, "ends in a partial line (a crash mid-write); it was ignored")
	assert.Contains(t, string(render(t, func(w io.Writer) error { return WriteText(w, r) })), "ends in a partial line")
}

func writeRun(dir string, run history.Run) error {
	if err := history.WriteManifest(ensureDir(dir), run.Manifest); err != nil {
		return err
	}
	a, err := history.OpenAppender(dir)
	if err != nil {
		return err
	}
	for _, t := range run.Trials {
		if err := a.Append(t); err != nil {
			return err
		}
	}
	return a.Close()
}

func TestCompare(t *testing.T) {
	base := goldenRuns(t)
	cmpn := Compare(base, compareNewRuns(t), 0.05)
	classes := map[string][2]string{}
	for _, c := range cmpn.Cells {
		classes[c.Cell] = [2]string{c.WallClass, c.OverheadClass}
	}
	assert.Equal(t, verdict.ChangeNone, classes[specPPM.key()][0], "same distribution")
	assert.Equal(t, verdict.ChangeImproved, classes[specThreadedOn.key()][0])
	assert.Equal(t, verdict.ChangeRegressed, classes[specThreadedOff.key()][1])
	assert.Equal(t, verdict.ChangeOnlyBase, classes[specParallel.key()][0])
	assert.Equal(t, verdict.ChangeOnlyNew, classes["mode=sequential/threads=1/coordination=on/employees=1000/years=3/competitor=none"][0])
	assert.Equal(t, verdict.Fail, cmpn.Verdict)
	assert.Greater(t, cmpn.GeomeanWall, 0.0)
	for _, c := range cmpn.Cells {
		if c.Wall != nil && c.Wall.PAdj != nil {
			assert.GreaterOrEqual(t, *c.Wall.PAdj, *c.Wall.P, "Holm never lowers a p-value")
		}
	}
	self := Compare(base, base, 0.05)
	assert.Equal(t, verdict.Unknown, self.Verdict, "the holder-ro cell has 4 trials a side: too few to call it unchanged")
	assert.Contains(t, self.Reason, "1 cell(s) have too few ok trials to tell a change from noise (need >= 6 per side): mode=threaded threads=4 coordination=on competitor=holder-ro (n=4+4)")
	enough := twoCellRun(12, 12, 10, 3, 0.05)
	assert.Equal(t, verdict.Pass, Compare(enough, enough, 0.05).Verdict)
	assert.Equal(t, verdict.Unknown, Compare(nil, nil, 0.05).Verdict)
	assert.InDelta(t, 1, self.GeomeanWall, 1e-12)
	assert.False(t, math.IsNaN(self.GeomeanOverhead))
}
