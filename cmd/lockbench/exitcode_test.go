package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/harness"
	"lockbench/harness/competitor"
	"lockbench/harness/repro"
	"lockbench/internal/exitcode"
	"lockbench/release"
	"lockbench/scenarios"
	"lockbench/sim"
	"lockbench/watch"
)

// TestBadInputCarriesItsCode calls the library functions that refuse a user's input directly:
// each error carries exit code 2 from where it was made, so the CLI only maps codes and never
// has to recognise an error by its type or by fs.ErrNotExist.
func TestBadInputCarriesItsCode(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	second := func(_ any, err error) error { return err }
	third := func(_, _ any, err error) error { return err }
	notDir := filepath.Join(dir, "file")
	require.NoError(t, os.WriteFile(notDir, []byte("x"), 0o644))
	tests := []struct {
		name string
		err  error
	}{
		{"unknown matrix", second(scenarios.Load("nosuch"))},
		{"bad filter", second(scenarios.Filter(nil, "bogus=1"))},
		{"bad years in a filter", second(scenarios.Filter(nil, "years=2029-2025"))},
		{"bad shard", third(scenarios.ResolveShard("5/4", os.Getenv))},
		{"unknown release", second(release.Lookup("0.0.1"))},
		{"unknown repro case", second(repro.Select([]string{"nosuch"}))},
		{"bad cooperate arguments", second(competitor.ParseCoopArgs(nil))},
		{"bad sim years", second(sim.Config{DBPath: filepath.Join(dir, "x.duckdb"), Threads: 1, Employees: 100, Years: []int{2025, 2025}}.Validate())},
		{"bad sim threads", second(sim.Config{DBPath: filepath.Join(dir, "x.duckdb"), Employees: 100, Years: []int{2025}}.Validate())},
		{"bad sim scenario", second(sim.Config{DBPath: filepath.Join(dir, "x.duckdb"), Threads: 1, Employees: 100, Years: []int{2025}, Scenario: "nope"}.Validate())},
		{"missing params directory", second(sim.Config{DBPath: filepath.Join(dir, "x.duckdb"), Threads: 1, Employees: 100, Years: []int{2025}, ParamsDir: filepath.Join(dir, "none")}.Validate())},
		{"missing resume directory", second(harness.Execute(ctx, harness.Options{Resume: filepath.Join(dir, "gone")}))},
		{"runs directory under a file", second(harness.Execute(ctx, harness.Options{RunsDir: filepath.Join(notDir, "runs"), Scenario: mustLoad(t, "testdata/tiny.yaml")}))},
		{"command that cannot start", second(watch.RunCommand(ctx, watch.CommandOptions{Args: []string{filepath.Join(dir, "no-such-command")}}))},
		{"database path that is a directory", checkDBPath(dir, true)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Error(t, tc.err)
			assert.Equal(t, exitcode.Usage, exitcode.Of(tc.err), "%v", tc.err)
		})
	}
}

func mustLoad(t *testing.T, name string) *scenarios.Scenario {
	t.Helper()
	s, err := scenarios.Load(name)
	require.NoError(t, err)
	return s
}
