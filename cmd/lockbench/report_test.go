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

	"lockbench/criteria"
	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/outcome"
	"lockbench/vocab"
)

// writeTwoCellRun writes a run directory with n ok trials each of a process-per-model cell
// (overhead around base seconds) and a threaded cell (around cand), recording m as its
// manifest (ID and time filled in), and returns the directory.
func writeTwoCellRun(t *testing.T, m history.Manifest, n int, base, cand float64, seed uint64) string {
	t.Helper()
	dir := t.TempDir()
	m.ID = fmt.Sprintf("run%d", seed)
	m.CreatedAt = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, history.WriteManifest(dir, m))
	rng := rand.New(rand.NewPCG(seed, 1))
	var b bytes.Buffer
	for _, c := range []struct {
		mode  vocab.Mode
		level float64
	}{{vocab.ProcessPerModel, base}, {vocab.Threaded, cand}} {
		key := "mode=" + string(c.mode)
		for i := range n {
			x := c.level * (1 + 0.02*rng.NormFloat64())
			line, err := json.Marshal(history.Trial{Cell: key, Trial: i + 1, Outcome: outcome.Outcome{Kind: vocab.OK},
				WallS: x + 1, SQLS: 1, OverheadS: x, Params: map[string]string{"mode": string(c.mode)}})
			require.NoError(t, err)
			b.Write(append(line, '\n'))
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, history.HistoryFile), b.Bytes(), 0o644))
	return dir
}

// overheadTarget is the S031-04 shape: threaded cuts overhead by reduction against
// process-per-model.
func overheadTarget(reduction float64) criteria.ResolvedTarget {
	return criteria.ResolvedTarget{Target: criteria.Target{Name: "threaded cuts overhead", Metric: vocab.Overhead,
		Baseline: criteria.Selector{"mode": string(vocab.ProcessPerModel)}, Candidate: criteria.Selector{"mode": string(vocab.Threaded)},
		Reduction: reduction}}
}

// TestRunReport runs the report command without cobra: the targets come from the manifest (its
// typed field, or for an older manifest its raw scenario), the exit code is the verdict, and
// --out writes the file and names the verdict on stderr.
func TestRunReport(t *testing.T) {
	ctx := context.Background()
	typed := writeTwoCellRun(t, history.Manifest{SchemaVersion: history.SchemaVersion, Targets: []criteria.ResolvedTarget{overheadTarget(0.65)}}, 12, 10, 3, 1)
	raw, err := json.Marshal(map[string]any{"name": "old", "targets": []criteria.ResolvedTarget{overheadTarget(0.8)}})
	require.NoError(t, err)
	old := writeTwoCellRun(t, history.Manifest{SchemaVersion: 2, Scenario: raw}, 12, 10, 3, 2)

	tests := []struct {
		name string
		opts reportOptions
		code exitcode.Code
		out  string
	}{
		{"typed target passes", reportOptions{Dirs: []string{typed}, Format: "text"}, exitcode.Pass, "PASS    threaded cuts overhead"},
		{"an older manifest's target fails", reportOptions{Dirs: []string{old}, Format: "md"}, exitcode.Fail, "| ❌ fail | threaded cuts overhead (overhead) |"},
		{"versus", reportOptions{Dirs: []string{typed}, Format: "text", Versus: "mode=process-per-model"}, exitcode.Pass, "vs mode=process-per-model"},
		{"json", reportOptions{Dirs: []string{typed}, Format: "json"}, exitcode.Pass, `"baseline_cells": [`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := runReport(ctx, &tc.opts, &stdout, &stderr)
			assert.Equal(t, tc.code, exitcode.Of(err), "%v", err)
			assert.True(t, exitcode.IsSilent(err), "the report said everything: %v", err)
			assert.Contains(t, stdout.String(), tc.out)
			assert.Empty(t, stderr.String())
		})
	}

	out := filepath.Join(t.TempDir(), "report.html")
	var stdout, stderr bytes.Buffer
	err = runReport(ctx, &reportOptions{Dirs: []string{old}, Format: "html", Out: out}, &stdout, &stderr)
	assert.Equal(t, exitcode.Fail, exitcode.Of(err))
	assert.Empty(t, stdout.String())
	assert.Equal(t, "wrote "+out+" (verdict fail)\n", stderr.String())
	page, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(page), "<!DOCTYPE html>")

	for _, tc := range []struct {
		name string
		opts reportOptions
		want string
	}{
		{"bad format", reportOptions{Dirs: []string{typed}, Format: "pdf"}, `--format "pdf": use text, md, json, junit, html or gobench`},
		{"not a run directory", reportOptions{Dirs: []string{t.TempDir()}, Format: "text"}, "is not a run directory: it has no manifest.json"},
		{"bad versus", reportOptions{Dirs: []string{typed}, Format: "text", Versus: "mode"}, `--versus "mode"`},
		{"unwritable out", reportOptions{Dirs: []string{typed}, Format: "text", Out: filepath.Join(t.TempDir(), "no", "x.txt")}, "--out"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runReport(ctx, &tc.opts, &bytes.Buffer{}, &bytes.Buffer{})
			require.Error(t, err)
			assert.Equal(t, exitcode.Usage, exitcode.Of(err), "%v", err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestRunCompare runs the compare command without cobra.
func TestRunCompare(t *testing.T) {
	ctx := context.Background()
	m := history.Manifest{SchemaVersion: history.SchemaVersion}
	base := writeTwoCellRun(t, m, 12, 10, 3, 1)
	same := writeTwoCellRun(t, m, 12, 10, 3, 2)
	slower := writeTwoCellRun(t, m, 12, 10, 4, 3)

	var out bytes.Buffer
	err := runCompare(ctx, &compareOptions{Base: base, New: same, Threshold: "5%", Format: "text"}, &out)
	assert.Equal(t, exitcode.Pass, exitcode.Of(err), out.String())
	assert.Contains(t, out.String(), "verdict: PASS (exit 0): no cell of 2 compared regressed beyond ±5.0%")

	out.Reset()
	err = runCompare(ctx, &compareOptions{Base: base, New: slower, Threshold: "0.05", Format: "md"}, &out)
	assert.Equal(t, exitcode.Fail, exitcode.Of(err), out.String())
	assert.Contains(t, out.String(), "## lockbench compare: ❌ fail")
	assert.Contains(t, out.String(), "1 cell(s) regressed beyond the threshold: mode=threaded")

	for _, tc := range []struct {
		name string
		opts compareOptions
		want string
	}{
		{"bad threshold", compareOptions{Base: base, New: same, Threshold: "lots", Format: "text"}, `--threshold "lots"`},
		{"bad format", compareOptions{Base: base, New: same, Threshold: "5%", Format: "html"}, `--format "html": use text, md or json`},
		{"missing base", compareOptions{Base: filepath.Join(t.TempDir(), "gone"), New: same, Threshold: "5%", Format: "text"}, "gone: no such file or directory"},
		{"new is not a run", compareOptions{Base: base, New: t.TempDir(), Threshold: "5%", Format: "json"}, "is not a run directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := runCompare(ctx, &tc.opts, &bytes.Buffer{})
			require.Error(t, err)
			assert.Equal(t, exitcode.Usage, exitcode.Of(err), "%v", err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
