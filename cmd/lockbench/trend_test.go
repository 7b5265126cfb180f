package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/outcome"
	"lockbench/vocab"
)

// writeSeries writes one run directory per level under a new folder, with ten ok trials of one
// cell around the level (overhead, seconds) and commit c<i>, and returns the folder.
func writeSeries(t *testing.T, levels []float64) string {
	t.Helper()
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	const cell = "mode=threaded/threads=4/coordination=on/lock-retry=off/employees=2000/years=2025-2027/competitor=none/seed=1"
	t0 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	for i, lv := range levels {
		at := t0.Add(time.Duration(i) * time.Hour)
		id := fmt.Sprintf("r%03d", i)
		dir := filepath.Join(root, at.Format("20060102T150405Z")+"-"+id)
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, history.WriteManifest(dir, history.Manifest{
			SchemaVersion: history.SchemaVersion, ID: id, CreatedAt: at, Commit: fmt.Sprintf("c%03d", i),
			Scenario: json.RawMessage(`{"name":"quick"}`),
			Workload: &history.WorkloadIdentity{Kind: "sim", Digest: "sha256:x", Cells: map[string]string{cell: "w1"}},
		}))
		var b bytes.Buffer
		for k := range 10 {
			x := lv * (1 + 0.02*rng.NormFloat64())
			line, err := json.Marshal(history.Trial{Cell: cell, Trial: k, Outcome: outcome.Outcome{Kind: vocab.OK}, WallS: x + 1, SQLS: 1, OverheadS: x})
			require.NoError(t, err)
			b.Write(append(line, '\n'))
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, history.HistoryFile), b.Bytes(), 0o644))
	}
	return root
}

func TestTrendExitCodes(t *testing.T) {
	levels := make([]float64, 20)
	for i := range levels {
		levels[i] = 0.5
		if i >= 12 {
			levels[i] = 0.6
		}
	}
	step := writeSeries(t, levels)
	code, out, stderr := lockbench(t, "trend", step)
	assert.Equal(t, int(exitcode.Fail), code, stderr)
	assert.Contains(t, out, "FAIL    mode=threaded")
	assert.Contains(t, out, "regression: +20")
	assert.Contains(t, out, "from commit c012 (run r012)")
	assert.Contains(t, out, "run r011 → r012")

	code, _, _ = lockbench(t, "trend", "--fail-on-regression=false", step)
	assert.Equal(t, int(exitcode.Pass), code, "reported, not failed")
	code, out, _ = lockbench(t, "trend", "--format", "md", step)
	assert.Equal(t, int(exitcode.Fail), code)
	assert.Contains(t, out, "## lockbench trend: ❌ regression")
	code, _, _ = lockbench(t, "trend", "--min-change", "30%", step)
	assert.Equal(t, int(exitcode.Pass), code, "a change below --min-change does not count")

	html := filepath.Join(t.TempDir(), "trend.html")
	code, out, stderr = lockbench(t, "trend", "--format", "html", "--out", html, step)
	assert.Equal(t, int(exitcode.Fail), code)
	assert.Empty(t, out)
	assert.Contains(t, stderr, "wrote "+html+" (verdict fail)")
	page, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.Contains(t, string(page), "<svg")

	code, out, _ = lockbench(t, "trend", writeSeries(t, []float64{1, 1, 1, 1, 1, 1, 1, 1}))
	assert.Equal(t, int(exitcode.Pass), code, out)
	assert.Contains(t, out, "verdict: PASS")

	code, out, _ = lockbench(t, "trend", writeSeries(t, []float64{1, 1, 1}))
	assert.Equal(t, int(exitcode.Unknown), code, out)
	assert.Contains(t, out, "3 runs: too few to decide (5 needed)")

	code, out, _ = lockbench(t, "--help")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "\n  trend ")
}

func TestTrendBadInput(t *testing.T) {
	good := writeSeries(t, []float64{1, 1, 1})
	broken := writeSeries(t, []float64{1, 1})
	require.NoError(t, os.WriteFile(filepath.Join(broken, "20261101T090000Z-r000", "manifest.json"), []byte("{"), 0o644))
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no path", []string{"trend"}, "requires at least 1 arg"},
		{"missing path", []string{"trend", filepath.Join(t.TempDir(), "gone")}, "no such file or directory"},
		{"no run directory", []string{"trend", t.TempDir()}, "no run directory"},
		{"malformed manifest", []string{"trend", broken}, "manifest.json"},
		{"bad format", []string{"trend", "--format", "pdf", good}, `--format "pdf"`},
		{"bad metric", []string{"trend", "--metric", "cpu", good}, `--metric "cpu"`},
		{"bad min change", []string{"trend", "--min-change", "lots", good}, `--min-change "lots"`},
		{"bad alpha", []string{"trend", "--alpha", "2", good}, "--alpha 2"},
		{"unknown cell", []string{"trend", "--cell", "mode=nosuch", good}, `--cell "mode=nosuch": no run has this cell`},
		{"bad filter", []string{"trend", "--filter", "colour=red", good}, `unknown axis "colour"`},
		{"unwritable out", []string{"trend", "--out", filepath.Join(t.TempDir(), "no", "dir", "x.txt"), good}, "--out"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := lockbench(t, tc.args...)
			assert.Equal(t, int(exitcode.Usage), code, stderr)
			assert.Contains(t, stderr, tc.stderr)
		})
	}
}

// TestRunTrend runs the trend command without cobra: bad input has exit code 2 from where it
// was found (history's reader, trend's options), and --fail-on-regression=false turns a
// regression into exit 0.
func TestRunTrend(t *testing.T) {
	ctx := context.Background()
	levels := make([]float64, 12)
	for i := range levels {
		levels[i] = 0.5
		if i >= 6 {
			levels[i] = 0.6
		}
	}
	step := writeSeries(t, levels)
	var out bytes.Buffer
	err := runTrend(ctx, &trendOptions{Paths: []string{step}, Metric: "overhead", MinChange: "5%", Format: "text", FailOnRegression: true}, &out, &bytes.Buffer{})
	assert.Equal(t, exitcode.Fail, exitcode.Of(err), out.String())
	assert.Contains(t, out.String(), "slower from commit c006 (run r006)")
	err = runTrend(ctx, &trendOptions{Paths: []string{step}, Metric: "overhead", MinChange: "5%", Format: "json"}, &bytes.Buffer{}, &bytes.Buffer{})
	assert.Equal(t, exitcode.Pass, exitcode.Of(err))

	for _, tc := range []struct {
		name string
		opts trendOptions
		want string
	}{
		{"missing path", trendOptions{Paths: []string{filepath.Join(t.TempDir(), "gone")}}, "no such file or directory"},
		{"no run under it", trendOptions{Paths: []string{t.TempDir()}}, "no run directory"},
		{"bad metric", trendOptions{Paths: []string{step}, Metric: "cpu"}, `--metric "cpu"`},
		{"bad filter", trendOptions{Paths: []string{step}, Filter: "colour=red"}, `unknown axis "colour"`},
		{"bad min change", trendOptions{Paths: []string{step}, MinChange: "lots"}, `--min-change "lots"`},
		{"bad format", trendOptions{Paths: []string{step}, Format: "pdf"}, `--format "pdf"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts
			if o.Format == "" {
				o.Format = "text"
			}
			if o.MinChange == "" {
				o.MinChange = "5%"
			}
			err := runTrend(ctx, &o, &bytes.Buffer{}, &bytes.Buffer{})
			require.Error(t, err)
			assert.Equal(t, exitcode.Usage, exitcode.Of(err), "%v", err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
