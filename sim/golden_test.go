package sim

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lockbench/vocab"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestDataIsPinned digests every simulation table of one seeded run (2,000 employees × 3
// years, threaded) and compares the digests with testdata/data.golden, recorded before the
// models were last made faster: a rewrite of a model for speed must not move a single row.
// DuckDB's hash() is stable within a DuckDB version only; after linking another DuckDB, check
// that every mode still agrees (TestEveryModeProducesIdenticalData) and rewrite the file with
// go test ./sim -run TestDataIsPinned -update.
func TestDataIsPinned(t *testing.T) {
	if testing.Short() {
		t.Skip("a 2,000-employee run: skipped by -short, run by CI")
	}
	cfg := smallConfig(t, vocab.Threaded, true)
	cfg.Employees, cfg.Seed = 2000, 42
	_, err := validRun(context.Background(), cfg)
	require.NoError(t, err)
	db, err := sql.Open("duckdb", DSN(cfg.DBPath, 0, true))
	require.NoError(t, err)
	defer db.Close()
	tables, err := FingerprintedTables()
	require.NoError(t, err)
	fps, err := FingerprintTables(context.Background(), db, tables, false)
	require.NoError(t, err)
	var b strings.Builder
	for _, f := range fps {
		fmt.Fprintf(&b, "%s %d %s\n", f.Table, f.Rows, f.Hash)
	}
	path := filepath.Join("testdata", "data.golden")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./sim -run TestDataIsPinned -update")
	require.Equal(t, string(want), b.String(), "the simulation's data moved")
}
