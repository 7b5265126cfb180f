package competitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"lockbench/outcome"
)

// writeInProcess is the in-process writer: until Stop, it opens a transaction on the workload's
// handle, rewrites up to 1000 rows of each workload table with their own values (the data does
// not change, but the rows count as written), keeps the transaction open for period and
// commits it. Its failures (conflicts) are events, not errors: causing them is its job.
func (r *Running) writeInProcess(period time.Duration) {
	defer r.wg.Done()
	r.record(0, ActionWrites, "writes the workload's tables from a second connection, each transaction open for %s", period)
	for r.ctx.Err() == nil {
		r.writeOnce(period)
	}
}

func (r *Running) writeOnce(period time.Duration) {
	// Statements do not see Stop's cancellation: database/sql would roll a cancelled
	// transaction back asynchronously, after Stop returned. The transaction is rolled back
	// here instead, before writeOnce returns.
	ctx := context.WithoutCancel(r.ctx)
	wait := func() bool {
		t := time.NewTimer(period)
		defer t.Stop()
		select {
		case <-r.ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	tx, err := r.env.InProcess.BeginTx(ctx, nil)
	if err != nil {
		r.conflict("begin", err)
		wait()
		return
	}
	// Never leave the transaction open: roll back unless committed.
	defer func() { _ = tx.Rollback() }()
	wrote := 0
	for _, t := range r.env.Tables() {
		col, err := lastColumn(ctx, tx, t)
		if errors.Is(err, sql.ErrNoRows) {
			continue // not created yet
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET %s = %s WHERE rowid < 1000", ident(t), ident(col), ident(col)))
		}
		if err != nil {
			r.conflict(t, err)
			wait()
			return
		}
		wrote++
	}
	if !wait() || wrote == 0 {
		return
	}
	if err := tx.Commit(); err != nil {
		r.conflict("commit", err)
	}
}

// conflict records a failed statement of the in-process writer, unless it failed because Stop
// cancelled it.
func (r *Running) conflict(where string, err error) {
	if r.ctx.Err() != nil {
		return
	}
	r.record(0, ActionConflict, "got %s (%s)", outcome.Classify(err).Message, where)
}

// lastColumn returns the last column of table main.t (keys usually come first).
func lastColumn(ctx context.Context, tx *sql.Tx, t string) (string, error) {
	var col string
	err := tx.QueryRowContext(ctx, `SELECT column_name FROM duckdb_columns()
		WHERE schema_name = 'main' AND table_name = ? ORDER BY column_index DESC LIMIT 1`, t).Scan(&col)
	return col, err
}

// ident quotes an SQL identifier.
func ident(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
