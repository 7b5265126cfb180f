package outcome_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/outcome"
	"lockbench/vocab"
)

// open opens dsn with the real driver and runs a query, so the database is really opened.
func open(dsn string) error {
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return fmt.Errorf("open %s: %w", dsn, err)
	}
	defer db.Close()
	return db.QueryRow("SELECT 1").Scan(new(int))
}

// TestBadDatabasePathRealDuckDB makes DuckDB refuse each kind of unusable path and checks that
// the error is recognised, names the path, says what to do and that the file was not touched.
func TestBadDatabasePathRealDuckDB(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(text, []byte("hello, not a database\n"), 0o644))
	tests := []struct {
		name   string
		dsn    string
		path   string
		reason string
		advice string
	}{
		{"directory", dir, dir, outcome.PathIsDirectory, "give the path of a file"},
		{"missing directory", filepath.Join(dir, "no", "such", "x.duckdb"), filepath.Join(dir, "no", "such", "x.duckdb"), outcome.PathNoParent, "mkdir -p " + filepath.Join(dir, "no", "such")},
		{"parent is a file", filepath.Join(text, "x.duckdb"), filepath.Join(text, "x.duckdb"), outcome.PathParentNotDir, "choose another path"},
		{"not a database", text, text, outcome.PathNotDuckDB, "left it untouched"},
		{"read-only open of a missing file", filepath.Join(dir, "gone.duckdb") + "?access_mode=read_only", filepath.Join(dir, "gone.duckdb"), outcome.PathMissing, "--create"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := os.ReadFile(text)
			err := open(tc.dsn)
			require.Error(t, err)
			bp, ok := outcome.BadDatabasePath(err)
			require.True(t, ok, "not recognised: %v", err)
			assert.Equal(t, tc.reason, bp.Reason)
			assert.Equal(t, tc.path, bp.Path)
			assert.Contains(t, bp.Error(), tc.path)
			assert.Contains(t, bp.Error(), tc.advice)
			assert.NotContains(t, bp.Error(), "\n")
			o := outcome.Classify(err)
			assert.Equal(t, vocab.Error, o.Kind)
			assert.Equal(t, vocab.SubBadPath, o.Sub)
			// The same text from a child process's stderr is recognised too.
			assert.Equal(t, vocab.SubBadPath, outcome.ClassifyText("worker: "+err.Error()).Sub)
			after, _ := os.ReadFile(text)
			assert.Equal(t, before, after, "the file was changed")
			_, statErr := os.Stat(filepath.Join(dir, "no"))
			assert.True(t, errors.Is(statErr, os.ErrNotExist), "a directory was created")
		})
	}
}

func TestBadDatabasePathText(t *testing.T) {
	const p = database + `IO Error: Cannot open file "/data/sim.duckdb": Permission denied`
	tests := []struct {
		name   string
		msg    string
		reason string
	}{
		{"permission", p, outcome.PathPermission},
		{"read-only file system", database + `IO Error: Cannot open file "/ro/sim.duckdb": Read-only file system`, outcome.PathReadOnlyFS},
		// A model reading a missing CSV is not a bad database path: the driver did not fail to
		// connect.
		{"missing csv in a query", `IO Error: Cannot open file "/data/seed.csv": No such file or directory`, ""},
		{"lock conflict", database + `IO Error: Could not set lock on file "/d/a.db": Conflicting lock is held in /usr/bin/duckdb (PID 7)`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bp, ok := outcome.BadDatabasePath(errors.New(tc.msg))
			if tc.reason == "" {
				assert.False(t, ok, "recognised: %v", bp)
				return
			}
			require.True(t, ok)
			assert.Equal(t, tc.reason, bp.Reason)
			assert.True(t, strings.HasPrefix(bp.Path, "/"), bp.Path)
		})
	}
	// A check made before opening is recognised through wrapping.
	pre := &outcome.BadPathError{Path: "/tmp/x", Reason: outcome.PathIsDirectory}
	bp, ok := outcome.BadDatabasePath(fmt.Errorf("simulate: %w", pre))
	require.True(t, ok)
	assert.Same(t, pre, bp)
	assert.Equal(t, vocab.SubBadPath, outcome.Classify(fmt.Errorf("simulate: %w", pre)).Sub)
}

const database = outcome.DriverPrefix
