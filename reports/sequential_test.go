package reports

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/criteria"
	"lockbench/history"
	"lockbench/verdict"
)

// TestSequentialDesignFromTheManifest judges a run whose manifest records a sequential design
// at its looks: 3 trials a side of a 90% reduction pass the 65% target at the first look, which
// the same trials judged by the fixed rule (10 per side) cannot; every format says where it was
// decided and how.
func TestSequentialDesignFromTheManifest(t *testing.T) {
	d, err := criteria.SequentialDesign(3, 10)
	require.NoError(t, err)
	tg := target(0.65)
	tg.BaselineCells, tg.CandidateCells = []string{"mode=process-per-model"}, []string{"mode=threaded"}
	runs := twoCellRun(3, 3, 10, 1, 0.05)
	runs[0].Manifest.Targets = []criteria.ResolvedTarget{tg}

	fixedDir, seqDir := t.TempDir(), t.TempDir()
	require.NoError(t, writeRun(fixedDir, runs[0]))
	runs[0].Manifest.Design = &d
	require.NoError(t, writeRun(seqDir, runs[0]))

	fixed, err := LoadReport([]string{fixedDir}, "")
	require.NoError(t, err)
	assert.Equal(t, verdict.Unknown, fixed.Targets[0].Verdict, "the fixed rule needs 10 trials per side")
	assert.Nil(t, fixed.Design)

	r, err := LoadReport([]string{seqDir}, "")
	require.NoError(t, err)
	require.NotNil(t, r.Design)
	assert.Equal(t, criteria.MethodSequential, r.Design.Method)
	tr := r.Targets[0]
	require.Equal(t, verdict.Pass, tr.Verdict, tr.Reason)
	require.NotNil(t, tr.Sequential)
	assert.Equal(t, 1, tr.Sequential.Look)
	assert.Equal(t, verdict.Pass, r.Verdict)
	for _, e := range r.Expectations {
		assert.Equal(t, verdict.Pass, e.Verdict, "%s: %s", e.Name, e.Reason)
		require.NotNil(t, e.Sequential, e.Name)
		assert.Equal(t, 1, e.Sequential.Look)
	}
	for _, w := range r.AllWarnings() {
		assert.NotEqual(t, "few-trials", w.Code, "a sequential run has no per-side floor: %s", w.Message)
	}
	for _, f := range Formats {
		var b bytes.Buffer
		require.NoError(t, f.Write(&b, r), f.File)
		switch f.File {
		case "report.bench.txt":
			continue // timings only
		case "report.json":
			assert.Contains(t, b.String(), `"method": "group-sequential"`, f.File)
			assert.Contains(t, b.String(), `"sequential": {`, f.File)
		default:
			assert.Contains(t, b.String(), "decided at look 1 of 3", f.File)
			assert.Contains(t, b.String(), "Lan–DeMets Pocock-type", f.File)
		}
	}
}

// TestSequentialShardSaysWhatItHolds: a shard that holds one side of a target cannot decide
// it, and says so; the merged shards decide it.
func TestSequentialShardSaysWhatItHolds(t *testing.T) {
	d, err := criteria.SequentialDesign(3, 10)
	require.NoError(t, err)
	tg := target(0.65)
	tg.BaselineCells, tg.CandidateCells = []string{"mode=process-per-model"}, []string{"mode=threaded"}
	trials := twoCellRun(3, 3, 10, 1, 0.05)[0].Trials
	var dirs []string
	for i, shard := range []string{"1/2", "2/2"} {
		m := history.Manifest{ID: "s", Shard: shard, Design: &d, Targets: []criteria.ResolvedTarget{tg}}
		var mine []history.Trial
		for _, tr := range trials {
			if (tr.Cell == "mode=process-per-model") == (i == 0) {
				mine = append(mine, tr)
			}
		}
		dirs = append(dirs, t.TempDir())
		require.NoError(t, writeRun(dirs[i], history.Run{Manifest: m, Trials: mine}))
	}
	one, err := LoadReport(dirs[:1], "")
	require.NoError(t, err)
	assert.Equal(t, verdict.Unknown, one.Targets[0].Verdict)
	assert.Contains(t, one.Targets[0].Reason, "this report holds shard 1/2 only")
	both, err := LoadReport(dirs, "")
	require.NoError(t, err)
	assert.Equal(t, verdict.Pass, both.Targets[0].Verdict, both.Targets[0].Reason)
}
