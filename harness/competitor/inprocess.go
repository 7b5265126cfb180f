package competitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"lockbench/outcome"
)

// writeInProcess is the in-process writer: until Stop, it opens a transaction on the workload's
// handle, replaces each table the workload rebuilds with a copy of its own rows and rewrites up
// to 1000 rows of each other workload table with their own values (the data does not change,
// but the tables count as written), keeps the transaction open for period and commits it. A
// workload statement that replaces a table while the writer's replacement is uncommitted gets
// DuckDB's catalog write-write conflict; the writer gets it when the order is the other way.
// Its failures (conflicts) are events, not errors: causing them is its job.
func (r *Running) writeInProcess(period time.Duration) {
	defer r.wg.Done()
	r.record(0, ActionWrites, "writes the workload's tables from a second connection, each transaction open for %s", period)
	for r.ctx.Err() == nil {
		r.writeOnce(period)
	}
}

// conflictBackoff is how long the in-process writer pauses after one of its statements
// conflicted with the workload before it starts its next transaction.
const conflictBackoff = 5 * time.Millisecond

func (r *Running) writeOnce(period time.Duration) {
	// Statements do not see Stop's cancellation: database/sql would roll a cancelled
	// transaction back asynchronously, after Stop returned. The transaction is rolled back
	// here instead, before writeOnce returns.
	ctx := context.WithoutCancel(r.ctx)
	wait := func(d time.Duration) bool {
		t := time.NewTimer(d)
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
		wait(period)
		return
	}
	// Never leave the transaction open: roll back unless committed.
	defer func() { _ = tx.Rollback() }()
	rebuilt := map[string]bool{}
	if r.env.Rebuilt != nil {
		for _, t := range r.env.Rebuilt() {
			rebuilt[t] = true
		}
	}
	// Rebuilt tables first: the replacement is held from as early in the transaction as
	// possible, and the row rewrites of the other tables do not widen the gap between commit
	// and the next replacement.
	tables := r.env.Tables()
	sort.SliceStable(tables, func(i, j int) bool { return rebuilt[tables[i]] && !rebuilt[tables[j]] })
	wrote := 0
	for _, t := range tables {
		col, err := lastColumn(ctx, tx, t)
		if errors.Is(err, sql.ErrNoRows) {
			if rebuilt[t] {
				// Not created yet (in this transaction's snapshot): look again soon rather
				// than hold a transaction without it for a whole period.
				wait(min(period, conflictBackoff))
				return
			}
			continue // not created yet
		}
		switch {
		case err != nil:
		case rebuilt[t]:
			_, err = tx.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TABLE %[1]s AS FROM %[1]s", ident(t)))
		default:
			_, err = tx.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET %s = %s WHERE rowid < 1000", ident(t), ident(col), ident(col)))
		}
		if err != nil {
			// The workload holds the table: try again soon, so that the writer is back
			// holding its own replacement before the workload's next one.
			r.conflict(t, err)
			wait(min(period, conflictBackoff))
			return
		}
		wrote++
	}
	if !wait(period) || wrote == 0 {
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
