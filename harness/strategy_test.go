package harness

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/harness/competitor"
	"lockbench/history"
	"lockbench/vocab"
)

// strategyScenario runs the cooperating competitors next to small pipelines.
const strategyScenario = `
name: tiny-strategies
workload: sim
trials: 1
warmup: 0
timeout: 2m
defaults:
  employees: 100
  years: 2025-2026
  threads: 2
matrix:
  strategy: [publish, single-process]
  competitor:
    - {kind: viewers, count: 2, period: 50ms}
    - {kind: second-writer, period: 50ms}
include:
  - {strategy: none, mode: sequential, competitor: none}
expect:
  - cells: {strategy: single-process}
    outcome: [ok, lock-conflict]
`

func TestStrategyTrialsRecordWhatTheCooperatorsSaw(t *testing.T) {
	res, err := Execute(context.Background(), Options{
		Scenario: parse(t, strategyScenario), ScenarioYAML: []byte(strategyScenario), RunsDir: t.TempDir(), Trial: testTrialCommand(),
	})
	require.NoError(t, err)
	trials, err := history.ReadTrials(res.Dir)
	require.NoError(t, err)
	require.Len(t, trials, 5)
	byCell := map[string]history.Trial{}
	for _, tr := range trials {
		byCell[tr.Params["strategy"]+"/"+competitorKind(tr.Params["competitor"])] = tr
	}
	ref := byCell["none/none"]
	require.Equal(t, vocab.OK, ref.Outcome.Kind, ref.Outcome.Message)
	assert.Nil(t, ref.Cooperation, "no cooperating competitor")

	// Publish: the pipeline never opens the shared path, so viewers are never refused, and the
	// published data is the sequential run's.
	pv := byCell["publish/viewers"]
	require.Equal(t, vocab.OK, pv.Outcome.Kind, pv.Outcome.Message)
	assert.Equal(t, ref.Fingerprint, pv.Fingerprint)
	require.NotNil(t, pv.Cooperation)
	require.NotNil(t, pv.Cooperation.Viewers)
	v := pv.Cooperation.Viewers
	assert.Equal(t, vocab.Publish, pv.Cooperation.Strategy)
	assert.Equal(t, 2, v.Processes)
	require.Positive(t, v.Attempts)
	assert.Equal(t, v.Attempts, v.Successes, "first error: %s", v.FirstError)
	assert.Len(t, v.WaitMS, v.Attempts)
	assert.Len(t, v.StalenessYears, v.Successes)
	assert.Zero(t, v.Partial, "a published copy is whole years")
	for _, s := range v.StalenessYears {
		assert.GreaterOrEqual(t, s, 0)
		assert.LessOrEqual(t, s, 2)
	}

	// Publish with a second writer: the writer writes the published path, and each publish
	// replaces that file: rows written before the last publish are gone.
	pw := byCell["publish/second-writer"]
	require.Equal(t, vocab.OK, pw.Outcome.Kind, pw.Outcome.Message)
	w := pw.Cooperation.Writer
	require.NotNil(t, w)
	require.Positive(t, w.RowsWritten)
	assert.Less(t, w.RowsKept, w.RowsWritten, "publishing dropped the writer's earlier rows")

	// Single-process with a second writer: when the pipeline got the file, every row the
	// writer managed to write is still there (the pipeline only replaces its own tables).
	sw := byCell["single-process/second-writer"]
	require.NotNil(t, sw.Cooperation)
	require.NotNil(t, sw.Cooperation.Writer)
	if sw.Outcome.Kind == vocab.OK {
		assert.Equal(t, ref.Fingerprint, sw.Fingerprint)
		assert.Equal(t, sw.Cooperation.Writer.RowsWritten, sw.Cooperation.Writer.RowsKept)
	} else {
		assert.Equal(t, vocab.LockConflict, sw.Outcome.Kind, sw.Outcome.Message)
		assert.Equal(t, vocab.RoleCompetitor, sw.Outcome.HolderRole, "the writer held the file when the pipeline opened it")
	}
	sv := byCell["single-process/viewers"].Cooperation.Viewers
	require.NotNil(t, sv)
	assert.Equal(t, sv.Attempts, sv.Successes+sv.LockConflicts+sv.OtherErrors)
	assert.Zero(t, sv.OtherErrors, sv.FirstError)
}

func competitorKind(c string) string {
	for i, r := range c {
		if r == '(' {
			return c[:i]
		}
	}
	return c
}

func TestSummarizeCooperation(t *testing.T) {
	origin := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return origin.Add(time.Duration(s * float64(time.Second))) }
	// Year 2025's models end at 2 s, 2026's at 4 s; the run lasts 5 s.
	finished := map[int]float64{2025: 2, 2026: 4}
	as := []competitor.Attempt{
		{Role: competitor.RoleViewer, Start: at(-0.5), OK: true},             // before the run: not counted
		{Role: competitor.RoleViewer, Start: at(1), OK: true},                // nothing yet, nothing finished: current
		{Role: competitor.RoleViewer, Start: at(2.5), OK: true, WaitS: 0.25}, // nothing, 2025 finished: 1 behind
		{Role: competitor.RoleViewer, Start: at(3), OK: true, Year: 2025},    // current
		{Role: competitor.RoleViewer, Start: at(3.5), OK: true, Year: 2026},  // 2026 not finished: partial
		{Role: competitor.RoleViewer, Start: at(4.5), Outcome: vocab.LockConflict, Error: "IO Error: Could not set lock"},
		{Role: competitor.RoleViewer, Start: at(4.6), Outcome: vocab.Error, Error: "boom"},
		{Role: competitor.RoleViewer, Start: at(5.5), OK: true, Year: 2026}, // after the run: not counted
	}
	c := summarizeCooperation("queue", vocab.Viewers, 3, as, origin, 5, finished, 2025)
	require.NotNil(t, c.Viewers)
	assert.Nil(t, c.Writer)
	v := c.Viewers
	assert.Equal(t, 3, v.Processes)
	assert.Equal(t, 6, v.Attempts)
	assert.Equal(t, 4, v.Successes)
	assert.Equal(t, 1, v.LockConflicts)
	assert.Equal(t, 1, v.OtherErrors)
	assert.Equal(t, "IO Error: Could not set lock", v.FirstError)
	assert.Equal(t, []float64{0, 250, 0, 0, 0, 0}, v.WaitMS)
	assert.Equal(t, []int{0, 1, 0, 0}, v.StalenessYears)
	assert.Equal(t, 1, v.Partial)

	w := summarizeCooperation("publish", vocab.SecondWriter, 1, []competitor.Attempt{
		{Role: competitor.RoleWriter, Start: at(-1), OK: true},
		{Role: competitor.RoleWriter, Start: at(1), OK: true},
		{Role: competitor.RoleWriter, Start: at(2), Outcome: vocab.LockConflict},
	}, origin, 5, finished, 2025).Writer
	require.NotNil(t, w)
	assert.Equal(t, 2, w.Attempts)
	assert.Equal(t, 1, w.Successes)
	assert.Equal(t, 2, w.RowsWritten, "rows count over the whole trial")
}
