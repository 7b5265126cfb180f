package repro

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"lockbench/outcome"
	"lockbench/vocab"
)

// inProcessCases are the transaction conflicts between connections of one process
// (docs/duckdb-locking.md#transaction-conflicts), each interleaved with explicit BEGIN on pinned
// connections.
func inProcessCases() []Case {
	return []Case{
		{
			Name:      "update-update",
			Title:     "two transactions updating the same row: the second fails at once, at statement time",
			Reference: "docs/duckdb-locking.md#transaction-conflicts; duckdb/duckdb#15662",
			Setup:     "c1 BEGIN, UPDATE t row 1 (pending); c2 BEGIN, UPDATE t row 1.",
			Expect: Expectation{Kind: vocab.TxnConflict, Sub: vocab.SubUpdate, Message: "Conflict on update!",
				Also: []string{"c2's next statement fails with \"Current transaction is aborted\"", "c1 commits and its update stays"}},
			run: updateUpdate,
		},
		{
			Name:      "delete-delete",
			Title:     "two transactions deleting the same row: the second fails",
			Reference: "docs/duckdb-locking.md#transaction-conflicts",
			Setup:     "c1 BEGIN, DELETE t row 1 (pending); c2 BEGIN, DELETE t row 1.",
			Expect: Expectation{Kind: vocab.TxnConflict, Sub: vocab.SubDelete, Message: "Conflict on tuple deletion!",
				Also: []string{"c1 commits and row 1 is gone"}},
			run: deleteDelete,
		},
		{
			Name:      "update-vs-delete",
			Title:     "UPDATE then DELETE of the same row in two transactions: no error anywhere, and both commit what no serial order gives",
			Reference: "docs/duckdb-locking.md#silent-lost-updates",
			Setup: "Row 1 of t has v = 0. c1 BEGIN, UPDATE t SET v = v + 1 for row 1 and logs the v it reads back (pending); " +
				"c2 BEGIN, logs the v of row 1 it reads and DELETEs row 1; c1 COMMIT; c2 COMMIT.",
			Note: serialNote,
			Expect: Expectation{Kind: vocab.LostWrite,
				Also: []string{"every statement and both COMMITs succeed", "the log holds the UPDATE's v = 1 and the DELETE's v = 0, which no serial order gives",
					"row 1 is gone, and the committed UPDATE with it"}},
			run: func(ctx context.Context, r *caseRun) (Observation, error) { return updateDelete(ctx, r, false) },
		},
		{
			Name:      "delete-vs-update",
			Title:     "DELETE then UPDATE of the same row in two transactions: DuckDB lets this order through too",
			Reference: "docs/duckdb-locking.md#silent-lost-updates",
			Setup: "Row 1 of t has v = 0. c2 BEGIN, logs the v of row 1 it reads and DELETEs row 1 (pending); " +
				"c1 BEGIN, UPDATE t SET v = v + 1 for row 1 and logs the v it reads back; c2 COMMIT; c1 COMMIT.",
			Note: serialNote,
			Expect: Expectation{Kind: vocab.LostWrite,
				Also: []string{"every statement and both COMMITs succeed", "the log holds the UPDATE's v = 1 and the DELETE's v = 0, which no serial order gives",
					"row 1 is gone, and the committed UPDATE with it"}},
			run: func(ctx context.Context, r *caseRun) (Observation, error) { return updateDelete(ctx, r, true) },
		},
		{
			Name:      "create-create",
			Title:     "two transactions creating the same table: a catalog write-write conflict",
			Reference: "docs/duckdb-locking.md#transaction-conflicts; duckdb/duckdb#12839",
			Setup:     "c1 BEGIN, CREATE TABLE x (pending); c2 BEGIN, CREATE TABLE x.",
			Expect: Expectation{Kind: vocab.TxnConflict, Sub: vocab.SubCatalog, Message: "Catalog write-write conflict on create",
				Also: []string{"c1 commits and x exists"}},
			run: func(ctx context.Context, r *caseRun) (Observation, error) {
				return createCreate(ctx, r, "CREATE TABLE x (i INTEGER)")
			},
		},
		{
			Name:      "create-if-not-exists",
			Title:     "CREATE TABLE IF NOT EXISTS does not help: the same catalog conflict",
			Reference: "docs/duckdb-locking.md#transaction-conflicts; jOOQ/jOOQ#18816, duckdb/dbt-duckdb#467",
			Setup:     "c1 BEGIN, CREATE TABLE IF NOT EXISTS x (pending); c2 BEGIN, CREATE TABLE IF NOT EXISTS x.",
			Expect: Expectation{Kind: vocab.TxnConflict, Sub: vocab.SubCatalog, Message: "Catalog write-write conflict on create",
				Also: []string{"c1 commits and x exists"}},
			run: func(ctx context.Context, r *caseRun) (Observation, error) {
				return createCreate(ctx, r, "CREATE TABLE IF NOT EXISTS x (i INTEGER)")
			},
		},
		{
			Name:      "drop-vs-insert",
			Title:     "a table dropped under a pending INSERT: the INSERT's COMMIT fails",
			Reference: "docs/duckdb-locking.md#transaction-conflicts; duckdb/dbt-duckdb#513",
			Setup:     "c1 BEGIN, INSERT INTO t (pending); c2 DROP TABLE t (autocommit); c1 COMMIT.",
			Expect: Expectation{Kind: vocab.TxnConflict, Sub: vocab.SubDropped, Message: "has been dropped by a different transaction",
				Also: []string{"the DROP succeeds", "t is gone, with c1's row"}},
			run: dropVsInsert,
		},
		{
			Name: "replace-vs-insert",
			Title: "CREATE OR REPLACE of a table from an old snapshot, committed after another transaction's INSERT: " +
				"1.5.6 loses the committed INSERT without an error, 2.0.0 refuses the INSERT's COMMIT",
			Reference: "docs/duckdb-locking.md#silent-lost-updates",
			Setup:     "c1 BEGIN, CREATE OR REPLACE TABLE t AS FROM t (pending: a copy of t's 3 rows); c2 BEGIN, INSERT row 4, COMMIT; c1 COMMIT.",
			Note: "This is what a second thread rebuilding a model (dbt's table materialization) does to a thread appending to it. " +
				"On 1.5.6 both COMMITs succeed and the replacement, built from the snapshot before the INSERT, wins: row 4 is gone. " +
				"2.0.0 fails the INSERT's COMMIT (its message, \"another transaction has no changes this table\", is garbled, but it is a " +
				"transaction error), so nothing that was reported committed is lost.",
			Expect: Expectation{Kind: vocab.TxnConflict, Message: "Failed to commit",
				Also: []string{"c1's replacement commits", "t has its 3 rows, and no row 4, which c2 was told had failed"}},
			ExpectOn: map[string]Expectation{"1.5.6": {Kind: vocab.LostWrite,
				Also: []string{"every statement and both COMMITs succeed", "row 4, committed by c2, is gone: t has 3 rows"}}},
			run: replaceVsInsert,
		},
		{
			Name:      "commit-after-conflict",
			Title:     "after a conflict, tx.Commit() returns nil but silently rolls back the whole transaction",
			Reference: "docs/duckdb-locking.md#commit-after-a-conflict, #rules-for-lockbench-code",
			Setup:     "c1 BEGIN, UPDATE t row 1 (pending); tx2 := db.BeginTx, INSERT row 100, UPDATE t row 1 (conflict), tx2.Commit().",
			Expect: Expectation{Kind: vocab.TxnConflict, Sub: vocab.SubUpdate, Message: "Conflict on update!",
				Also: []string{"tx2.Commit() returns nil", "row 100, inserted before the conflict, is absent"}},
			run: commitAfterConflict,
		},
		{
			Name:      "pool-poisoning",
			Title:     "a connection returned to the pool inside a failed raw BEGIN poisons the next db.Exec",
			Reference: "docs/duckdb-locking.md#pool-poisoning, #the-go-driver",
			Setup:     "db.SetMaxOpenConns(1); a *sql.Conn runs BEGIN and a failing INSERT (duplicate key) and is closed back to the pool; then db.Exec(\"SELECT 1\").",
			Expect: Expectation{Kind: vocab.TxnConflict, Sub: vocab.SubAborted, Message: "Current transaction is aborted (please ROLLBACK)",
				Also: []string{"the poison stays until a ROLLBACK through the pool", "after it, db.Exec works again"}},
			run: poolPoisoning,
		},
		{
			Name:      "checkpoint-vs-update",
			Title:     "CHECKPOINT is refused while another connection has a pending UPDATE (a pending INSERT does not block it)",
			Reference: "docs/duckdb-locking.md#checkpoint",
			Setup:     "c1 BEGIN, INSERT (pending); c2 CHECKPOINT; c1 UPDATE (pending); c2 CHECKPOINT.",
			Expect: Expectation{Kind: vocab.TxnConflict, Sub: vocab.SubCheckpoint, Message: "Cannot CHECKPOINT: there are other write transactions active",
				Also: []string{"the CHECKPOINT with only a pending INSERT succeeds", "c1 still commits"}},
			run: checkpointVsUpdate,
		},
	}
}

// twoConns opens t.db with table t (id, v) holding rows 1..3 with v = 0, and pins two
// connections c1 and c2. Everything is closed when the case ends (pending transactions rolled
// back first).
func (r *caseRun) twoConns(ctx context.Context) (*sql.DB, *sql.Conn, *sql.Conn, error) {
	db, err := r.mustOpen(ctx, r.path("t.db"), false)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := r.exec(ctx, db, "setup", "CREATE TABLE t (id INTEGER, v INTEGER); INSERT INTO t VALUES (1, 0), (2, 0), (3, 0)"); err != nil {
		return nil, nil, nil, err
	}
	var cs [2]*sql.Conn
	for i := range cs {
		c, err := db.Conn(ctx)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("pin connection: %w", err)
		}
		r.later(func() {
			_, _ = c.ExecContext(context.Background(), "ROLLBACK")
			c.Close()
		})
		cs[i] = c
	}
	return db, cs[0], cs[1], nil
}

// run runs statements on their connections in order and stops at the first error, which
// it returns with the index of the failed statement.
func (r *caseRun) run(ctx context.Context, stmts ...stmt) (int, error) {
	for i, s := range stmts {
		if err := r.exec(ctx, s.c, s.who, s.q); err != nil {
			return i, err
		}
	}
	return len(stmts), nil
}

type stmt struct {
	c   execer
	who string
	q   string
}

func updateUpdate(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	db, c1, c2, err := r.twoConns(ctx)
	if err != nil {
		return obs, err
	}
	if _, err := r.run(ctx, stmt{c1, "c1", "BEGIN"}, stmt{c1, "c1", "UPDATE t SET v = 1 WHERE id = 1"}, stmt{c2, "c2", "BEGIN"}); err != nil {
		return obs, err
	}
	err = r.exec(ctx, c2, "c2", "UPDATE t SET v = 2 WHERE id = 1")
	obs.Outcome = classify(err)
	if err == nil {
		return obs, nil
	}
	next := classify(r.exec(ctx, c2, "c2", "SELECT 1"))
	obs.check("c2's next statement fails: the transaction is aborted", next.Sub == vocab.SubAborted, "%s: %s", kindSub(next.Kind, next.Sub), next.Message)
	if _, err := r.run(ctx, stmt{c2, "c2", "ROLLBACK"}, stmt{c1, "c1", "COMMIT"}); err != nil {
		return obs, err
	}
	v, err := count(ctx, db, "SELECT v FROM t WHERE id = 1")
	if err != nil {
		return obs, err
	}
	obs.check("c1 commits and its update stays", v == 1, "v = %d", v)
	return obs, nil
}

func deleteDelete(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	db, c1, c2, err := r.twoConns(ctx)
	if err != nil {
		return obs, err
	}
	if _, err := r.run(ctx, stmt{c1, "c1", "BEGIN"}, stmt{c1, "c1", "DELETE FROM t WHERE id = 1"}, stmt{c2, "c2", "BEGIN"}); err != nil {
		return obs, err
	}
	err = r.exec(ctx, c2, "c2", "DELETE FROM t WHERE id = 1")
	obs.Outcome = classify(err)
	if err == nil {
		return obs, nil
	}
	if _, err := r.run(ctx, stmt{c2, "c2", "ROLLBACK"}, stmt{c1, "c1", "COMMIT"}); err != nil {
		return obs, err
	}
	n, err := count(ctx, db, "SELECT count(*) FROM t WHERE id = 1")
	if err != nil {
		return obs, err
	}
	obs.check("c1 commits and row 1 is gone", n == 0, "%d rows with id 1", n)
	return obs, nil
}

// serialNote explains why update-vs-delete and delete-vs-update log what they read.
const serialNote = "The end state alone (row 1 gone) is also what a serial order gives (UPDATE, then DELETE), so it shows nothing. " +
	"What each transaction read does: run serially, UPDATE then DELETE would have the DELETE read v = 1, and DELETE then UPDATE would have " +
	"the UPDATE find no row. Here the UPDATE's transaction read and logged v = 1 while the DELETE's logged deleting v = 0, and both committed."

// updateDelete runs an UPDATE (c1) and a DELETE (c2) of row 1 in two transactions, each logging
// the v it read, with the DELETE first when deleteFirst; each transaction commits in the order
// it started. It compares the log with what the two serial orders would give.
func updateDelete(ctx context.Context, r *caseRun, deleteFirst bool) (Observation, error) {
	var obs Observation
	db, c1, c2, err := r.twoConns(ctx)
	if err != nil {
		return obs, err
	}
	if err := r.exec(ctx, db, "setup", "CREATE TABLE log (who VARCHAR, id INTEGER, v INTEGER)"); err != nil {
		return obs, err
	}
	upd := []stmt{{c1, "c1", "BEGIN"}, {c1, "c1", "UPDATE t SET v = v + 1 WHERE id = 1"},
		{c1, "c1", "INSERT INTO log SELECT 'update', id, v FROM t WHERE id = 1"}}
	del := []stmt{{c2, "c2", "BEGIN"}, {c2, "c2", "INSERT INTO log SELECT 'delete', id, v FROM t WHERE id = 1"},
		{c2, "c2", "DELETE FROM t WHERE id = 1"}}
	commits := []stmt{{c1, "c1", "COMMIT"}, {c2, "c2", "COMMIT"}}
	order := slices.Concat(upd, del, commits)
	if deleteFirst {
		order = slices.Concat(del, upd, []stmt{commits[1], commits[0]})
	}
	_, err = r.run(ctx, order...)
	obs.check("every statement and both COMMITs succeed", err == nil, "%s", message(err))
	if err != nil {
		obs.Outcome = classify(err)
		return obs, nil
	}
	logged := map[string][]int{}
	rows, err := db.QueryContext(ctx, "SELECT who, v FROM log WHERE id = 1 ORDER BY who, v")
	if err != nil {
		return obs, err
	}
	for rows.Next() {
		var who string
		var v int
		if err := rows.Scan(&who, &v); err != nil {
			rows.Close()
			return obs, err
		}
		logged[who] = append(logged[who], v)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return obs, err
	}
	n, err := count(ctx, db, "SELECT count(*) FROM t WHERE id = 1")
	if err != nil {
		return obs, err
	}
	r.step("after both commits: the UPDATE logged v = %v, the DELETE logged v = %v; rows with id 1: %d", logged["update"], logged["delete"], n)
	// The serial orders: UPDATE then DELETE logs update 1 and delete 1, and leaves no row;
	// DELETE then UPDATE logs delete 0 and no update, and leaves no row.
	anomaly := slices.Equal(logged["update"], []int{1}) && slices.Equal(logged["delete"], []int{0})
	obs.check("the log holds the UPDATE's v = 1 and the DELETE's v = 0, which no serial order gives", anomaly,
		"update %v, delete %v; serially: update [1] and delete [1], or delete [0] and no update", logged["update"], logged["delete"])
	obs.check("row 1 is gone, and the committed UPDATE with it", n == 0, "%d rows with id 1", n)
	if anomaly && n == 0 {
		obs.Outcome = lostWrite("no error anywhere: both transactions committed, the UPDATE's having read and logged v = 1 and the DELETE's having " +
			"logged deleting v = 0; no serial order gives that (UPDATE then DELETE deletes v = 1, DELETE then UPDATE updates nothing), and the committed UPDATE is gone with row 1")
	} else {
		obs.Outcome = outcome.Outcome{Kind: vocab.OK}
	}
	return obs, nil
}

func createCreate(ctx context.Context, r *caseRun, create string) (Observation, error) {
	var obs Observation
	db, c1, c2, err := r.twoConns(ctx)
	if err != nil {
		return obs, err
	}
	if _, err := r.run(ctx, stmt{c1, "c1", "BEGIN"}, stmt{c1, "c1", create}, stmt{c2, "c2", "BEGIN"}); err != nil {
		return obs, err
	}
	err = r.exec(ctx, c2, "c2", create)
	obs.Outcome = classify(err)
	if err == nil {
		return obs, nil
	}
	if _, err := r.run(ctx, stmt{c2, "c2", "ROLLBACK"}, stmt{c1, "c1", "COMMIT"}); err != nil {
		return obs, err
	}
	n, err := count(ctx, db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'x'")
	if err != nil {
		return obs, err
	}
	obs.check("c1 commits and x exists", n == 1, "%d tables named x", n)
	return obs, nil
}

func dropVsInsert(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	db, c1, c2, err := r.twoConns(ctx)
	if err != nil {
		return obs, err
	}
	if _, err := r.run(ctx, stmt{c1, "c1", "BEGIN"}, stmt{c1, "c1", "INSERT INTO t VALUES (4, 0)"}); err != nil {
		return obs, err
	}
	derr := r.exec(ctx, c2, "c2", "DROP TABLE t")
	obs.check("the DROP succeeds", derr == nil, "%s", message(derr))
	err = r.exec(ctx, c1, "c1", "COMMIT")
	obs.Outcome = classify(err)
	n, cerr := count(ctx, db, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 't'")
	if cerr != nil {
		return obs, cerr
	}
	obs.check("t is gone, with c1's row", n == 0, "%d tables named t", n)
	return obs, nil
}

// replaceVsInsert commits an INSERT (c2) while a CREATE OR REPLACE of the same table (c1), built
// from the snapshot before it, is pending, then commits the replacement, and counts the rows.
func replaceVsInsert(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	db, c1, c2, err := r.twoConns(ctx)
	if err != nil {
		return obs, err
	}
	if _, err := r.run(ctx, stmt{c1, "c1", "BEGIN"}, stmt{c1, "c1", "CREATE OR REPLACE TABLE t AS FROM t"},
		stmt{c2, "c2", "BEGIN"}, stmt{c2, "c2", "INSERT INTO t VALUES (4, 0)"}); err != nil {
		return obs, err
	}
	ierr := r.exec(ctx, c2, "c2", "COMMIT")
	rerr := r.exec(ctx, c1, "c1", "COMMIT")
	n, err := count(ctx, db, "SELECT count(*) FROM t")
	if err != nil {
		return obs, err
	}
	four, err := count(ctx, db, "SELECT count(*) FROM t WHERE id = 4")
	if err != nil {
		return obs, err
	}
	r.step("after both commits: t has %d rows, %d with id 4", n, four)
	if ierr != nil {
		obs.Outcome = classify(ierr)
		obs.check("c1's replacement commits", rerr == nil, "%s", message(rerr))
		obs.check("t has its 3 rows, and no row 4, which c2 was told had failed", n == 3 && four == 0, "%d rows, %d with id 4", n, four)
		return obs, nil
	}
	obs.check("every statement and both COMMITs succeed", rerr == nil, "%s", message(rerr))
	obs.check("row 4, committed by c2, is gone: t has 3 rows", n == 3 && four == 0, "%d rows, %d with id 4", n, four)
	if rerr == nil && four == 0 {
		obs.Outcome = lostWrite("no error anywhere: c2's INSERT of row 4 committed, then c1's replacement, built from the snapshot " +
			"before it, committed over it; row 4 is gone")
	} else {
		obs.Outcome = classify(rerr)
	}
	return obs, nil
}

func commitAfterConflict(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	db, c1, _, err := r.twoConns(ctx)
	if err != nil {
		return obs, err
	}
	if _, err := r.run(ctx, stmt{c1, "c1", "BEGIN"}, stmt{c1, "c1", "UPDATE t SET v = 1 WHERE id = 1"}); err != nil {
		return obs, err
	}
	// c2 is pinned but idle, so that BeginTx needs a third pool connection; that is fine.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return obs, fmt.Errorf("begin tx2: %w", err)
	}
	r.step("tx2: db.BeginTx → ok")
	if err := r.exec(ctx, tx, "tx2", "INSERT INTO t VALUES (100, 0)"); err != nil {
		tx.Rollback()
		return obs, err
	}
	err = r.exec(ctx, tx, "tx2", "UPDATE t SET v = 2 WHERE id = 1")
	obs.Outcome = classify(err)
	cerr := tx.Commit()
	r.step("tx2: tx.Commit() → %v", cerr)
	obs.check("tx2.Commit() returns nil", cerr == nil, "%v", cerr)
	if err := r.exec(ctx, c1, "c1", "COMMIT"); err != nil {
		return obs, err
	}
	n, err := count(ctx, db, "SELECT count(*) FROM t WHERE id = 100")
	if err != nil {
		return obs, err
	}
	r.step("rows with id 100 after tx2's successful commit: %d", n)
	obs.check("row 100, inserted before the conflict, is absent (rolled back)", n == 0, "%d rows with id 100", n)
	return obs, nil
}

func poolPoisoning(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	db, err := r.mustOpen(ctx, r.path("p.db"), false)
	if err != nil {
		return obs, err
	}
	db.SetMaxOpenConns(1)
	r.step("db.SetMaxOpenConns(1): every db.Exec gets the same connection")
	if err := r.exec(ctx, db, "db", "CREATE TABLE t (id INTEGER PRIMARY KEY)"); err != nil {
		return obs, err
	}
	if err := r.exec(ctx, db, "db", "INSERT INTO t VALUES (1)"); err != nil {
		return obs, err
	}
	c, err := db.Conn(ctx)
	if err != nil {
		return obs, fmt.Errorf("pin connection: %w", err)
	}
	if err := r.exec(ctx, c, "conn", "BEGIN"); err != nil {
		c.Close()
		return obs, err
	}
	ierr := r.exec(ctx, c, "conn", "INSERT INTO t VALUES (1)")
	if err := c.Close(); err != nil {
		return obs, fmt.Errorf("return the connection: %w", err)
	}
	r.step("conn.Close(): the connection goes back to the pool, inside its failed transaction")
	if ierr == nil {
		return obs, fmt.Errorf("the duplicate INSERT did not fail")
	}
	err = r.exec(ctx, db, "db", "SELECT 1")
	obs.Outcome = classify(err)
	if err == nil {
		return obs, nil
	}
	again := r.exec(ctx, db, "db", "SELECT 1")
	obs.check("the poison stays: the next db.Exec fails too", classify(again).Sub == vocab.SubAborted, "%s", message(again))
	if err := r.exec(ctx, db, "db", "ROLLBACK"); err != nil {
		return obs, err
	}
	healed := r.exec(ctx, db, "db", "SELECT 1")
	obs.check("after a ROLLBACK through the pool, db.Exec works again", healed == nil, "%s", message(healed))
	return obs, nil
}

func checkpointVsUpdate(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	_, c1, c2, err := r.twoConns(ctx)
	if err != nil {
		return obs, err
	}
	if _, err := r.run(ctx, stmt{c1, "c1", "BEGIN"}, stmt{c1, "c1", "INSERT INTO t VALUES (4, 0)"}); err != nil {
		return obs, err
	}
	ierr := r.exec(ctx, c2, "c2", "CHECKPOINT")
	obs.check("CHECKPOINT with only a pending INSERT elsewhere succeeds", ierr == nil, "%s", message(ierr))
	if err := r.exec(ctx, c1, "c1", "UPDATE t SET v = 1 WHERE id = 1"); err != nil {
		return obs, err
	}
	err = r.exec(ctx, c2, "c2", "CHECKPOINT")
	obs.Outcome = classify(err)
	cerr := r.exec(ctx, c1, "c1", "COMMIT")
	obs.check("c1 still commits", cerr == nil, "%s", message(cerr))
	return obs, nil
}
