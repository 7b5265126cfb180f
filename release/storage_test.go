package release_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/release"
)

// TestReadStorageVersionFixtures reads the headers of files made by real releases (the first
// 12 KiB of each, in testdata, named after the release and the setting that made it).
func TestReadStorageVersionFixtures(t *testing.T) {
	tests := []struct {
		file       string
		number     int
		compat     string
		createdBy  string
		readableBy []string
	}{
		{"1.4.5-default", 64, "v1.0.0", "v1.4.5", []string{"1.4.5", "1.5.6", "2.0.0"}},
		{"1.5.6-default", 64, "v1.0.0", "v1.5.6", []string{"1.4.5", "1.5.6", "2.0.0"}},
		{"1.5.6-compat-v1.2.0", 65, "v1.2.0", "v1.5.6", []string{"1.4.5", "1.5.6", "2.0.0"}},
		{"1.5.6-compat-v1.4.0", 67, "v1.4.0", "v1.5.6", []string{"1.4.5", "1.5.6", "2.0.0"}},
		{"1.5.6-compat-v1.5.0", 68, "v1.5.0", "v1.5.6", []string{"1.5.6", "2.0.0"}},
		{"1.5.6-default-then-written-by-2.0.0", 64, "v1.0.0", "v1.5.6", []string{"1.4.5", "1.5.6", "2.0.0"}},
		{"2.0.0-default", 69, "v2.0.0", "v2.0.0", []string{"2.0.0"}},
		{"2.0.0-compat-v1.5.0", 68, "v1.5.0", "v2.0.0", []string{"1.5.6", "2.0.0"}},
		{"2.0.0-compat-v1.0.0", 64, "v1.0.0", "v2.0.0", []string{"1.4.5", "1.5.6", "2.0.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			v, err := release.ReadStorageVersion(filepath.Join("testdata", tt.file+".header"))
			require.NoError(t, err)
			assert.Equal(t, tt.number, v.Number)
			assert.Equal(t, tt.compat, v.Compat)
			assert.Equal(t, tt.createdBy, v.CreatedBy)
			assert.Equal(t, tt.readableBy, v.ReadableBy)
		})
	}
}

// TestReadStorageVersionOfLinkedRelease makes files with the DuckDB this test links, with and
// without storage_compatibility_version, and compares the header with what DuckDB itself says
// in duckdb_databases().tags (another path to the same fact).
func TestReadStorageVersionOfLinkedRelease(t *testing.T) {
	for _, setting := range []string{"", "v1.0.0", "v1.2.0", "v1.4.0", "v1.5.0"} {
		t.Run("compat="+setting, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "s.db")
			dsn := path
			if setting != "" {
				dsn += "?storage_compatibility_version=" + setting
			}
			db, err := sql.Open("duckdb", dsn)
			require.NoError(t, err)
			_, err = db.Exec("CREATE TABLE t AS SELECT 1 AS a")
			require.NoError(t, err)
			var tags string
			require.NoError(t, db.QueryRow("SELECT tags::VARCHAR FROM duckdb_databases() WHERE database_name = 's'").Scan(&tags))
			// The file is open here: the header must not be read by this process.
			_, err = release.ReadStorageVersion(path)
			require.ErrorIs(t, err, release.ErrHeldHere)
			require.NoError(t, db.Close())

			v, err := release.ReadStorageVersion(path)
			require.NoError(t, err)
			// DuckDB's tag names the oldest compatible version ("v1.0.0+"); the header's
			// number must be the one that version creates.
			m := regexp.MustCompile(`storage_version[=:] ?(v[0-9.]+)\+`).FindStringSubmatch(tags)
			require.NotNil(t, m, tags)
			tag := m[1]
			_, want, err := release.ParseCompat(tag)
			require.NoError(t, err, tags)
			assert.Equal(t, want, v.Number, "tags %s", tags)
		})
	}
}

func TestReadStorageVersionNotADatabase(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.db")
	require.NoError(t, os.WriteFile(short, []byte("hello"), 0o644))
	_, err := release.ReadStorageVersion(short)
	assert.ErrorIs(t, err, release.ErrNotDatabase)
	text := filepath.Join(dir, "text.db")
	require.NoError(t, os.WriteFile(text, make([]byte, 20000), 0o644))
	_, err = release.ReadStorageVersion(text)
	assert.ErrorIs(t, err, release.ErrNotDatabase)
	_, err = release.ReadStorageVersion(filepath.Join(dir, "missing.db"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestReadIterationCountsCheckpoints makes k rounds of open, insert and close with the DuckDB
// this test links, each close writing one checkpoint, and reads the header iteration after
// each: it must grow by one a round.
func TestReadIterationCountsCheckpoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "i.db")
	var got []uint64
	for round := range 4 {
		db, err := sql.Open("duckdb", path)
		require.NoError(t, err)
		_, err = db.Exec("CREATE TABLE IF NOT EXISTS t (i INTEGER)")
		require.NoError(t, err)
		_, err = db.Exec("INSERT INTO t VALUES (?)", round)
		require.NoError(t, err)
		_, err = release.ReadIteration(path)
		require.ErrorIs(t, err, release.ErrHeldHere, "the file is open here: its headers must not be read")
		require.NoError(t, db.Close())
		it, err := release.ReadIteration(path)
		require.NoError(t, err)
		got = append(got, it)
	}
	for i := 1; i < len(got); i++ {
		assert.Equal(t, got[i-1]+1, got[i], "iterations %v", got)
	}

	dir := t.TempDir()
	text := filepath.Join(dir, "text.db")
	require.NoError(t, os.WriteFile(text, make([]byte, 20000), 0o644))
	_, err := release.ReadIteration(text)
	assert.ErrorIs(t, err, release.ErrNotDatabase)
	_, err = release.ReadIteration(filepath.Join(dir, "missing.db"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestParseCompat(t *testing.T) {
	tests := []struct {
		in, name string
		number   int
		bad      bool
	}{
		{"v1.5.0", "v1.5.0", 68, false},
		{"1.5.0", "v1.5.0", 68, false},
		{"1.5", "v1.5.0", 68, false},
		{"v1.0.0", "v1.0.0", 64, false},
		{"latest", "v2.0.0", 69, false},
		{"v1.9.0", "", 0, true},
		{"bogus", "", 0, true},
	}
	for _, tt := range tests {
		name, n, err := release.ParseCompat(tt.in)
		if tt.bad {
			assert.Error(t, err, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.name, name)
		assert.Equal(t, tt.number, n)
	}
}

func TestLookup(t *testing.T) {
	for in, want := range map[string]string{"2.0.0": "2.0.0", "v1.5.6": "1.5.6", "1.5": "1.5.6", "1.4": "1.4.5", "2": "2.0.0"} {
		r, err := release.Lookup(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, r.Name, in)
	}
	_, err := release.Lookup("1.3.2")
	var ue *release.UnknownError
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, err.Error(), "1.4.5, 1.5.6, 2.0.0")
}
