package history

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/internal/exitcode"
	"lockbench/outcome"
	"lockbench/scenarios"
	"lockbench/trace"
	"lockbench/vocab"
)

// writeDir writes a run directory with a manifest and a history of lines, verbatim.
func writeDir(t *testing.T, dir string, m Manifest, history string) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, WriteManifest(dir, m))
	require.NoError(t, os.WriteFile(filepath.Join(dir, HistoryFile), []byte(history), 0o644))
	return dir
}

func okLine(cell string, trial int, wall float64) string {
	b, _ := json.Marshal(Trial{Cell: cell, Trial: trial, Outcome: outcome.Outcome{Kind: vocab.OK, Message: "m"}, WallS: wall, SQLS: 1, OverheadS: wall - 1,
		DuckDB: "2.0.0", Driver: "v2.20000.0", Competitors: []CompetitorRelease{{Kind: "reader-process", DuckDB: "1.5.6"}},
		OverheadByKind: map[trace.Kind]float64{trace.Open: 0.5}, Spans: []trace.Span{{Kind: trace.Model, Name: "x", End: 1}}})
	return string(b) + "\n"
}

func TestReadRun(t *testing.T) {
	dir := writeDir(t, t.TempDir(), Manifest{SchemaVersion: SchemaVersion, ID: "r1"},
		okLine("mode=a", 1, 2)+"\n"+okLine("mode=a", 2, 3)+`{"cell":"mode=a","trial":3,"outco`)
	run, err := ReadRun(dir)
	require.NoError(t, err)
	assert.Equal(t, "r1", run.Manifest.ID)
	require.Len(t, run.Trials, 2, "the blank line is skipped, the torn last line ignored")
	assert.True(t, run.TornLine)
	assert.Equal(t, []string{filepath.Join(dir, HistoryFile) + " ends in a partial line (a crash mid-write); it was ignored"}, run.Notes())
	assert.Equal(t, 3.0, run.Trials[1].WallS)
	assert.Equal(t, 0.5, run.Trials[1].OverheadByKind[trace.Open])
	assert.Len(t, run.Trials[0].Spans, 1)

	// The same run, timings only: the figures and the workload's release are the same, the rest
	// is left out.
	runs, err := ReadRuns(context.Background(), []string{dir}, ReadOptions{TimingsOnly: true})
	require.NoError(t, err)
	require.Len(t, runs, 1)
	lite := runs[0].Trials[1]
	assert.Equal(t, Trial{Cell: "mode=a", Trial: 2, Outcome: outcome.Outcome{Kind: vocab.OK}, WallS: 3, SQLS: 1, OverheadS: 2, DuckDB: "2.0.0"}, lite)

	// No history: no trials, and a note.
	bare := t.TempDir()
	require.NoError(t, WriteManifest(bare, Manifest{SchemaVersion: SchemaVersion, ID: "r2"}))
	run, err = ReadRun(bare)
	require.NoError(t, err)
	assert.True(t, run.NoHistory)
	assert.Empty(t, run.Trials)
	assert.Contains(t, run.Notes()[0], "no trials recorded")
	_, err = ReadRuns(context.Background(), []string{bare}, ReadOptions{NeedHistory: true})
	assert.ErrorContains(t, err, bare+" has no history.ndjson: the run recorded no trial")
	assert.Equal(t, exitcode.Usage, exitcode.Of(err))
}

// TestReadRunRefusesBadLines checks the one rule for whole lines: malformed JSON, a line
// without a cell, an ok trial without a timing and a timing no trial can have are errors naming
// the file and line, in both decodings, with exit code 2.
func TestReadRunRefusesBadLines(t *testing.T) {
	good := okLine("mode=a", 1, 2)
	tests := []struct {
		name, bad, want string
	}{
		{"malformed", "not json", ":2: malformed trial"},
		{"no cell", `{"trial":3,"outcome":{"kind":"ok"},"wall_s":1,"sql_s":1,"overhead_s":0}`, ":2: corrupt trial: no cell"},
		{"missing wall", `{"cell":"mode=a","trial":3,"outcome":{"kind":"ok"},"sql_s":1,"overhead_s":0.5}`, ":2: corrupt trial mode=a #3: an ok trial without wall_s (missing or null)"},
		{"null overhead", `{"cell":"mode=a","trial":3,"outcome":{"kind":"ok"},"wall_s":1,"sql_s":1,"overhead_s":null}`, ":2: corrupt trial mode=a #3: an ok trial without overhead_s"},
		{"negative sql", `{"cell":"mode=a","trial":3,"outcome":{"kind":"ok"},"wall_s":1,"sql_s":-1,"overhead_s":0}`, ":2: corrupt trial mode=a #3: sql_s -1 is negative"},
		{"absurd kind", `{"cell":"mode=a","trial":3,"outcome":{"kind":"ok"},"wall_s":1,"sql_s":1,"overhead_s":0,"overhead_by_kind":{"spawn":1e300}}`, ":2: corrupt trial mode=a #3: overhead_by_kind.spawn 1e+300 is more than a year"},
		{"absurd failed trial", `{"cell":"mode=a","trial":3,"outcome":{"kind":"timeout"},"wall_s":1e300}`, ":2: corrupt trial mode=a #3: wall_s 1e+300 is more than a year"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeDir(t, t.TempDir(), Manifest{SchemaVersion: SchemaVersion, ID: "r"}, good+tc.bad+"\n"+good)
			for _, timingsOnly := range []bool{false, true} {
				_, err := ReadRuns(context.Background(), []string{dir}, ReadOptions{TimingsOnly: timingsOnly})
				require.Error(t, err)
				assert.Contains(t, err.Error(), filepath.Join(dir, HistoryFile)+tc.want)
				var ie *InputError
				assert.True(t, errors.As(err, &ie))
				assert.Equal(t, exitcode.Usage, exitcode.Of(err))
				if tc.name != "malformed" {
					assert.ErrorIs(t, err, ErrCorrupt)
				}
			}
		})
	}
	// A trial that failed may lack its timings.
	dir := writeDir(t, t.TempDir(), Manifest{ID: "r"}, good+`{"cell":"mode=a","trial":4,"outcome":{"kind":"lock-conflict"}}`+"\n")
	run, err := ReadRun(dir)
	require.NoError(t, err)
	assert.Len(t, run.Trials, 2)
}

// TestReadRunsPaths checks which paths are run directories, and that every other path is bad
// input naming it.
func TestReadRunsPaths(t *testing.T) {
	root := t.TempDir()
	a := writeDir(t, filepath.Join(root, "a"), Manifest{ID: "a"}, okLine("mode=a", 1, 2))
	b := writeDir(t, filepath.Join(root, "nested", "b"), Manifest{ID: "b"}, okLine("mode=a", 1, 2))
	require.NoError(t, os.Symlink("a", filepath.Join(root, "latest")))
	file := filepath.Join(root, "file.txt")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	empty := t.TempDir()
	ctx := context.Background()

	runs, err := ReadRuns(ctx, []string{root, filepath.Join(root, "latest"), a}, ReadOptions{Search: true})
	require.NoError(t, err)
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.Manifest.ID)
	}
	assert.Equal(t, []string{"a", "b"}, ids, "every run once, in path order; runs/latest is not read twice")

	runs, err = ReadRuns(ctx, []string{b, a}, ReadOptions{})
	require.NoError(t, err)
	assert.Equal(t, "b", runs[0].Manifest.ID)

	for _, tc := range []struct {
		name   string
		paths  []string
		search bool
		want   string
	}{
		{"missing", []string{filepath.Join(root, "gone")}, false, "gone: no such file or directory: name a run directory (with manifest.json)"},
		{"missing, search", []string{filepath.Join(root, "gone")}, true, "gone: no such file or directory: name a run directory (with manifest.json) or a folder of them"},
		{"a file", []string{file}, false, "file.txt is not a directory"},
		{"a folder of runs", []string{root}, false, root + " is not a run directory: it has no manifest.json"},
		{"no run under it", []string{empty}, true, empty + ": no run directory (a directory with manifest.json) at or under it"},
		{"nothing", nil, false, "no run directory given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadRuns(ctx, tc.paths, ReadOptions{Search: tc.search})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, exitcode.Usage, exitcode.Of(err))
			if tc.paths != nil {
				assert.ErrorIs(t, err, ErrNotRunDir)
			}
		})
	}

	// A malformed manifest names the file.
	require.NoError(t, os.WriteFile(filepath.Join(b, ManifestFile), []byte("{"), 0o644))
	_, err = ReadRuns(ctx, []string{root}, ReadOptions{Search: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(b, ManifestFile))
	assert.Equal(t, exitcode.Usage, exitcode.Of(err))

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = ReadRuns(canceled, []string{a}, ReadOptions{})
	assert.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, exitcode.Unknown, exitcode.Of(err), "interrupted, not broken")
}

// TestManifestTargets reads the targets of a version 2 manifest from its raw scenario, and those
// of a version 3 manifest from their own field; a bad target is bad input naming the file.
func TestManifestTargets(t *testing.T) {
	s, err := scenarios.Parse("t.yaml", []byte(`
defaults: {employees: 100, years: 2025-2026}
matrix:
  mode: [sequential, threaded]
  competitor: [none, readers, {kind: readers, count: 4}]
expect:
  - cells: {competitor: readers}
    outcome: ok
    note: readers never block
targets:
  - name: readers
    metric: wall
    baseline: {mode: sequential, competitor: readers}
    candidate: {mode: threaded, competitor: none}
    reduction: 0.1
`))
	require.NoError(t, err)
	eff, err := s.Effective()
	require.NoError(t, err)
	want := s.ResolvedTargets()
	require.Len(t, want, 1)
	assert.Equal(t, []string{
		"mode=sequential/threads=1/coordination=on/lock-retry=off/employees=100/years=2025-2026/competitor=readers/seed=1",
		"mode=sequential/threads=1/coordination=on/lock-retry=off/employees=100/years=2025-2026/competitor=readers(count=4)/seed=1",
	}, want[0].BaselineCells, "a bare competitor kind matches every option set of that kind")

	old := t.TempDir()
	require.NoError(t, WriteManifest(old, Manifest{SchemaVersion: 2, ID: "old", Scenario: eff}))
	cur := t.TempDir()
	require.NoError(t, WriteManifest(cur, Manifest{SchemaVersion: SchemaVersion, ID: "new", Scenario: eff, Targets: want, Expectations: s.Expectations}))
	for _, dir := range []string{old, cur} {
		m, err := ReadManifest(dir)
		require.NoError(t, err)
		assert.Equal(t, want, m.Targets, dir)
		assert.Equal(t, s.Expectations, m.Expectations, dir)
		assert.Equal(t, "t", m.ScenarioName())
		assert.Len(t, m.CellOrder(), 6)
	}
	// A version 3 manifest means its own fields, not the raw scenario's.
	bare := t.TempDir()
	require.NoError(t, WriteManifest(bare, Manifest{SchemaVersion: SchemaVersion, ID: "bare", Scenario: eff}))
	m, err := ReadManifest(bare)
	require.NoError(t, err)
	assert.Empty(t, m.Targets)

	// Manifests written before the cell lists: nil lists (the selectors decide); no name: target-N.
	for _, tc := range []struct {
		scenario, want string
	}{
		{`{"targets":[{"metric":"overhead","baseline":{"mode":"a"},"candidate":{"mode":"b"},"reduction":0.5}]}`, ""},
		{`{"targets":[{"name":"x","metric":"p99","baseline":{"mode":"a"},"candidate":{"mode":"b"},"reduction":0.5}]}`, `metric "p99"`},
		{`{"targets":[{"name":"x","metric":"wall","baseline":{"mode":"a"},"candidate":{"mode":"b"},"reduction":65}]}`, "reduction 65"},
		{`{"targets":{}}`, "scenario: json"},
	} {
		dir := t.TempDir()
		require.NoError(t, WriteManifest(dir, Manifest{SchemaVersion: 1, ID: "v1", Scenario: json.RawMessage(tc.scenario)}))
		m, err := ReadManifest(dir)
		if tc.want != "" {
			require.Error(t, err, tc.scenario)
			assert.Contains(t, err.Error(), filepath.Join(dir, ManifestFile))
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, exitcode.Usage, exitcode.Of(err))
			continue
		}
		require.NoError(t, err)
		require.Len(t, m.Targets, 1)
		assert.Equal(t, "target-1", m.Targets[0].Name)
		assert.Nil(t, m.Targets[0].BaselineCells)
		assert.Equal(t, vocab.Overhead, m.Targets[0].Metric)
	}
	// A null scenario has no targets.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, ManifestFile), []byte(`{"schema_version":1,"id":"x","scenario":null}`), 0o644))
	m, err = ReadManifest(dir)
	require.NoError(t, err)
	assert.Empty(t, m.Targets)
}

func TestTrialCheck(t *testing.T) {
	ok := Trial{Cell: "c", Trial: 2, WallS: 1, SQLS: 0.5, OverheadS: 0.5}
	assert.NoError(t, ok.Check("run"))
	for _, bad := range []Trial{
		{Cell: "c", Trial: 2, WallS: -1},
		{Cell: "c", Trial: 2, OverheadS: MaxSeconds * 2},
		{Cell: "c", Trial: 2, OverheadByKind: map[trace.Kind]float64{trace.Open: 1e300}},
	} {
		err := bad.Check("run")
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrCorrupt)
		assert.True(t, strings.HasPrefix(err.Error(), "run: corrupt trial c #2: "), err.Error())
	}
}

func TestWorkloadRelease(t *testing.T) {
	m := Manifest{Versions: Versions{DuckDB: "v2.0.0"}}
	tests := []struct {
		name  string
		trial Trial
		want  string
	}{
		{"recorded", Trial{Cell: "mode=a/duckdb=1.5.6", DuckDB: "1.5.6"}, "1.5.6"},
		{"recorded wins over the axis", Trial{Cell: "mode=a/duckdb=1.5.6", Params: map[string]string{"duckdb": "1.5.6"}, DuckDB: "2.0.0"}, "2.0.0"},
		{"the axis in the parameters", Trial{Cell: "mode=a", Params: map[string]string{"mode": "a", "duckdb": "1.5.6"}}, "1.5.6"},
		{"the axis in the key", Trial{Cell: "mode=a/duckdb=1.4.5"}, "1.4.5"},
		{"the default axis: the manifest", Trial{Cell: "mode=a", Params: map[string]string{"duckdb": "default"}}, "2.0.0"},
		{"an old record: the manifest", Trial{Cell: "mode=a"}, "2.0.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tc.trial.WorkloadRelease(m))
		})
	}
	assert.Equal(t, "", Trial{Cell: "mode=a"}.WorkloadRelease(Manifest{Versions: Versions{DuckDB: "unknown"}}))
	assert.Equal(t, "9.9.9", ReleaseName("v9.9.9"), "a release lockbench does not know keeps its number")
}
