package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/release"
	"lockbench/vocab"
)

// A bench whose cells name a DuckDB release lockbench cannot have stops before any trial,
// with exit code 2 and what to do: an unknown release, a --duckdb-binary that links another
// release (this test binary is lockbench linking 2.0.0), and no Go toolchain to build one.
func TestBenchRefusesUnavailableReleases(t *testing.T) {
	self, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
		return p
	}
	const head = "workload: sim\ntrials: 1\nwarmup: 0\ndefaults: {employees: 200, years: 2025}\n"
	cell := write("cell.yaml", head+"matrix: {duckdb: [1.5.6]}\n")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown release", []string{"-m", write("unknown.yaml", head+"matrix: {duckdb: [9.9.9]}\n")}, nil,
			`unknown DuckDB release "9.9.9"`},
		{"binary of another release", []string{"-m", cell, "--duckdb-binary", "1.5.6=" + self}, nil,
			"the lockbench binary for DuckDB 1.5.6 (" + self + ") links DuckDB 2.0.0"},
		{"competitor's binary of another release", []string{"-m", write("comp.yaml", head+"matrix: {competitor: [{kind: reader-process, duckdb: 1.5.6}]}\n"), "--duckdb-binary", "1.5.6=" + self}, nil,
			"links DuckDB 2.0.0"},
		{"no go toolchain", []string{"-m", cell}, map[string]string{"PATH": t.TempDir(), "LOCKBENCH_CACHE": t.TempDir()},
			"building it needs the Go toolchain"},
		{"bad --duckdb-binary", []string{"-m", cell, "--duckdb-binary", "1.5.6"}, nil, "write RELEASE=PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			runs := filepath.Join(t.TempDir(), "runs")
			code, _, stderr := lockbench(t, append([]string{"bench", "--runs", runs}, tt.args...)...)
			assert.Equal(t, int(exitcode.Usage), code, stderr)
			assert.Contains(t, stderr, tt.want)
			_, err := os.Stat(runs)
			assert.True(t, os.IsNotExist(err), "no run directory: nothing ran")
		})
	}
}

// `trial create-empty` makes an empty database in this binary's format, or the one asked for.
func TestTrialCreateEmpty(t *testing.T) {
	dir := t.TempDir()
	for storage, want := range map[string]int{"": 69, "v1.5.0": 68, "v1.0.0": 64} {
		path := filepath.Join(dir, "e"+storage+".duckdb")
		args := []string{"trial", "create-empty", path}
		if storage != "" {
			args = append(args, "--storage-version", storage)
		}
		code, _, stderr := lockbench(t, args...)
		require.Equal(t, 0, code, stderr)
		v, err := release.ReadStorageVersion(path)
		require.NoError(t, err)
		assert.Equal(t, want, v.Number, storage)
		left, _ := filepath.Glob(path + ".tmp*")
		assert.Empty(t, left)
	}
	code, _, stderr := lockbench(t, "trial", "create-empty", filepath.Join(dir, "x.duckdb"), "--storage-version", "v9")
	assert.Equal(t, int(exitcode.Usage), code)
	assert.Contains(t, stderr, `--storage-version "v9"`)
}

// The built-in upgrade matrix's expectations hold: one trial of each threaded cell, on
// DuckDB 1.5.6 (built from this source, as bench builds it) and on 2.0.0 (this binary), has
// the outcome its cell expects, and every record names the releases that ran.
func TestUpgradeMatrixExpectations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a DuckDB 1.5.6 lockbench and runs 7 trials: skipped by -short")
	}
	runs := t.TempDir()
	code, _, stderr := lockbench(t, "bench", "-m", "upgrade", "--filter", "mode=threaded", "--trials", "1", "--warmup", "0",
		"--runs", runs, "--no-report", "--quiet")
	require.Equal(t, 0, code, stderr)
	dir, err := filepath.EvalSymlinks(filepath.Join(runs, "latest"))
	require.NoError(t, err)
	trials, err := history.ReadTrials(dir)
	require.NoError(t, err)
	require.Len(t, trials, 7)
	for _, tr := range trials {
		assert.True(t, contains(tr.Expected, string(tr.Outcome.Kind)), "%s: expected %s, got %s: %s", tr.Cell, tr.Expected, tr.Outcome.Kind, tr.Outcome.Message)
		assert.Equal(t, tr.Params["duckdb"], tr.DuckDB, tr.Cell)
		if tr.Outcome.Kind == vocab.StorageFormat {
			assert.Equal(t, "1.5.6", tr.Outcome.OpenerDuckDB, tr.Cell)
		}
		if tr.Params["competitor"] == "none" {
			assert.Empty(t, tr.Competitors, tr.Cell)
			continue
		}
		require.Len(t, tr.Competitors, 1, tr.Cell)
		assert.NotEqual(t, tr.DuckDB, tr.Competitors[0].DuckDB, "%s: the competitor runs the other release", tr.Cell)
		assert.Contains(t, tr.Params["competitor"], "duckdb="+tr.Competitors[0].DuckDB, tr.Cell)
	}
	m, err := history.ReadManifest(dir)
	require.NoError(t, err)
	assert.Equal(t, []string{"1.5.6", "2.0.0"}, m.Releases)
}

func contains(expect, kind string) bool {
	for e := range strings.SplitSeq(expect, "|") {
		if e == kind {
			return true
		}
	}
	return false
}
