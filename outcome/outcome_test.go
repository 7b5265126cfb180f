package outcome_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/outcome"
	"lockbench/vocab"
)

// seeAlso opens the sentence DuckDB ends a lock error with, which points at the release's docs.
const seeAlso = ". See also "

// seeAlsoTail is one release's closing sentence of a lock error.
type seeAlsoTail struct{ release, text string }

// seeAlsoTails are the closing sentences of a lock error as each release really wrote them (its
// recorded "lock-writer-holds-rw-open" message; the docs address differs between releases). Every
// case runs with each, since the classifier must read the kind, path and holder whichever
// release wrote the message.
func seeAlsoTails(t *testing.T) []seeAlsoTail {
	t.Helper()
	var out []seeAlsoTail
	for _, r := range recordedReleases(t) {
		var msg string
		for _, f := range r.ar.Files {
			if f.Name == "lock-writer-holds-rw-open" {
				msg = strings.TrimRight(string(f.Data), "\n")
			}
		}
		_, tail, ok := strings.Cut(msg, seeAlso)
		require.True(t, ok, "%s: the recorded lock error ends with %q", r.file, seeAlso)
		out = append(out, seeAlsoTail{"duckdb-" + r.release, seeAlso + tail})
	}
	return out
}

// beforeSeeAlso is message up to DuckDB's closing "See also" sentence, whose docs address is the
// release's, not the error's: the tests assert what the error says, whichever release said it.
func beforeSeeAlso(message string) string {
	before, _, _ := strings.Cut(message, seeAlso)
	return before
}

// TestClassifyText runs DuckDB's exact messages (those of docs/duckdb-locking.md, Windows
// variants and texts quoted in public reports) through the text classifier.
func TestClassifyText(t *testing.T) {
	for _, tail := range seeAlsoTails(t) {
		withTail := tail.text
		t.Run(tail.release, func(t *testing.T) {
			tests := []struct {
				name string
				msg  string
				want outcome.Outcome
			}{
				{
					name: "empty is ok",
					msg:  "  \n",
					want: outcome.Outcome{Kind: vocab.OK},
				},
				{
					name: "RW holder, driver prefix",
					msg:  `database/sql/driver: could not connect to database: IO Error: Could not set lock on file "/data/a.db": Conflicting lock is held in /data/lk (PID 13339)` + withTail,
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "database", Path: "/data/a.db", HolderExe: "/data/lk", HolderPID: 13339,
						Message: `IO Error: Could not set lock on file "/data/a.db": Conflicting lock is held in /data/lk (PID 13339)`,
					},
				},
				{
					name: "a child's commentary after DuckDB's line is not part of the message",
					msg:  "lockbench: /data/a.db is locked by another process.\n  DuckDB said: IO Error: Could not set lock on file \"/data/a.db\": Conflicting lock is held in /data/lk (PID 13339)" + withTail + "\n  holder: PID 13339\n  next: close it",
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "database", Path: "/data/a.db", HolderExe: "/data/lk", HolderPID: 13339,
						Message: `IO Error: Could not set lock on file "/data/a.db": Conflicting lock is held in /data/lk (PID 13339)`,
					},
				},
				{
					name: "ATTACH without driver prefix",
					msg:  `IO Error: Could not set lock on file "/data/a.db": Conflicting lock is held in /data/lk (PID 13339)` + withTail,
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "database", Path: "/data/a.db", HolderExe: "/data/lk", HolderPID: 13339,
						Message: `IO Error: Could not set lock on file "/data/a.db": Conflicting lock is held in /data/lk (PID 13339)`,
					},
				},
				{
					name: "readers: read-only would work",
					msg: `database/sql/driver: could not connect to database: IO Error: Could not set lock on file "/data/a.db": Conflicting lock is held in /data/lk (PID 13405).` +
						` However, you would be able to open this database in read-only mode, e.g. by using the -readonly parameter in the CLI` + withTail,
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "database", Path: "/data/a.db", HolderExe: "/data/lk", HolderPID: 13405, ReadOnlyWouldWork: true,
						Message: `IO Error: Could not set lock on file "/data/a.db": Conflicting lock is held in /data/lk (PID 13405).` +
							` However, you would be able to open this database in read-only mode, e.g. by using the -readonly parameter in the CLI`,
					},
				},
				{
					name: "by user",
					msg:  `IO Error: Could not set lock on file "/srv/w.duckdb": Conflicting lock is held in /usr/bin/python3.12 (PID 2608548) by user john.doe` + withTail,
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "database", Path: "/srv/w.duckdb", HolderExe: "/usr/bin/python3.12", HolderPID: 2608548, HolderUser: "john.doe",
						Message: `IO Error: Could not set lock on file "/srv/w.duckdb": Conflicting lock is held in /usr/bin/python3.12 (PID 2608548) by user john.doe`,
					},
				},
				{
					name: "by user with read-only hint",
					msg: `IO Error: Could not set lock on file "/srv/w.duckdb": Conflicting lock is held in /usr/bin/duckdb (PID 77) by user alice.` +
						` However, you would be able to open this database in read-only mode, e.g. by using the -readonly parameter in the CLI` + withTail,
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "database", Path: "/srv/w.duckdb", HolderExe: "/usr/bin/duckdb", HolderPID: 77, HolderUser: "alice", ReadOnlyWouldWork: true,
						Message: `IO Error: Could not set lock on file "/srv/w.duckdb": Conflicting lock is held in /usr/bin/duckdb (PID 77) by user alice.` +
							` However, you would be able to open this database in read-only mode, e.g. by using the -readonly parameter in the CLI`,
					},
				},
				{
					name: "executable with spaces",
					msg:  `IO Error: Could not set lock on file "/home/u/My Data/a.db": Conflicting lock is held in /opt/My App/bin/app (PID 9)` + withTail,
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "database", Path: "/home/u/My Data/a.db", HolderExe: "/opt/My App/bin/app", HolderPID: 9,
						Message: `IO Error: Could not set lock on file "/home/u/My Data/a.db": Conflicting lock is held in /opt/My App/bin/app (PID 9)`,
					},
				},
				{
					name: "PID 0: holder in another PID namespace",
					msg:  `database/sql/driver: could not connect to database: IO Error: Could not set lock on file "/data/a.db": Conflicting lock is held in PID 0` + withTail,
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "database", Path: "/data/a.db", HolderPID: 0, HolderRole: vocab.RoleOutsideNamespace,
						Message: `IO Error: Could not set lock on file "/data/a.db": Conflicting lock is held in PID 0`,
					},
				},
				{
					name: "a PID other than 0 without an executable is not outside the namespace",
					msg:  `IO Error: Could not set lock on file "/data/a.db": Conflicting lock is held in PID 77` + withTail,
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "database", Path: "/data/a.db", HolderPID: 77,
						Message: `IO Error: Could not set lock on file "/data/a.db": Conflicting lock is held in PID 77`,
					},
				},
				{
					name: "WAL lock at commit",
					msg:  `TransactionContext Error: Failed to commit: Could not set lock on file "/data/s.db.wal": Conflicting lock is held in /data/lk (PID 13218)` + withTail,
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "wal", Path: "/data/s.db.wal", HolderExe: "/data/lk", HolderPID: 13218,
						Message: `TransactionContext Error: Failed to commit: Could not set lock on file "/data/s.db.wal": Conflicting lock is held in /data/lk (PID 13218)`,
					},
				},
				{
					name: "Windows share violation",
					msg: `IO Error: Cannot open file "C:\Users\me\dev.duckdb": The process cannot access the file because it is being used by another process.` +
						"\nFile is already open in C:\\Python312\\pythonw.exe (PID 18696)",
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "database", Path: `C:\Users\me\dev.duckdb`, HolderExe: `C:\Python312\pythonw.exe`, HolderPID: 18696,
						Message: `IO Error: Cannot open file "C:\Users\me\dev.duckdb": The process cannot access the file because it is being used by another process.` +
							"\nFile is already open in C:\\Python312\\pythonw.exe (PID 18696)",
					},
				},
				{
					name: "Windows, short form",
					msg:  `IO Error: File is already open in C:\Program Files\nodejs\node.exe (PID 4242)`,
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "database", HolderExe: `C:\Program Files\nodejs\node.exe`, HolderPID: 4242,
						Message: `IO Error: File is already open in C:\Program Files\nodejs\node.exe (PID 4242)`,
					},
				},
				{
					name: "Windows without Restart Manager details",
					msg:  `IO Error: Cannot open file "C:\d\x.db": The process cannot access the file because it is being used by another process.`,
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "database", Path: `C:\d\x.db`,
						Message: `IO Error: Cannot open file "C:\d\x.db": The process cannot access the file because it is being used by another process.`,
					},
				},
				{
					name: "file locks not supported",
					msg:  `IO Error: Could not set lock on file "/mnt/smb/a.db": File locks are not supported for this file system, cannot open the file in read-write mode. Try opening the file in read-only mode` + withTail,
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "unsupported", Path: "/mnt/smb/a.db",
						Message: `IO Error: Could not set lock on file "/mnt/smb/a.db": File locks are not supported for this file system, cannot open the file in read-write mode. Try opening the file in read-only mode`,
					},
				},
				{
					name: "old strerror: operation not supported",
					msg:  `IO Error: Could not set lock on file "/mnt/smb/a.db": Operation not supported`,
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "unsupported", Path: "/mnt/smb/a.db",
						Message: `IO Error: Could not set lock on file "/mnt/smb/a.db": Operation not supported`,
					},
				},
				{
					name: "old strerror: resource temporarily unavailable",
					msg:  `IO Error: Could not set lock on file "/srv/a.db": Resource temporarily unavailable`,
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "database", Path: "/srv/a.db",
						Message: `IO Error: Could not set lock on file "/srv/a.db": Resource temporarily unavailable`,
					},
				},
				{
					name: "lock error after log lines on a child's stderr",
					msg:  "2026/01/01 worker starting model int_baseline\nlockbench worker: database/sql/driver: could not connect to database: IO Error: Could not set lock on file \"/r/a.db\": Conflicting lock is held in /usr/bin/lockbench (PID 5)" + withTail + "\n",
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "database", Path: "/r/a.db", HolderExe: "/usr/bin/lockbench", HolderPID: 5,
						Message: `IO Error: Could not set lock on file "/r/a.db": Conflicting lock is held in /usr/bin/lockbench (PID 5)`,
					},
				},
				{
					name: "conflict on update",
					msg:  "TransactionContext Error: Conflict on update!",
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "update", Message: "TransactionContext Error: Conflict on update!"},
				},
				{
					name: "conflict on tuple deletion",
					msg:  "TransactionContext Error: Conflict on tuple deletion!",
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "delete", Message: "TransactionContext Error: Conflict on tuple deletion!"},
				},
				{
					name: "catalog create conflict with NUL bytes",
					msg:  "TransactionContext Error: Catalog write-write conflict on create with \"Schema\x00main\x00main\x00Table\x00main\x00x\"",
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "catalog", Message: `TransactionContext Error: Catalog write-write conflict on create with "Schema.main.main.Table.main.x"`},
				},
				{
					name: "catalog alter conflict with NUL bytes",
					msg:  "TransactionContext Error: Catalog write-write conflict on alter with \"Schema\x00main\x00main\x00Table\x00main\x00t\"",
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "catalog", Message: `TransactionContext Error: Catalog write-write conflict on alter with "Schema.main.main.Table.main.t"`},
				},
				{
					name: "catalog alter conflict, plain name",
					msg:  `TransactionContext Error: Catalog write-write conflict on alter with "t"`,
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "catalog", Message: `TransactionContext Error: Catalog write-write conflict on alter with "t"`},
				},
				{
					name: "dbt secret catalog conflict",
					msg:  `Catalog write-write conflict on alter with "_dbt_secret_1"`,
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "catalog", Message: `Catalog write-write conflict on alter with "_dbt_secret_1"`},
				},
				{
					name: "insert into dropped table",
					msg:  `TransactionContext Error: Transaction conflict: attempting to insert into table "t" but it has been dropped by a different transaction`,
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "dropped", Message: `TransactionContext Error: Transaction conflict: attempting to insert into table "t" but it has been dropped by a different transaction`},
				},
				{
					name: "commit after drop",
					msg:  `TransactionContext Error: Failed to commit: Attempting to modify table t but another transaction has dropped this table`,
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "dropped", Message: `TransactionContext Error: Failed to commit: Attempting to modify table t but another transaction has dropped this table`},
				},
				{
					name: "commit of insert after drop",
					msg:  `TransactionContext Error: Failed to commit: Transaction conflict: attempting to insert into table "t" but it has been dropped by a different transaction`,
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "dropped", Message: `TransactionContext Error: Failed to commit: Transaction conflict: attempting to insert into table "t" but it has been dropped by a different transaction`},
				},
				{
					name: "commit of insert after alter",
					msg:  `TransactionContext Error: Failed to commit: Transaction conflict: attempting to insert into table "t" but it has been altered by a different transaction`,
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "altered", Message: `TransactionContext Error: Failed to commit: Transaction conflict: attempting to insert into table "t" but it has been altered by a different transaction`},
				},
				{
					name: "insert after alter",
					msg:  `TransactionContext Error: Transaction conflict: attempting to insert into table "t" but it has been altered by a different transaction`,
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "altered", Message: `TransactionContext Error: Transaction conflict: attempting to insert into table "t" but it has been altered by a different transaction`},
				},
				{
					name: "commit of update after alter",
					msg:  `TransactionContext Error: Failed to commit: Attempting to modify table t but another transaction has altered this table`,
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "altered", Message: `TransactionContext Error: Failed to commit: Attempting to modify table t but another transaction has altered this table`},
				},
				{
					name: "documented altered example",
					msg:  `Transaction conflict: cannot update a table that has been altered!`,
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "altered", Message: `Transaction conflict: cannot update a table that has been altered!`},
				},
				{
					name: "checkpoint with other writers",
					msg:  `TransactionContext Error: Cannot CHECKPOINT: there are other write transactions active. Try using FORCE CHECKPOINT to wait until all active transactions are finished`,
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "checkpoint", Message: `TransactionContext Error: Cannot CHECKPOINT: there are other write transactions active. Try using FORCE CHECKPOINT to wait until all active transactions are finished`},
				},
				{
					name: "checkpoint with local changes",
					msg:  `TransactionContext Error: Cannot CHECKPOINT: the current transaction has transaction local changes`,
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "checkpoint", Message: `TransactionContext Error: Cannot CHECKPOINT: the current transaction has transaction local changes`},
				},
				{
					name: "aborted transaction",
					msg:  `TransactionContext Error: Current transaction is aborted (please ROLLBACK)`,
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "aborted", Message: `TransactionContext Error: Current transaction is aborted (please ROLLBACK)`},
				},
				{
					name: "cause wins over the aborted follow-up",
					msg:  "TransactionContext Error: Current transaction is aborted (please ROLLBACK)\nfirst error: TransactionContext Error: Conflict on update!",
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "update", Message: "first error: TransactionContext Error: Conflict on update!"},
				},
				{
					name: "other transaction error",
					msg:  `TransactionContext Error: Cannot create index with outstanding updates`,
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "other", Message: `TransactionContext Error: Cannot create index with outstanding updates`},
				},
				{
					name: "PK violation at commit",
					msg:  `TransactionContext Error: Failed to commit: PRIMARY KEY or UNIQUE constraint violation: duplicate key "100"`,
					want: outcome.Outcome{Kind: vocab.Constraint, Message: `TransactionContext Error: Failed to commit: PRIMARY KEY or UNIQUE constraint violation: duplicate key "100"`},
				},
				{
					name: "duplicate key against pending delete",
					msg:  `Constraint Error: Duplicate key "id: 1" violates primary key constraint.`,
					want: outcome.Outcome{Kind: vocab.Constraint, Message: `Constraint Error: Duplicate key "id: 1" violates primary key constraint.`},
				},
				{
					name: "deadline text",
					msg:  "model fct_yearly_events: context deadline exceeded",
					want: outcome.Outcome{Kind: vocab.Timeout, Message: "model fct_yearly_events: context deadline exceeded"},
				},
				{
					name: "go panic on stderr",
					msg:  "starting\npanic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:",
					want: outcome.Outcome{Kind: vocab.Crash, Sub: "panic", Message: "panic: runtime error: index out of range [3] with length 3\n\ngoroutine 1 [running]:"},
				},
				{
					name: "killed by a signal",
					msg:  "signal: killed",
					want: outcome.Outcome{Kind: vocab.Crash, Sub: "SIGKILL", Message: "signal: killed"},
				},
				{
					name: "duckdb fatal",
					msg:  "FATAL Error: Failed: database has been invalidated because of a previous fatal error",
					want: outcome.Outcome{Kind: vocab.Crash, Sub: "duckdb-fatal", Message: "FATAL Error: Failed: database has been invalidated because of a previous fatal error"},
				},
				{
					name: "different configuration is a plain error",
					msg:  "database/sql/driver: could not connect to database: Connection Error: Can't open a connection to same database file with a different configuration than existing connections",
					want: outcome.Outcome{Kind: vocab.Error, Message: "Connection Error: Can't open a connection to same database file with a different configuration than existing connections"},
				},
				{
					name: "read-only open of a missing file is a bad-path error",
					msg:  `database/sql/driver: could not connect to database: IO Error: Cannot open database "/x/nonexist.db" in read-only mode: database does not exist`,
					want: outcome.Outcome{Kind: vocab.Error, Sub: "bad-path", Path: "/x/nonexist.db", Message: `IO Error: Cannot open database "/x/nonexist.db" in read-only mode: database does not exist`},
				},
				{
					name: "unique file handle conflict is an error of the program, with the file",
					msg:  `Binder Error: Unique file handle conflict: Cannot attach "self" - the database file "/data/c.db" is already attached by database "c"`,
					want: outcome.Outcome{Kind: vocab.Error, Sub: "handle-conflict", Path: "/data/c.db", Message: `Binder Error: Unique file handle conflict: Cannot attach "self" - the database file "/data/c.db" is already attached by database "c"`},
				},
				{
					name: "handle conflict of an open/close race, driver prefix and a step's wrapping",
					msg:  "step 3: open /data/r.duckdb: database/sql/driver: could not connect to database: Binder Error: Unique file handle conflict: Cannot attach \"r\" - the database file \"/data/r.duckdb\" is already attached by database \"r\"\nexit status 1",
					want: outcome.Outcome{Kind: vocab.Error, Sub: "handle-conflict", Path: "/data/r.duckdb", Message: `Binder Error: Unique file handle conflict: Cannot attach "r" - the database file "/data/r.duckdb" is already attached by database "r"`},
				},
				{
					name: "handle conflict of a file being detached (newer wording)",
					msg:  `Unique file handle conflict: Cannot attach r - the database file "/data/r.duckdb" is in the process of being detached`,
					want: outcome.Outcome{Kind: vocab.Error, Sub: "handle-conflict", Path: "/data/r.duckdb", Message: `Unique file handle conflict: Cannot attach r - the database file "/data/r.duckdb" is in the process of being detached`},
				},
				{
					// lockbench simulate --json prints its outcome as indented JSON, and nothing on
					// stderr: the message's quotes are escaped there.
					name: "lock error inside a JSON document",
					msg: "{\n  \"mode\": \"threaded\",\n  \"outcome\": {\n    \"kind\": \"lock-conflict\",\n" +
						`    "message": "IO Error: Could not set lock on file \"/t/trial.duckdb\": Conflicting lock is held in /usr/bin/lockbench (PID 15728). However, you would be able to open this database in read-only mode, e.g. by using the -readonly parameter in the CLI` + withTail + "\",\n" +
						"    \"holder_pid\": 15728\n  },\n  \"wall_s\": 0.0046\n}\n",
					want: outcome.Outcome{
						Kind: vocab.LockConflict, Sub: "database", Path: "/t/trial.duckdb", HolderExe: "/usr/bin/lockbench", HolderPID: 15728, ReadOnlyWouldWork: true,
						Message: `IO Error: Could not set lock on file "/t/trial.duckdb": Conflicting lock is held in /usr/bin/lockbench (PID 15728). However, you would be able to open this database in read-only mode, e.g. by using the -readonly parameter in the CLI`,
					},
				},
				{
					name: "a structured log line with a transaction conflict",
					msg:  `{"level":"error","msg":"model failed","err":"TransactionContext Error: Catalog write-write conflict on create with \"t\""}`,
					want: outcome.Outcome{Kind: vocab.TxnConflict, Sub: "catalog", Message: `TransactionContext Error: Catalog write-write conflict on create with "t"`},
				},
				{
					name: "JSON without a DuckDB error is a plain error",
					msg:  `{"level":"error","msg":"cannot read \"config.yml\""}`,
					want: outcome.Outcome{Kind: vocab.Error, Message: `{"level":"error","msg":"cannot read \"config.yml\""}`},
				},
				{
					name: "single attached database per transaction is a plain error",
					msg:  `Attempting to write to database "mem2" in a transaction that has already modified database "conf2" - a single transaction can only write to a single attached database.`,
					want: outcome.Outcome{Kind: vocab.Error, Message: `Attempting to write to database "mem2" in a transaction that has already modified database "conf2" - a single transaction can only write to a single attached database.`},
				},
				{
					name: "read-only transactions are a plain error",
					msg:  "could not begin transaction\nread-only transactions are not supported",
					want: outcome.Outcome{Kind: vocab.Error, Message: "could not begin transaction\nread-only transactions are not supported"},
				},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					got := outcome.ClassifyText(tt.msg)
					got.Message = beforeSeeAlso(got.Message)
					assert.Equal(t, tt.want, got)
				})
			}
		})
	}
}

// TestClassifyGoErrors covers the error values Classify recognises before looking at text.
func TestClassifyGoErrors(t *testing.T) {
	for _, tail := range seeAlsoTails(t) {
		withTail := tail.text
		t.Run(tail.release, func(t *testing.T) {
			killed := exec.Command("sh", "-c", "kill -KILL $$").Run()
			require.Error(t, killed)

			tests := []struct {
				name     string
				err      error
				wantKind vocab.Kind
				wantSub  vocab.Sub
			}{
				{"nil", nil, vocab.OK, ""},
				{"deadline", fmt.Errorf("model x: %w", context.DeadlineExceeded), vocab.Timeout, ""},
				{"deadline joined with interrupt", errors.Join(context.DeadlineExceeded, errors.New("INTERRUPT Error: Interrupted!")), vocab.Timeout, ""},
				{"canceled", fmt.Errorf("trial: %w", context.Canceled), vocab.Error, "canceled"},
				{"signalled child", fmt.Errorf("worker: %w", killed), vocab.Crash, "SIGKILL"},
				{"plain text lock error", errors.New(`IO Error: Could not set lock on file "/a.db": Conflicting lock is held in /bin/x (PID 3)` + withTail), vocab.LockConflict, "database"},
				{"other", errors.New("boom"), vocab.Error, ""},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					o := outcome.Classify(tt.err)
					assert.Equal(t, tt.wantKind, o.Kind)
					assert.Equal(t, tt.wantSub, o.Sub)
				})
			}
		})
	}
}

// TestIsLockConflict checks the retry predicate.
func TestIsLockConflict(t *testing.T) {
	for _, tail := range seeAlsoTails(t) {
		withTail := tail.text
		t.Run(tail.release, func(t *testing.T) {
			tests := []struct {
				name string
				err  error
				want bool
			}{
				{"nil", nil, false},
				{"database", errors.New(`IO Error: Could not set lock on file "/a.db": Conflicting lock is held in /bin/x (PID 3)` + withTail), true},
				{"wal", errors.New(`TransactionContext Error: Failed to commit: Could not set lock on file "/a.db.wal": Conflicting lock is held in /bin/x (PID 3)` + withTail), true},
				{"windows", errors.New(`IO Error: File is already open in C:\x.exe (PID 1)`), true},
				{"unsupported", errors.New(`IO Error: Could not set lock on file "/a.db": File locks are not supported for this file system, cannot open the file in read-write mode. Try opening the file in read-only mode`), false},
				{"txn conflict", errors.New("TransactionContext Error: Conflict on update!"), false},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					assert.Equal(t, tt.want, outcome.IsLockConflict(tt.err))
				})
			}
		})
	}
}

// TestClassifyTextCatalogEscapedNUL covers DuckDB 1.5.6's rendering of the catalog name
// separators as a backslash and a zero.
func TestClassifyTextCatalogEscapedNUL(t *testing.T) {
	o := outcome.ClassifyText(`TransactionContext Error: Catalog write-write conflict on alter with "Schema\0main\0main\0Table\0main\0t"`)
	assert.Equal(t, outcome.Outcome{Kind: vocab.TxnConflict, Sub: "catalog", Message: `TransactionContext Error: Catalog write-write conflict on alter with "Schema.main.main.Table.main.t"`}, o)
}

// TestClassifyByErrorType checks that the driver's error type decides before the text: these
// are the driver's own error values, wrapped the way sql.Open wraps them.
func TestClassifyByErrorType(t *testing.T) {
	for _, tail := range seeAlsoTails(t) {
		withTail := tail.text
		t.Run(tail.release, func(t *testing.T) {
			wrap := func(typ duckdb.ErrorType, msg string) error {
				return fmt.Errorf("database/sql/driver: could not connect to database: %w", &duckdb.Error{Type: typ, Msg: msg})
			}
			tests := []struct {
				name     string
				err      error
				wantKind vocab.Kind
				wantSub  vocab.Sub
				wantMsg  string
			}{
				{"IO lock", wrap(duckdb.ErrorTypeIO, `IO Error: Could not set lock on file "/a.db": Conflicting lock is held in /bin/x (PID 3)`+withTail), vocab.LockConflict, "database", `IO Error: Could not set lock on file "/a.db": Conflicting lock is held in /bin/x (PID 3)`},
				{"a full disk is the machine", wrap(duckdb.ErrorTypeIO, `IO Error: Could not write file "/x.db": No space left on device`), vocab.Environment, vocab.SubDiskFull, `IO Error: Could not write file "/x.db": No space left on device`},
				{"other IO", wrap(duckdb.ErrorTypeIO, `IO Error: Could not read from file "/x.db": Input/output error`), vocab.Error, "", `IO Error: Could not read from file "/x.db": Input/output error`},
				{"IO bad path", wrap(duckdb.ErrorTypeIO, `IO Error: Cannot open database "/x.db" in read-only mode: database does not exist`), vocab.Error, "bad-path", `IO Error: Cannot open database "/x.db" in read-only mode: database does not exist`},
				{"transaction-typed WAL lock", wrap(duckdb.ErrorTypeTransaction, `TransactionContext Error: Failed to commit: Could not set lock on file "/a.db.wal": Conflicting lock is held in /bin/x (PID 3)`+withTail), vocab.LockConflict, "wal", `TransactionContext Error: Failed to commit: Could not set lock on file "/a.db.wal": Conflicting lock is held in /bin/x (PID 3)`},
				{"unknown transaction text", wrap(duckdb.ErrorTypeTransaction, "TransactionContext Error: something new"), vocab.TxnConflict, "other", "TransactionContext Error: something new"},
				{"constraint type", wrap(duckdb.ErrorTypeConstraint, `Constraint Error: NOT NULL constraint failed: t.a`), vocab.Constraint, "", `Constraint Error: NOT NULL constraint failed: t.a`},
				{"fatal", wrap(duckdb.ErrorTypeFatal, "FATAL Error: database has been invalidated"), vocab.Crash, "duckdb-fatal", "FATAL Error: database has been invalidated"},
				{"binder handle conflict", wrap(duckdb.ErrorTypeBinder, `Binder Error: Unique file handle conflict: Cannot attach "r" - the database file "/d/r.duckdb" is already attached by database "r"`), vocab.Error, "handle-conflict", `Binder Error: Unique file handle conflict: Cannot attach "r" - the database file "/d/r.duckdb" is already attached by database "r"`},
				{"other binder error", wrap(duckdb.ErrorTypeBinder, `Binder Error: Referenced column "x" not found in FROM clause!`), vocab.Error, "", `Binder Error: Referenced column "x" not found in FROM clause!`},
				{"connection", wrap(duckdb.ErrorTypeConnection, "Connection Error: Can't open a connection to same database file with a different configuration than existing connections"), vocab.Error, "", "Connection Error: Can't open a connection to same database file with a different configuration than existing connections"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					o := outcome.Classify(tt.err)
					assert.Equal(t, tt.wantKind, o.Kind)
					assert.Equal(t, tt.wantSub, o.Sub)
					assert.Equal(t, tt.wantMsg, beforeSeeAlso(o.Message))
				})
			}
		})
	}
}
