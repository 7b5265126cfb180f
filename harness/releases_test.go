package harness

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/release"
	"lockbench/vocab"
)

// sourceRoot is the lockbench module this test is compiled from.
func sourceRoot(t testing.TB) string {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	return root
}

// releasesScenario runs the workload on DuckDB 1.5.6 and 2.0.0, a 1.5.6 workload next to a
// 2.0.0 viewer, and a workload on the release the runner links next to a 1.5.6 viewer.
const releasesScenario = `
name: releases
workload: sim
trials: 1
warmup: 0
timeout: 5m
defaults: {employees: 200, years: 2025-2026, threads: 2, mode: threaded}
matrix:
  duckdb: [1.5.6, 2.0.0]
  competitor: [none]
include:
  - {duckdb: 1.5.6, competitor: {kind: reader-process, duckdb: 2.0.0}}
  - {competitor: {kind: reader-process, duckdb: 1.5.6}}
`

// Each cell's trial process runs the cell's release and each competitor the release it names:
// the records say so (as the trial processes themselves report it), the files have the
// storage version each release creates, both releases compute the same data, a 1.5.6 viewer of
// a file 2.0.0 created meets a storage-format error, and a 2.0.0 viewer of a 1.5.6 file holds it.
func TestCellsAndCompetitorsRunTheirReleases(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lockbench binaries of DuckDB 1.5.6 and 2.0.0 (once per source version): skipped by -short")
	}
	var progress bytes.Buffer
	bins := &release.Binaries{Source: sourceRoot(t), Progress: &progress}
	runs := t.TempDir()
	res, err := Execute(context.Background(), Options{
		Scenario: parse(t, releasesScenario), ScenarioYAML: []byte(releasesScenario), RunsDir: runs,
		Trial: testTrialCommand(), Releases: bins,
	})
	require.NoError(t, err, "build progress:\n%s", progress.String())
	trials, err := history.ReadTrials(res.Dir)
	require.NoError(t, err)
	require.Len(t, trials, 4)
	by := map[string]history.Trial{}
	for _, tr := range trials {
		by[tr.Params["duckdb"]+" "+tr.Params["competitor"]] = tr
	}
	driver := func(name string) string {
		r, err := release.Lookup(name)
		require.NoError(t, err)
		return r.Driver
	}

	for _, rel := range []string{"1.5.6", "2.0.0"} {
		tr := by[rel+" none"]
		require.Equal(t, vocab.OK, tr.Outcome.Kind, "%s: %s", tr.Cell, tr.Outcome.Message)
		assert.Equal(t, rel, tr.DuckDB, tr.Cell)
		assert.Equal(t, driver(rel), tr.Driver, tr.Cell)
		assert.Empty(t, tr.Competitors, tr.Cell)
		assert.NotEmpty(t, tr.Fingerprint, tr.Cell)
	}
	assert.Equal(t, 64, by["1.5.6 none"].StorageVersion, "1.5.6 creates the 1.x format")
	assert.Equal(t, 69, by["2.0.0 none"].StorageVersion, "2.0.0 creates its own format")
	assert.Equal(t, by["1.5.6 none"].Fingerprint, by["2.0.0 none"].Fingerprint, "both releases compute the same data")

	// A 2.0.0 viewer opens the 1.5.6 workload's file and holds it: the workload meets its lock.
	tr := by["1.5.6 reader-process(duckdb=2.0.0)"]
	require.Equal(t, vocab.LockConflict, tr.Outcome.Kind, "%s: %s", tr.Cell, tr.Outcome.Message)
	assert.Equal(t, vocab.RoleCompetitor, tr.Outcome.HolderRole)
	assert.Equal(t, "1.5.6", tr.Outcome.OpenerDuckDB)
	assert.Equal(t, "1.5.6", tr.DuckDB)
	assert.Equal(t, []history.CompetitorRelease{{Kind: "reader-process", Role: "competitor", DuckDB: "2.0.0", Driver: driver("2.0.0")}}, tr.Competitors)
	assert.Equal(t, 64, tr.StorageVersion, "a 2.0.0 reader leaves a 1.x file's format alone")

	// A 1.5.6 viewer cannot open what the runner's own release (2.0.0, from the runner's trial
	// command) created.
	tr = by["default reader-process(duckdb=1.5.6)"]
	require.Equal(t, vocab.StorageFormat, tr.Outcome.Kind, "%s: %s", tr.Cell, tr.Outcome.Message)
	assert.Equal(t, vocab.SubTooNew, tr.Outcome.Sub)
	assert.Equal(t, "1.5.6", tr.Outcome.OpenerDuckDB)
	assert.Equal(t, 69, tr.Outcome.StorageVersion)
	assert.NotContains(t, tr.Outcome.Message, "\n", "DuckDB's message only")
	assert.Contains(t, tr.Note, "reader-process (DuckDB 1.5.6) could not open the file")
	assert.Equal(t, "2.0.0", tr.DuckDB)
	assert.Equal(t, []history.CompetitorRelease{{Kind: "reader-process", Role: "competitor", DuckDB: "1.5.6", Driver: driver("1.5.6")}}, tr.Competitors)

	m, err := history.ReadManifest(res.Dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"1.5.6", "2.0.0"}, m.Releases)
	// Each release made its own empty template.
	for name, want := range map[string]int{".empty-duckdb-1.5.6.duckdb": 64, ".empty-duckdb-2.0.0.duckdb": 69, emptyDBName: 69} {
		v, err := release.ReadStorageVersion(filepath.Join(res.Dir, name))
		require.NoError(t, err, name)
		assert.Equal(t, want, v.Number, name)
	}
}

// A release that cannot be had is refused before anything runs: exit code 2, a message that
// says how to fix it, and no run directory.
func TestUnavailableReleaseRefusedBeforeAnyTrial(t *testing.T) {
	const src = `
name: r
workload: sim
trials: 1
warmup: 0
defaults: {employees: 200, years: 2025}
matrix:
  duckdb: [1.5.6]
`
	notExec := filepath.Join(t.TempDir(), "lockbench-1.5.6")
	require.NoError(t, os.WriteFile(notExec, []byte("not a program"), 0o644))
	noGo := t.TempDir() // a PATH without the go command
	tests := []struct {
		name     string
		bins     func() *release.Binaries
		scenario string
		path     string // PATH, when set
		want     string
	}{
		{"no binaries", func() *release.Binaries { return nil }, src, "", "no way to get lockbench binaries"},
		{"no source", func() *release.Binaries { return &release.Binaries{Dir: t.TempDir()} }, src, "", "source tree was not found"},
		{"no go", func() *release.Binaries { return &release.Binaries{Source: sourceRoot(t), Dir: t.TempDir()} }, src, noGo, "needs the Go toolchain"},
		{"bad override", func() *release.Binaries {
			return &release.Binaries{Source: sourceRoot(t), Dir: t.TempDir(), Override: map[string]string{"1.5.6": notExec}}
		}, src, "", "is not an executable file"},
		{"bad scenario binary", func() *release.Binaries { return &release.Binaries{Source: sourceRoot(t), Dir: t.TempDir()} },
			src + "duckdb-binaries: {1.5.6: " + notExec + "}\n", "", "the scenario's duckdb-binaries names " + notExec + " for DuckDB 1.5.6, which is not an executable file"},
		{"competitor release", func() *release.Binaries { return &release.Binaries{Dir: t.TempDir()} },
			"workload: sim\nmatrix:\n  competitor: [{kind: viewers, duckdb: 1.5.6}]\n", "", "source tree was not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.path != "" {
				t.Setenv("PATH", tt.path)
			}
			runs := t.TempDir()
			_, err := Execute(context.Background(), Options{
				Scenario: parse(t, tt.scenario), ScenarioYAML: []byte(tt.scenario), RunsDir: runs,
				Trial: testTrialCommand(), Releases: tt.bins(),
			})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Equal(t, exitcode.Usage, exitcode.Of(err), "bad input: %v", err)
			left, err := os.ReadDir(runs)
			require.NoError(t, err)
			assert.Empty(t, left, "nothing was run or written")
		})
	}
}
