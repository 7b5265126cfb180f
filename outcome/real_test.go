package outcome_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/outcome"
	"lockbench/vocab"
)

// pair opens a DuckDB database (in memory when path is "") and pins two connections to it, each
// with its own transaction, like two threads of one workload process.
func pair(t *testing.T, path string) (c1, c2 *sql.Conn) {
	t.Helper()
	db, err := sql.Open("duckdb", path)
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	_, err = db.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t SELECT range, 0 FROM range(1, 11)`)
	require.NoError(t, err)
	c1, err = db.Conn(ctx)
	require.NoError(t, err)
	c2, err = db.Conn(ctx)
	require.NoError(t, err)
	t.Cleanup(func() {
		// Never hand a connection back to the pool inside a transaction.
		for _, c := range []*sql.Conn{c1, c2} {
			_, _ = c.ExecContext(ctx, "ROLLBACK")
			c.Close()
		}
	})
	return c1, c2
}

func run(t *testing.T, c *sql.Conn, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		_, err := c.ExecContext(context.Background(), s)
		require.NoError(t, err, s)
	}
}

// TestClassifyRealDuckDBErrors produces each conflict with real DuckDB connections and checks
// both the driver's error type and the classification.
func TestClassifyRealDuckDBErrors(t *testing.T) {
	tests := []struct {
		name     string
		file     bool // needs a database file (CHECKPOINT)
		run      func(t *testing.T, c1, c2 *sql.Conn) error
		wantType duckdb.ErrorType
		wantKind vocab.Kind
		wantSub  vocab.Sub
	}{
		{
			name: "update/update",
			run: func(t *testing.T, c1, c2 *sql.Conn) error {
				run(t, c1, "BEGIN", "UPDATE t SET v = 1 WHERE id = 1")
				run(t, c2, "BEGIN")
				_, err := c2.ExecContext(context.Background(), "UPDATE t SET v = 2 WHERE id = 1")
				return err
			},
			wantType: duckdb.ErrorTypeTransaction, wantKind: vocab.TxnConflict, wantSub: "update",
		},
		{
			name: "delete/delete",
			run: func(t *testing.T, c1, c2 *sql.Conn) error {
				run(t, c1, "BEGIN", "DELETE FROM t WHERE id = 2")
				run(t, c2, "BEGIN")
				_, err := c2.ExecContext(context.Background(), "DELETE FROM t WHERE id = 2")
				return err
			},
			wantType: duckdb.ErrorTypeTransaction, wantKind: vocab.TxnConflict, wantSub: "delete",
		},
		{
			name: "aborted after a conflict",
			run: func(t *testing.T, c1, c2 *sql.Conn) error {
				run(t, c1, "BEGIN", "UPDATE t SET v = 1 WHERE id = 1")
				run(t, c2, "BEGIN")
				_, err := c2.ExecContext(context.Background(), "UPDATE t SET v = 2 WHERE id = 1")
				require.Error(t, err)
				_, err = c2.ExecContext(context.Background(), "SELECT 1")
				return err
			},
			wantType: duckdb.ErrorTypeTransaction, wantKind: vocab.TxnConflict, wantSub: "aborted",
		},
		{
			name: "create/create",
			run: func(t *testing.T, c1, c2 *sql.Conn) error {
				run(t, c1, "BEGIN", "CREATE TABLE x (a INTEGER)")
				run(t, c2, "BEGIN")
				_, err := c2.ExecContext(context.Background(), "CREATE TABLE x (a INTEGER)")
				return err
			},
			wantType: duckdb.ErrorTypeTransaction, wantKind: vocab.TxnConflict, wantSub: "catalog",
		},
		{
			name: "insert into a replaced table",
			run: func(t *testing.T, c1, c2 *sql.Conn) error {
				run(t, c2, "BEGIN", "INSERT INTO t VALUES (100, 0)")
				run(t, c1, "CREATE OR REPLACE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
				_, err := c2.ExecContext(context.Background(), "INSERT INTO t VALUES (101, 0)")
				return err
			},
			wantType: duckdb.ErrorTypeTransaction, wantKind: vocab.TxnConflict, wantSub: "dropped",
		},
		{
			name: "insert into an altered table",
			run: func(t *testing.T, c1, c2 *sql.Conn) error {
				run(t, c1, "BEGIN", "SELECT count(*) FROM t")
				run(t, c2, "ALTER TABLE t ADD COLUMN w INTEGER")
				_, err := c1.ExecContext(context.Background(), "INSERT INTO t (id, v) VALUES (200, 0)")
				return err
			},
			wantType: duckdb.ErrorTypeTransaction, wantKind: vocab.TxnConflict, wantSub: "altered",
		},
		{
			name: "checkpoint with a pending update",
			file: true,
			run: func(t *testing.T, c1, c2 *sql.Conn) error {
				run(t, c1, "BEGIN", "UPDATE t SET v = 3 WHERE id = 3")
				_, err := c2.ExecContext(context.Background(), "CHECKPOINT")
				return err
			},
			wantType: duckdb.ErrorTypeTransaction, wantKind: vocab.TxnConflict, wantSub: "checkpoint",
		},
		{
			name: "duplicate primary key",
			run: func(t *testing.T, c1, _ *sql.Conn) error {
				_, err := c1.ExecContext(context.Background(), "INSERT INTO t VALUES (1, 0)")
				return err
			},
			wantType: duckdb.ErrorTypeConstraint, wantKind: vocab.Constraint,
		},
		{
			name: "duplicate primary key at commit",
			run: func(t *testing.T, c1, c2 *sql.Conn) error {
				run(t, c1, "BEGIN", "INSERT INTO t VALUES (100, 0)")
				run(t, c2, "BEGIN", "INSERT INTO t VALUES (100, 0)")
				run(t, c1, "COMMIT")
				_, err := c2.ExecContext(context.Background(), "COMMIT")
				return err
			},
			wantType: duckdb.ErrorTypeTransaction, wantKind: vocab.Constraint,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file {
				path = filepath.Join(t.TempDir(), "c.db")
			}
			c1, c2 := pair(t, path)
			err := tt.run(t, c1, c2)
			require.Error(t, err)
			var de *duckdb.Error
			require.True(t, errors.As(err, &de), "%T %v", err, err)
			assert.Equal(t, tt.wantType, de.Type, de.Msg)
			o := outcome.Classify(err)
			assert.Equal(t, tt.wantKind, o.Kind, de.Msg)
			assert.Equal(t, tt.wantSub, o.Sub, de.Msg)
			assert.NotContains(t, o.Message, "\x00")
			assert.Equal(t, o, outcome.ClassifyText(err.Error()), "text-only classification agrees")
		})
	}
}

// TestClassifyRealCatalogNames checks that the NUL bytes DuckDB puts in catalog entry names are
// made readable.
func TestClassifyRealCatalogNames(t *testing.T) {
	c1, c2 := pair(t, "")
	run(t, c1, "BEGIN", "CREATE TABLE x (a INTEGER)")
	run(t, c2, "BEGIN")
	_, err := c2.ExecContext(context.Background(), "CREATE TABLE x (a INTEGER)")
	require.Error(t, err)
	o := outcome.Classify(err)
	// 1.5.6 writes "Schema\0main\0main\0Table\0main\0x", 2.0.0 ""Schema\0main\0Table\0main\0x"".
	assert.Regexp(t, `Schema\.main\.(?:main\.)?Table\.main\.x`, o.Message)
	assert.NotContains(t, o.Message, `\0`)
}

// TestClassifyRealDeadline checks that a statement cut by its context's deadline is a timeout.
func TestClassifyRealDeadline(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	// Far longer than the deadline on any machine.
	_, err = db.ExecContext(ctx, "SELECT count(*) FROM range(1000000000000) a WHERE a.range % 7 = 3")
	require.Error(t, err)
	o := outcome.Classify(err)
	assert.Equal(t, vocab.Timeout, o.Kind, err.Error())
}
