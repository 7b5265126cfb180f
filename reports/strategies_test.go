package reports

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/outcome"
	"lockbench/stats"
	"lockbench/vocab"
)

// coopCell is a synthetic cell of the strategies matrix.
type coopCell struct {
	strategy, competitor string
	outcomes             []vocab.Kind // one per trial
	walls                []float64
	fingerprint          string
	viewers, writer      *history.Participants
}

func (c coopCell) params() map[string]string {
	mode := "threaded"
	if c.strategy == "none" {
		mode = "sequential"
	}
	return map[string]string{"mode": mode, "strategy": c.strategy, "competitor": c.competitor,
		"employees": "200", "years": "2025-2026", "seed": "1"}
}

func (c coopCell) key() string {
	p := c.params()
	return fmt.Sprintf("mode=%s/strategy=%s/competitor=%s/employees=200/years=2025-2026/seed=1", p["mode"], c.strategy, c.competitor)
}

func coopRuns(cells []coopCell) []history.Run {
	run := history.Run{Manifest: history.Manifest{ID: "strat1", CreatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	for _, c := range cells {
		for i, o := range c.outcomes {
			tr := history.Trial{Cell: c.key(), Trial: i, Params: c.params(), Outcome: outcome.Outcome{Kind: o}, Expected: "ok|lock-conflict|mismatch"}
			if o == vocab.OK {
				tr.WallS, tr.SQLS, tr.OverheadS = c.walls[i], c.walls[i]/2, c.walls[i]/2
				tr.Fingerprint = c.fingerprint
			}
			if c.viewers != nil || c.writer != nil {
				tr.Cooperation = &history.Cooperation{Strategy: vocab.Strategy(c.strategy), Viewers: c.viewers, Writer: c.writer}
			}
			run.Trials = append(run.Trials, tr)
		}
	}
	return []history.Run{run}
}

func viewersWith(attempts, ok, conflicts int, waits []float64, stale []int, partial int) *history.Participants {
	return &history.Participants{Processes: 3, Attempts: attempts, Successes: ok, LockConflicts: conflicts,
		WaitMS: waits, StalenessYears: stale, Partial: partial}
}

func strategyCells() []coopCell {
	ok3 := []vocab.Kind{vocab.OK, vocab.OK, vocab.OK}
	return []coopCell{
		{strategy: "none", competitor: "none", outcomes: ok3, walls: []float64{1, 1.1, 1.2}, fingerprint: "F"},
		{strategy: "parallel", competitor: "none", outcomes: []vocab.Kind{vocab.LockConflict, vocab.LockConflict, vocab.LockConflict}},
		{strategy: "single-process", competitor: "none", outcomes: ok3, walls: []float64{1.0, 1.1, 1.3}, fingerprint: "F"},
		{strategy: "read-only-attach", competitor: "none", outcomes: ok3, walls: []float64{0.9, 1.05, 1.2}, fingerprint: "F"},
		{strategy: "queue", competitor: "none", outcomes: ok3, walls: []float64{5, 5.5, 6}, fingerprint: "F"},
		// Fast, but its data is wrong: never recommended.
		{strategy: "per-worker-files", competitor: "none", outcomes: ok3, walls: []float64{0.5, 0.6, 0.7}, fingerprint: "G"},
		{strategy: "single-process", competitor: "viewers", outcomes: []vocab.Kind{vocab.LockConflict, vocab.OK, vocab.OK},
			walls: []float64{0, 1.1, 1.2}, fingerprint: "F", viewers: viewersWith(10, 0, 10, make([]float64, 10), nil, 0)},
		{strategy: "queue", competitor: "viewers", outcomes: ok3, walls: []float64{6, 6.5, 7}, fingerprint: "F",
			viewers: viewersWith(10, 10, 0, []float64{0, 0, 0, 0, 0, 10, 20, 30, 200, 300}, []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 2)},
		{strategy: "publish", competitor: "viewers", outcomes: ok3, walls: []float64{2, 2.1, 2.2}, fingerprint: "F",
			viewers: viewersWith(10, 10, 0, make([]float64, 10), []int{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, 0)},
		{strategy: "publish", competitor: "second-writer", outcomes: ok3, walls: []float64{2, 2.1, 2.2}, fingerprint: "F",
			writer: &history.Participants{Processes: 1, Attempts: 10, Successes: 10, WaitMS: make([]float64, 10), RowsWritten: 12, RowsKept: 2}},
		{strategy: "queue", competitor: "second-writer", outcomes: ok3, walls: []float64{6, 6.5, 7}, fingerprint: "F",
			writer: &history.Participants{Processes: 1, Attempts: 10, Successes: 10, WaitMS: []float64{0, 0, 0, 0, 0, 0, 0, 0, 50, 400}, RowsWritten: 11, RowsKept: 11}},
	}
}

func TestStrategiesSection(t *testing.T) {
	r, err := Build(coopRuns(strategyCells()), Options{})
	require.NoError(t, err)
	s := r.Strategies
	require.NotNil(t, s)
	assert.Equal(t, "F", s.ReferenceFingerprint)
	assert.Contains(t, s.Reference, "mode=sequential")
	require.Len(t, s.Rows, 10, "every cell with a strategy; the reference is not a row")
	row := func(st, sit string) StrategyRow {
		for _, r := range s.Rows {
			if r.Strategy == st && r.Situation == sit {
				return r
			}
		}
		t.Fatalf("no row %s %s", st, sit)
		return StrategyRow{}
	}
	assert.Equal(t, "n/a", row("parallel", SituationAlone).DataIdentical)
	assert.Equal(t, "no", row("per-worker-files", SituationAlone).DataIdentical)
	assert.Equal(t, 3, row("per-worker-files", SituationAlone).Mismatches)
	assert.Equal(t, "yes", row("queue", SituationAlone).DataIdentical)

	sv := row("single-process", SituationViewers)
	assert.Equal(t, stats.Rate{OK: 2, N: 3, Value: 2.0 / 3, CI: sv.Pipeline.CI}, sv.Pipeline)
	require.NotNil(t, sv.Wall)
	assert.Equal(t, 1.15, *sv.Wall, "median of the ok trials only")
	assert.Equal(t, 30, sv.Viewers.LockConflicts, "pooled over three trials")
	assert.Zero(t, sv.Viewers.Served.Value)

	qv := row("queue", SituationViewers).Viewers
	assert.Equal(t, 0.0, qv.WaitP50, "empirical p50 of ten waits: the fifth smallest")
	assert.Equal(t, 300.0, qv.WaitP95)
	assert.Equal(t, 0.0, *qv.StalenessP50)
	assert.Equal(t, 1.0, *qv.StalenessP95)
	assert.InDelta(t, 0.2, qv.Partial, 1e-12)

	pw := row("publish", SituationWriter).Writer
	assert.InDelta(t, 2.0/12, pw.Kept, 1e-12)

	recs := map[string]Recommendation{}
	for _, rec := range s.Recommendations {
		recs[rec.Situation] = rec
	}
	require.Len(t, recs, 3)
	// Alone: per-worker-files is fastest but changed the data; single-process and
	// read-only-attach are the same within their intervals.
	assert.Equal(t, "read-only-attach", recs[SituationAlone].Strategy)
	assert.Equal(t, []string{"single-process"}, recs[SituationAlone].Also)
	// Viewers: publish serves whole years every time (queue's reads were partly mid-year).
	assert.Equal(t, "publish", recs[SituationViewers].Strategy)
	assert.Contains(t, recs[SituationViewers].Line, "dashboards reading during the run: publish (pipeline ok 3/3, 100% of 30 reads served, p95 staleness 1 year")
	// A writer: under publish its rows vanish; queue keeps them.
	assert.Equal(t, "queue", recs[SituationWriter].Strategy)
	assert.Contains(t, recs[SituationWriter].Line, "33/33 rows kept")
}

func TestRecommendationsFollowTheFigures(t *testing.T) {
	// The same matrix where the queue's viewers never read mid-year and the published copy
	// lags: now queue serves viewers best.
	cells := strategyCells()
	for i := range cells {
		if cells[i].competitor != "viewers" {
			continue
		}
		switch cells[i].strategy {
		case "queue":
			cells[i].viewers.Partial = 0
		case "publish":
			cells[i].viewers.Successes = 9
		}
	}
	r, err := Build(coopRuns(cells), Options{})
	require.NoError(t, err)
	for _, rec := range r.Strategies.Recommendations {
		if rec.Situation == SituationViewers {
			assert.Equal(t, "queue", rec.Strategy, rec.Line)
		}
	}
	// Without a reference cell, identity is unknown but recommendations still come.
	r, err = Build(coopRuns(cells[1:]), Options{})
	require.NoError(t, err)
	assert.Empty(t, r.Strategies.Reference)
	assert.Equal(t, "unknown", r.Strategies.Rows[2].DataIdentical)
	assert.NotEmpty(t, r.Strategies.Recommendations)
}

func TestNoStrategiesNoSection(t *testing.T) {
	r := goldenReport(t)
	assert.Nil(t, r.Strategies)
	var b bytes.Buffer
	require.NoError(t, WriteText(&b, r))
	assert.NotContains(t, b.String(), "strategies:")
}

func TestStrategiesGoldens(t *testing.T) {
	r, err := Build(coopRuns(strategyCells()), Options{})
	require.NoError(t, err)
	for _, tc := range []struct {
		file string
		f    func(*bytes.Buffer) error
	}{
		{"strategies.txt", func(b *bytes.Buffer) error {
			ew := &errWriter{w: b}
			if err := writeStrategiesText(ew, r); err != nil {
				return err
			}
			return ew.err
		}},
		{"strategies.md", func(b *bytes.Buffer) error {
			ew := &errWriter{w: b}
			writeStrategiesMarkdown(ew, r)
			return ew.err
		}},
		{"strategies.html", func(b *bytes.Buffer) error {
			h, err := strategiesHTML(r)
			b.WriteString(string(h))
			return err
		}},
	} {
		var b bytes.Buffer
		require.NoError(t, tc.f(&b))
		golden(t, tc.file, b.Bytes())
	}
}
