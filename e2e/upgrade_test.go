package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/vocab"
)

// TestShippedUpgradePipeline runs examples/upgrade-pipeline.yaml as the README says, one trial
// per cell: the pipeline (lockbench simulate, DuckDB 2.0.0) next to viewers on DuckDB 1.5.6 (a
// lockbench binary bench builds from this source) and 2.0.0, on a file in the 1.x format and in
// the 2.0 format. A viewer that can read the file holds it, so the pipeline meets its lock; a
// 1.5.6 viewer of a 2.0-format file cannot open it at all.
func TestShippedUpgradePipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a DuckDB 1.5.6 lockbench (once per source version): skipped by -short")
	}
	dir := userDir(t)
	code, out, stderr := lockbench(t, dir, "bench", "-m", "examples/upgrade-pipeline.yaml", "--trials", "1", "--warmup", "0")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, out, "verdict: PASS")
	trials := latestTrials(t, filepath.Join(dir, "runs"))
	require.Len(t, trials, 6, "2 storage versions × 3 competitors")
	self := filepath.Join(bin, "lockbench")
	for _, tr := range trials {
		format := tr.Params["storage-version"]
		comp := tr.Params["competitor"]
		assert.Equal(t, "2.0.0", tr.DuckDB, "%s: the trial process that made the file and checked the data", tr.Cell)
		wantStorage := map[string]int{"v1.0.0": 64, "v2.0.0": 69}[format]
		assert.Equal(t, wantStorage, tr.StorageVersion, "%s: the pipeline keeps the file's format", tr.Cell)
		switch {
		case comp == "none":
			checkOK(t, tr)
			assert.Empty(t, tr.Competitors)
		case comp == "reader-process(duckdb=1.5.6)" && format == "v2.0.0":
			require.Equal(t, vocab.StorageFormat, tr.Outcome.Kind, "%s: %s", tr.Cell, tr.Outcome.Message)
			assert.Equal(t, "1.5.6", tr.Outcome.OpenerDuckDB)
			assert.Equal(t, []string{"2.0.0"}, tr.Outcome.ReadableBy)
			require.Len(t, tr.Competitors, 1)
			assert.Equal(t, "1.5.6", tr.Competitors[0].DuckDB)
		case comp == "reader-process(duckdb=2.0.0)":
			checkConflict(t, tr, true) // the holder is the lockbench on PATH
			require.Len(t, tr.Competitors, 1)
			assert.Equal(t, "2.0.0", tr.Competitors[0].DuckDB, tr.Cell)
		default:
			// A 1.5.6 viewer of a 1.x file: it holds the file, and it is a lockbench binary
			// of that release, not the one on PATH.
			o := tr.Outcome
			require.Equal(t, vocab.LockConflict, o.Kind, "%s: %s", tr.Cell, o.Message)
			assert.Equal(t, vocab.RoleCompetitor, o.HolderRole, tr.Cell)
			assert.NotEqual(t, self, o.HolderExe, tr.Cell)
			assert.Contains(t, o.HolderExe, "duckdb-1.5.6", tr.Cell)
			_, err := os.Stat(o.HolderExe)
			assert.NoError(t, err, tr.Cell)
			require.Len(t, tr.Competitors, 1)
			assert.Equal(t, "1.5.6", tr.Competitors[0].DuckDB, tr.Cell)
		}
	}
}
