package trend

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/verdict"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./reports/trend -update")
	assert.Equal(t, string(want), got)
}

func only(t *testing.T, tr *Trend) *Series {
	t.Helper()
	require.Len(t, tr.Series, 1)
	return tr.Series[0]
}

// A +20% step at run 12 of 20 is found at exactly that run and commit, as a slowdown of about
// 20% whose interval covers the planted step, and fails the newest point.
func TestStepFoundAtItsRun(t *testing.T) {
	root := series(t, cellA, steps(20, 0.5, change{12, 1.2}), 10, 1)
	tr := analyze(t, Options{}, root)
	s := only(t, tr)
	require.Len(t, s.Points, 20)
	for _, p := range s.Points {
		assert.Equal(t, 10, p.N, "warmups and failed trials do not count")
		assert.Less(t, p.Median, 1.0, "the absurd warmup value never counts")
		require.NotNil(t, p.Lo)
		assert.LessOrEqual(t, *p.Lo, p.Median)
		assert.GreaterOrEqual(t, *p.Hi, p.Median)
	}
	require.Len(t, s.ChangePoints, 1, "%+v", s.ChangePoints)
	c := s.ChangePoints[0]
	assert.Equal(t, 12, c.Index)
	assert.Equal(t, "r011", c.BeforeRun)
	assert.Equal(t, "r012", c.AfterRun)
	assert.Equal(t, "c011", c.BeforeCommit)
	assert.Equal(t, "c012", c.Commit)
	assert.Equal(t, t0.Add(12*time.Hour), c.AfterTime)
	assert.Equal(t, Slower, c.Direction)
	assert.InDelta(t, 1.2, c.Ratio, 0.02)
	require.NotNil(t, c.RatioLo)
	assert.Less(t, *c.RatioLo, 1.2)
	assert.Greater(t, *c.RatioHi, 1.2)
	assert.Greater(t, *c.RatioLo, 1.1, "the interval excludes no change by far")
	assert.InDelta(t, 0.5, c.BeforeMedian, 0.01)
	assert.InDelta(t, 0.6, c.AfterMedian, 0.012)
	assert.Equal(t, 100, c.BeforeN, "10 runs × 10 trials before")
	assert.Equal(t, 80, c.AfterN, "8 runs × 10 trials after")
	assert.LessOrEqual(t, c.P, 0.05)
	assert.Equal(t, verdict.Fail, s.Verdict)
	assert.Contains(t, s.Reason, "+20")
	assert.Contains(t, s.Reason, "c012")
	assert.Equal(t, verdict.Fail, tr.Verdict)
	assert.Equal(t, 1, int(tr.Verdict.ExitCode()))

	// The same step 20% faster is found the same way and passes.
	fast := analyze(t, Options{}, series(t, cellA, steps(20, 0.5, change{12, 1 / 1.2}), 10, 1))
	c = only(t, fast).ChangePoints[0]
	assert.Equal(t, 12, c.Index)
	assert.Equal(t, Faster, c.Direction)
	assert.Equal(t, verdict.Pass, fast.Verdict)

	// A step below --min-change is significant but does not count.
	small := analyze(t, Options{MinChange: 0.25}, root)
	assert.Empty(t, only(t, small).ChangePoints)
	assert.Equal(t, verdict.Pass, small.Verdict)
}

// Flat noise: over 200 series of 30 runs, the share with a change point is at most the nominal
// rate α (with the binomial allowance of two standard deviations for 200 series), and none
// survives the default minimum change.
func TestFlatNoiseFalsePositiveRate(t *testing.T) {
	const nSeries, nRuns = 200, 30
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(11, 12))
	cells := make([]string, nSeries)
	for i := range cells {
		cells[i] = fmt.Sprintf("mode=threaded/threads=4/coordination=on/lock-retry=off/employees=%d/years=2025-2027/competitor=none/seed=1", 1000+i)
	}
	for r := range nRuns {
		run := synthRun{id: fmt.Sprintf("r%03d", r), at: t0.Add(time.Duration(r) * time.Hour), commit: fmt.Sprintf("c%03d", r), cells: map[string][]float64{}}
		for _, c := range cells {
			run.cells[c] = noisy(rng, 5, 1, 0.03)
		}
		writeRun(t, root, run)
	}
	data, err := Load(context.Background(), root)
	require.NoError(t, err)
	require.Len(t, data.Runs, nRuns)

	raw, err := Analyze(data, Options{MinChange: NoMinChange})
	require.NoError(t, err)
	require.Len(t, raw.Series, nSeries)
	withChange := 0
	for _, s := range raw.Series {
		if len(s.ChangePoints) > 0 {
			withChange++
		}
	}
	alpha := DefaultAlpha
	allowance := alpha*nSeries + 2*math.Sqrt(nSeries*alpha*(1-alpha))
	t.Logf("flat noise: %d of %d series with a change point (α = %g, allowance %.1f)", withChange, nSeries, alpha, allowance)
	assert.LessOrEqual(t, float64(withChange), allowance)

	def, err := Analyze(data, Options{})
	require.NoError(t, err)
	for _, s := range def.Series {
		assert.Empty(t, s.ChangePoints, s.Cell)
	}
	assert.Equal(t, verdict.Pass, def.Verdict)
}

// A step up and a later recovery: two change points, the newest one faster, so the newest
// point passes.
func TestStepAndRecovery(t *testing.T) {
	tr := analyze(t, Options{}, series(t, cellA, steps(30, 1, change{10, 1.25}, change{20, 1}), 10, 2))
	s := only(t, tr)
	require.Len(t, s.ChangePoints, 2, "%+v", s.ChangePoints)
	assert.Equal(t, 10, s.ChangePoints[0].Index)
	assert.Equal(t, Slower, s.ChangePoints[0].Direction)
	assert.Equal(t, 20, s.ChangePoints[1].Index)
	assert.Equal(t, Faster, s.ChangePoints[1].Direction)
	assert.InDelta(t, 1/1.25, s.ChangePoints[1].Ratio, 0.02)
	assert.Equal(t, verdict.Pass, s.Verdict)
	assert.Contains(t, s.Reason, "faster")
}

// A slow drift of +1% per run over 30 runs adds up to a slowdown: every change found is a
// slowdown, and the newest point fails.
func TestSlowDrift(t *testing.T) {
	levels := make([]float64, 30)
	for i := range levels {
		levels[i] = 1 + 0.01*float64(i)
	}
	tr := analyze(t, Options{}, series(t, cellA, levels, 10, 3))
	s := only(t, tr)
	require.NotEmpty(t, s.ChangePoints)
	for _, c := range s.ChangePoints {
		assert.Equal(t, Slower, c.Direction)
		assert.GreaterOrEqual(t, c.Change(), DefaultMinChange)
	}
	assert.Equal(t, verdict.Fail, s.Verdict)
}

// A workload change (another model digest) with a +30% level splits the series there: no
// change point, no regression, and the report says where the work changed.
func TestWorkloadChangeSplits(t *testing.T) {
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(4, 4))
	for i := range 24 {
		level, id := 1.0, "w1"
		if i >= 12 {
			level, id = 1.3, "w2"
		}
		writeRun(t, root, synthRun{
			id: fmt.Sprintf("r%03d", i), at: t0.Add(time.Duration(i) * time.Hour), commit: fmt.Sprintf("c%03d", i),
			ident: map[string]string{cellA: id}, cells: map[string][]float64{cellA: noisy(rng, 10, level, 0.02)},
		})
	}
	s := only(t, analyze(t, Options{}, root))
	assert.Empty(t, s.ChangePoints, "a changed workload is not a regression")
	require.Len(t, s.WorkloadChanges, 1)
	w := s.WorkloadChanges[0]
	assert.Equal(t, 12, w.Index)
	assert.Equal(t, "r011", w.BeforeRun)
	assert.Equal(t, "r012", w.AfterRun)
	assert.Equal(t, "c012", w.Commit)
	assert.Equal(t, "w1", w.From)
	assert.Equal(t, "w2", w.To)
	assert.Equal(t, verdict.Pass, s.Verdict)
	assert.Contains(t, s.Reason, "since the workload changed at run r012")

	// Three runs since the change are too few to decide, however long the history before.
	root2 := t.TempDir()
	for i := range 15 {
		id := "w1"
		if i >= 12 {
			id = "w2"
		}
		writeRun(t, root2, synthRun{id: fmt.Sprintf("r%03d", i), at: t0.Add(time.Duration(i) * time.Hour),
			ident: map[string]string{cellA: id}, cells: map[string][]float64{cellA: noisy(rng, 10, 1, 0.02)}})
	}
	tr := analyze(t, Options{}, root2)
	s = only(t, tr)
	assert.Equal(t, verdict.Unknown, s.Verdict)
	assert.Contains(t, s.Reason, "3 runs since the workload changed")
	assert.Equal(t, 3, int(tr.Verdict.ExitCode()))
}

// An upgrade of the DuckDB that a cell runs (the one lockbench links, for a cell that names no
// release) does not split the series: the workload is the same, so its identity is. A change
// across it is a change point like any other, named by its releases as by its commits.
func TestUpgradeIsAChangePointNotANewSeries(t *testing.T) {
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(6, 6))
	for i := range 20 {
		r := synthRun{id: fmt.Sprintf("r%03d", i), at: t0.Add(time.Duration(i) * time.Hour), commit: fmt.Sprintf("c%03d", i),
			duckdb: "v1.5.6", cells: map[string][]float64{cellA: noisy(rng, 10, 1.0, 0.02)}}
		switch {
		case i < 5:
			// Records written before trials named their release: the manifest's applies.
		case i < 10:
			r.trialDuckDB = "1.5.6"
		default:
			r.duckdb, r.trialDuckDB = "v2.0.0", "2.0.0"
			r.cells[cellA] = noisy(rng, 10, 1.25, 0.02)
		}
		writeRun(t, root, r)
	}
	tr := analyze(t, Options{}, root)
	s := only(t, tr)
	assert.Empty(t, s.WorkloadChanges, "a new DuckDB release is not a new workload")
	require.Len(t, s.Points, 20)
	for i, p := range s.Points {
		want := "1.5.6"
		if i >= 10 {
			want = "2.0.0"
		}
		assert.Equal(t, want, p.DuckDB, "run %s", p.Run)
	}
	require.Len(t, s.ChangePoints, 1)
	c := s.ChangePoints[0]
	assert.Equal(t, 10, c.Index)
	assert.Equal(t, "c009", c.BeforeCommit)
	assert.Equal(t, "c010", c.Commit)
	assert.Equal(t, "1.5.6", c.BeforeDuckDB)
	assert.Equal(t, "2.0.0", c.DuckDB)
	assert.True(t, c.ReleaseChanged())
	assert.Equal(t, Slower, c.Direction)
	assert.Equal(t, verdict.Fail, s.Verdict)
	assert.Contains(t, s.Reason, "(run r010, DuckDB 1.5.6 → 2.0.0)")

	var b bytes.Buffer
	require.NoError(t, WriteText(&b, tr))
	golden(t, "trend-upgrade.txt", b.String())
	assert.Contains(t, b.String(), "commit c009 → c010, DuckDB 1.5.6 → 2.0.0")
	b.Reset()
	require.NoError(t, WriteMarkdown(&b, tr))
	golden(t, "trend-upgrade.md", b.String())
	assert.Contains(t, b.String(), "| c009 → c010, DuckDB 1.5.6 → 2.0.0 |")
	b.Reset()
	require.NoError(t, WriteHTML(&b, tr))
	assert.Contains(t, b.String(), "c009 → c010, DuckDB 1.5.6 → 2.0.0")

	// A series on one release never names it.
	flat := only(t, analyze(t, Options{}, series(t, cellA, steps(12, 1, change{6, 1.3}), 10, 7)))
	require.Len(t, flat.ChangePoints, 1)
	assert.False(t, flat.ChangePoints[0].ReleaseChanged())
	assert.NotContains(t, flat.Reason, "DuckDB")
}

// Runs recorded before manifests had a commit and a workload identity (schema_version 1) load
// as one series with unknown commits, also when newer runs with an identity follow them.
func TestMissingCommitsAndOldManifests(t *testing.T) {
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range 20 {
		level := 1.0
		if i >= 8 {
			level = 1.2
		}
		writeRun(t, root, synthRun{
			id: fmt.Sprintf("r%03d", i), at: t0.Add(time.Duration(i) * time.Hour), schema1: i < 10,
			commit: map[bool]string{true: fmt.Sprintf("c%03d", i)}[i >= 14],
			cells:  map[string][]float64{cellA: noisy(rng, 10, level, 0.02)},
		})
	}
	tr := analyze(t, Options{}, root)
	s := only(t, tr)
	require.Len(t, s.Points, 20)
	assert.Empty(t, s.WorkloadChanges, "an unknown identity joins its neighbours")
	assert.Equal(t, "", s.Points[0].Workload)
	assert.Equal(t, "w1", s.Points[19].Workload)
	require.Len(t, s.ChangePoints, 1)
	c := s.ChangePoints[0]
	assert.Equal(t, 8, c.Index)
	assert.Equal(t, "", c.Commit)
	assert.Equal(t, "r008", c.AfterRun)
	var text bytes.Buffer
	require.NoError(t, WriteText(&text, tr))
	assert.Contains(t, text.String(), "commit - → -")
}

// One run cannot be judged: unknown, exit code 3.
func TestSingleRun(t *testing.T) {
	tr := analyze(t, Options{}, series(t, cellA, []float64{1}, 10, 6))
	s := only(t, tr)
	require.Len(t, s.Points, 1)
	assert.Empty(t, s.ChangePoints)
	assert.Equal(t, verdict.Unknown, s.Verdict)
	assert.Equal(t, "1 run: too few to decide (5 needed)", s.Reason)
	assert.Equal(t, 3, int(tr.Verdict.ExitCode()))
}

// Shards of one CI pipeline merge into one run, as report merges them; two pipelines on the
// same commit stay two runs, with or without a group.
func TestShardsMerge(t *testing.T) {
	const cellB = "mode=sequential/threads=1/coordination=on/lock-retry=off/employees=2000/years=2025-2027/competitor=none/seed=1"
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(8, 8))
	for i := range 12 {
		commit := fmt.Sprintf("c%03d", i/2) // two pipelines per commit
		group := fmt.Sprintf("github:%d", 100+i)
		if i >= 6 {
			group = "" // no CI group recorded: shards pair up by index, in time order
		}
		at := t0.Add(time.Duration(i) * time.Hour)
		level := 1.0
		if i >= 6 {
			level = 1.2
		}
		// shard 2 finishes first: the run's time is its earliest shard's
		writeRun(t, root, synthRun{id: fmt.Sprintf("s%02d-2", i), at: at, commit: commit, group: group, shard: "2/2",
			cells: map[string][]float64{cellB: noisy(rng, 7, 2, 0.02)}})
		writeRun(t, root, synthRun{id: fmt.Sprintf("s%02d-1", i), at: at.Add(time.Minute), commit: commit, group: group, shard: "1/2",
			cells: map[string][]float64{cellA: noisy(rng, 9, level, 0.02)}})
	}
	data, err := Load(context.Background(), root)
	require.NoError(t, err)
	require.Len(t, data.Runs, 12)
	for i, r := range data.Runs {
		assert.Equal(t, fmt.Sprintf("s%02d-1", i), r.ID, "named after shard 1")
		assert.ElementsMatch(t, []string{fmt.Sprintf("s%02d-1", i), fmt.Sprintf("s%02d-2", i)}, r.IDs)
		assert.Equal(t, t0.Add(time.Duration(i)*time.Hour), r.Time)
		assert.Len(t, r.Cells, 2)
	}
	tr, err := Analyze(data, Options{})
	require.NoError(t, err)
	require.Len(t, tr.Series, 2)
	b, a := tr.Series[0], tr.Series[1] // in key order: mode=sequential first
	require.Equal(t, cellA, a.Cell)
	require.Len(t, a.Points, 12)
	assert.Equal(t, 9, a.Points[0].N)
	assert.Equal(t, 7, b.Points[0].N)
	assert.Len(t, a.Points[0].Runs, 2)
	require.Len(t, a.ChangePoints, 1)
	assert.Equal(t, 6, a.ChangePoints[0].Index)
	assert.Equal(t, "c003", a.ChangePoints[0].Commit)
	assert.Empty(t, b.ChangePoints)
}

// Same input, same output: byte for byte, whatever the order of the paths.
func TestDeterministic(t *testing.T) {
	root := series(t, cellA, steps(25, 1, change{9, 1.15}, change{17, 1.3}), 10, 9)
	dirs, err := history.FindRuns(root)
	require.NoError(t, err)
	render := func(paths ...string) string {
		var b bytes.Buffer
		require.NoError(t, WriteJSON(&b, analyze(t, Options{}, paths...)))
		return b.String()
	}
	first := render(root)
	rev := make([]string, len(dirs))
	for i, d := range dirs {
		rev[len(dirs)-1-i] = d
	}
	assert.Equal(t, first, render(rev...))
	assert.Equal(t, first, render(root))
	assert.NotEqual(t, first, func() string {
		var b bytes.Buffer
		require.NoError(t, WriteJSON(&b, analyze(t, Options{Seed: 2}, root)))
		return b.String()
	}(), "the seed is part of the output (settings)")
}

func TestSelection(t *testing.T) {
	const cellB = "mode=sequential/threads=1/coordination=on/lock-retry=off/employees=2000/years=2025-2027/competitor=none/seed=1"
	const cellC = "mode=threaded/threads=4/coordination=on/lock-retry=off/employees=2000/years=2025-2027/competitor=readers(count=3;start=immediately)/seed=1"
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(10, 10))
	for i := range 6 {
		writeRun(t, root, synthRun{id: fmt.Sprintf("r%d", i), at: t0.Add(time.Duration(i) * time.Hour), cells: map[string][]float64{
			cellA: noisy(rng, 6, 1, 0.01), cellB: noisy(rng, 6, 2, 0.01), cellC: noisy(rng, 6, 3, 0.01),
		}})
	}
	keys := func(tr *Trend) []string {
		var out []string
		for _, s := range tr.Series {
			out = append(out, s.Cell)
		}
		return out
	}
	assert.Equal(t, []string{cellB, cellA, cellC}, keys(analyze(t, Options{}, root)))
	assert.Equal(t, []string{cellA, cellC}, keys(analyze(t, Options{Filter: "mode=threaded"}, root)))
	assert.Equal(t, []string{cellB, cellA}, keys(analyze(t, Options{Filter: "competitor=none"}, root)))
	assert.Equal(t, []string{cellC}, keys(analyze(t, Options{Filter: "competitor=readers"}, root)), "a bare competitor kind matches any options")
	assert.Equal(t, []string{cellB}, keys(analyze(t, Options{Cells: []string{cellB}}, root)))
	// Series are labelled by the axes that vary; the shared ones are printed once.
	byMode := analyze(t, Options{Filter: "competitor=none"}, root)
	assert.Equal(t, "coordination=on lock-retry=off employees=2000 years=2025-2027 competitor=none seed=1", byMode.Constant)
	assert.Equal(t, "mode=sequential threads=1", byMode.Series[0].Label)
	var text bytes.Buffer
	require.NoError(t, WriteText(&text, byMode))
	assert.Contains(t, text.String(), "every cell: coordination=on")
	assert.NotContains(t, text.String(), "PASS    "+cellB, "text shows labels, not keys")

	wall := analyze(t, Options{Metric: "wall", Cells: []string{cellA}}, root)
	over := analyze(t, Options{Cells: []string{cellA}}, root)
	assert.InDelta(t, over.Series[0].Points[0].Median+1, wall.Series[0].Points[0].Median, 1e-9, "wall = overhead + sql")

	data, err := Load(context.Background(), root)
	require.NoError(t, err)
	for _, o := range []Options{
		{Cells: []string{"mode=nosuch"}}, {Filter: "mode=process-per-model"}, {Filter: "bogus=1"},
		{Metric: "cpu"}, {Alpha: 1.5}, {MinChange: -0.5}, {MinRuns: 2},
	} {
		_, err := Analyze(data, o)
		require.Error(t, err, "%+v", o)
		assert.Equal(t, exitcode.Usage, exitcode.Of(err), "%+v: %v", o, err)
	}
}

func TestLoadProblems(t *testing.T) {
	isInput := func(err error) bool {
		var ie *history.InputError
		return errors.As(err, &ie) && exitcode.Of(err) == exitcode.Usage
	}
	_, err := Load(context.Background(), filepath.Join(t.TempDir(), "none"))
	require.True(t, isInput(err), "%v", err)
	assert.Contains(t, err.Error(), "no such file or directory")

	_, err = Load(context.Background(), t.TempDir())
	require.True(t, isInput(err), "%v", err)
	assert.Contains(t, err.Error(), "no run directory")

	// A torn last line (a crash mid-write) is ignored and noted; runs/latest is not read twice.
	root := series(t, cellA, []float64{1, 1, 1}, 6, 12)
	dirs, err := history.FindRuns(root)
	require.NoError(t, err)
	require.NoError(t, os.Symlink(filepath.Base(dirs[2]), filepath.Join(root, "latest")))
	hist := filepath.Join(dirs[1], "history.ndjson")
	f, err := os.OpenFile(hist, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"cell":"` + cellA + `","trial":9,"warmup":false,"outcome":{"kind":"ok"},"wall_s":5`)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	data, err := Load(context.Background(), root, filepath.Join(root, "latest"))
	require.NoError(t, err)
	require.Len(t, data.Runs, 3)
	assert.Len(t, data.Runs[1].Cells[cellA].Overhead, 6)
	require.Len(t, data.Notes, 1)
	assert.Contains(t, data.Notes[0], "partial line")

	// A malformed whole line is bad input naming the file and line.
	good := `{"cell":"x","outcome":{"kind":"ok"},"wall_s":1,"sql_s":1,"overhead_s":0}`
	require.NoError(t, os.WriteFile(hist, []byte(good+"\nnot json\n{\"cell\":\"x\"}\n"), 0o644))
	_, err = Load(context.Background(), root)
	require.True(t, isInput(err), "%v", err)
	assert.Contains(t, err.Error(), hist+":2: malformed trial")

	// So is a line that is not a trial's record: an ok trial without its timings, which trend
	// once read as 0 s (since the one reader of run directories, it refuses it as report does).
	require.NoError(t, os.WriteFile(hist, []byte(good+"\n"+`{"cell":"x","trial":4,"outcome":{"kind":"ok"}}`+"\n"), 0o644))
	_, err = Load(context.Background(), root)
	require.True(t, isInput(err), "%v", err)
	assert.ErrorIs(t, err, history.ErrCorrupt)
	assert.Contains(t, err.Error(), hist+":2: corrupt trial x #4: an ok trial without wall_s")

	// A malformed manifest is bad input naming it.
	require.NoError(t, os.WriteFile(hist, nil, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dirs[0], "manifest.json"), []byte("{"), 0o644))
	_, err = Load(context.Background(), root)
	require.True(t, isInput(err), "%v", err)
	assert.Contains(t, err.Error(), filepath.Join(dirs[0], "manifest.json"))
}

// The renderings of a step and a workload change, against golden files.
func TestRenderGoldens(t *testing.T) {
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(13, 13))
	for i := range 16 {
		level, id := 0.4, "w1"
		if i >= 6 {
			level = 0.5
		}
		if i >= 11 {
			id = "w2"
		}
		writeRun(t, root, synthRun{
			id: fmt.Sprintf("r%03d", i), at: t0.Add(time.Duration(i) * time.Hour), commit: fmt.Sprintf("%x", sha1.Sum([]byte{byte(i)})),
			ident: map[string]string{cellA: id}, cells: map[string][]float64{cellA: noisy(rng, 8, level, 0.02)},
		})
	}
	tr := analyze(t, Options{}, root)
	for _, f := range []struct {
		name  string
		write func(*bytes.Buffer, *Trend) error
	}{
		{"trend.txt", func(b *bytes.Buffer, t *Trend) error { return WriteText(b, t) }},
		{"trend.md", func(b *bytes.Buffer, t *Trend) error { return WriteMarkdown(b, t) }},
	} {
		var b bytes.Buffer
		require.NoError(t, f.write(&b, tr))
		golden(t, f.name, b.String())
	}

	// JSON: the shape of the issue, every number as a number.
	var b bytes.Buffer
	require.NoError(t, WriteJSON(&b, tr))
	var doc struct {
		SchemaVersion int `json:"schema_version"`
		Series        []struct {
			Cell, Metric string
			Points       []map[string]any `json:"points"`
			ChangePoints []map[string]any `json:"change_points"`
		} `json:"series"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	assert.Equal(t, 1, doc.SchemaVersion)
	require.Len(t, doc.Series, 1)
	assert.Equal(t, cellA, doc.Series[0].Cell)
	assert.Equal(t, "overhead", doc.Series[0].Metric)
	require.Len(t, doc.Series[0].Points, 16)
	for _, k := range []string{"run", "time", "commit", "median", "lo", "hi", "n"} {
		assert.Contains(t, doc.Series[0].Points[0], k)
	}
	require.Len(t, doc.Series[0].ChangePoints, 1)
	for _, k := range []string{"index", "before_run", "after_run", "commit", "before_median", "after_median", "ratio", "ratio_lo", "ratio_hi", "p", "direction"} {
		assert.Contains(t, doc.Series[0].ChangePoints[0], k)
	}
	assert.Equal(t, "slower", doc.Series[0].ChangePoints[0]["direction"])

	// HTML: one chart per series, with the change marked.
	b.Reset()
	require.NoError(t, WriteHTML(&b, tr))
	page := b.String()
	assert.Equal(t, 1, strings.Count(page, "<svg"))
	assert.Contains(t, page, tr.Series[0].Label)
	assert.Contains(t, page, "workload changed")
	assert.Contains(t, page, `class="slower"`)
	assert.Contains(t, page, "stroke:#CF222E", "the change point's red line")
}
