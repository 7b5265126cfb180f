package competitor_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/harness/competitor"
	"lockbench/outcome"
	"lockbench/vocab"
)

func TestHoldArgs(t *testing.T) {
	tests := []struct {
		name string
		o    competitor.HoldOptions
		args []string
	}{
		{"plain", competitor.HoldOptions{DB: "/r/a.db"}, []string{"/r/a.db"}},
		{"read-only create", competitor.HoldOptions{DB: "/r/a.db", ReadOnly: true, Create: true}, []string{"--read-only", "--create", "/r/a.db"}},
		{"timed writer", competitor.HoldOptions{DB: "a b.db", For: 2 * time.Second, WriteEvery: 50 * time.Millisecond}, []string{"--for=2s", "--write-every=50ms", "a b.db"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := competitor.HoldArgs(tt.o)
			assert.Equal(t, tt.args, args)
			got, err := competitor.ParseHoldArgs(args)
			require.NoError(t, err)
			assert.Equal(t, tt.o, got)
		})
	}
	for _, bad := range [][]string{nil, {"a.db", "b.db"}, {"--for=soon", "a.db"}, {"--bogus", "a.db"}} {
		_, err := competitor.ParseHoldArgs(bad)
		assert.Error(t, err, "%q", bad)
	}
}

// readyLine is a Ready writer that hands the line to the test.
type readyLine chan string

func (r readyLine) Write(p []byte) (int, error) {
	r <- string(p)
	return len(p), nil
}

// TestHold runs Hold in the test process on real files.
func TestHold(t *testing.T) {
	tests := []struct {
		name      string
		existing  bool
		o         competitor.HoldOptions
		wantLine  string // regexp; "" when Hold must fail before holding
		wantRows  int    // minimum rows of the holder table afterwards, -1: no table
		wantError func(t *testing.T, err error)
	}{
		{
			name:     "read-write on a new file creates it with the holder table",
			o:        competitor.HoldOptions{},
			wantLine: `^holding .*/a\.db read-write \(pid \d+\)\n$`,
			wantRows: 0,
		},
		{
			name:     "read-write on an existing file writes nothing",
			existing: true,
			o:        competitor.HoldOptions{},
			wantLine: `^holding .*/a\.db read-write \(pid \d+\)\n$`,
			wantRows: -1,
		},
		{
			name:     "writer writes before it is ready",
			existing: true,
			o:        competitor.HoldOptions{WriteEvery: time.Millisecond},
			wantLine: `^holding .*/a\.db read-write \(pid \d+\)\n$`,
			wantRows: 1,
		},
		{
			name:     "read-only with create",
			o:        competitor.HoldOptions{ReadOnly: true, Create: true},
			wantLine: `^holding .*/a\.db read-only \(pid \d+\)\n$`,
			wantRows: 0,
		},
		{
			name: "read-only without create on a missing file",
			o:    competitor.HoldOptions{ReadOnly: true},
			wantError: func(t *testing.T, err error) {
				var de *duckdb.Error
				require.True(t, errors.As(err, &de), err.Error())
				assert.Equal(t, duckdb.ErrorTypeIO, de.Type)
				assert.Equal(t, vocab.Error, outcome.Classify(err).Kind)
			},
		},
		{
			name: "read-only cannot write",
			o:    competitor.HoldOptions{ReadOnly: true, WriteEvery: time.Second},
			wantError: func(t *testing.T, err error) {
				assert.ErrorContains(t, err, "read-only holder cannot write")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "a.db")
			if tt.existing {
				path = newDB(t)
			}
			o := tt.o
			o.DB = path
			ready := make(readyLine, 1)
			o.Ready = ready
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			errc := make(chan error, 1)
			go func() { errc <- competitor.Hold(ctx, o) }()
			if tt.wantLine == "" {
				err := <-errc
				require.Error(t, err)
				tt.wantError(t, err)
				return
			}
			var line string
			select {
			case line = <-ready:
			case err := <-errc:
				t.Fatalf("Hold returned before holding: %v", err)
			}
			assert.Regexp(t, regexp.MustCompile(tt.wantLine), line)
			cancel()
			require.NoError(t, <-errc)

			if tt.wantRows < 0 {
				db, err := sql.Open("duckdb", path)
				require.NoError(t, err)
				defer db.Close()
				var n int
				require.NoError(t, db.QueryRow("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", competitor.HolderTable).Scan(&n))
				assert.Zero(t, n)
				return
			}
			assert.GreaterOrEqual(t, count(t, path, competitor.HolderTable), tt.wantRows)
		})
	}
}

// TestHoldFor checks that a hold ends by itself once For elapsed.
func TestHoldFor(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	err := competitor.Hold(context.Background(), competitor.HoldOptions{DB: path, For: time.Millisecond, WriteEvery: time.Millisecond, Ready: io.Discard})
	require.NoError(t, err)
	assert.GreaterOrEqual(t, count(t, path, competitor.HolderTable), 1)
}

// TestHoldLockError checks that Hold returns DuckDB's lock error wrapped, so that it can be
// classified.
func TestHoldLockError(t *testing.T) {
	path := newDB(t)
	r := start(t, competitor.Spec{Kind: vocab.WriterProcess}, testEnv(path))
	err := competitor.Hold(context.Background(), competitor.HoldOptions{DB: path, Ready: io.Discard})
	require.Error(t, err)
	var de *duckdb.Error
	require.True(t, errors.As(err, &de))
	assert.Equal(t, duckdb.ErrorTypeIO, de.Type)
	requireLockConflict(t, err, r.PIDs(), false)
}
