package repro

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/duckdb/duckdb-go/v2"

	"lockbench/buildinfo"
	"lockbench/harness/competitor"
	"lockbench/holders"
	"lockbench/internal/proc"
	"lockbench/outcome"
	"lockbench/vocab"
)

// open opens path read-write (or read-only) and runs a query, so that the instance (and its
// lock) really exists. The step it records names the file and says how the open went. The
// error is returned as the driver gave it, so that outcome.Classify sees the *duckdb.Error.
func (r *caseRun) open(ctx context.Context, path string, readOnly bool) (*sql.DB, error) {
	dsn, mode, name := path, "read-write", r.rel(path)
	if path == "" || path == ":memory:" {
		name = ":memory:"
	}
	if readOnly {
		dsn, mode = path+"?access_mode=read_only", "read-only"
	}
	db, err := sql.Open("duckdb", dsn)
	if err == nil {
		if err = db.PingContext(ctx); err != nil {
			db.Close()
		}
	}
	if err != nil {
		r.step("open %s %s: %s", name, mode, message(err))
		return nil, err
	}
	r.step("this process (pid %d) opens %s %s", os.Getpid(), name, mode)
	return db, nil
}

// rel returns path relative to the case's directory when it is inside it ("a.db",
// "bind/a.db"), else its base name.
func (r *caseRun) rel(path string) string {
	if rel, err := filepath.Rel(r.dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return filepath.Base(path)
}

// mustOpen is open for opens that are part of the setup: it closes the handle when the case
// ends.
func (r *caseRun) mustOpen(ctx context.Context, path string, readOnly bool) (*sql.DB, error) {
	db, err := r.open(ctx, path, readOnly)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.later(func() { db.Close() })
	return db, nil
}

// execer is what runs a statement: a *sql.DB, *sql.Conn or *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// exec runs q on c and records `who: q → ok` or `who: q → DuckDB's message` in the timeline.
func (r *caseRun) exec(ctx context.Context, c execer, who, q string, args ...any) error {
	_, err := c.ExecContext(ctx, q, args...)
	if err != nil {
		r.step("%s: %s → %s", who, q, message(err))
		return err
	}
	r.step("%s: %s → ok", who, q)
	return nil
}

// count returns the single integer that q yields.
func count(ctx context.Context, db *sql.DB, q string, args ...any) (int, error) {
	var n int
	if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: %w", q, err)
	}
	return n, nil
}

// classify is outcome.Classify with DuckDB's message kept verbatim: the outcome package
// renders the NUL separators of a catalog entry's name as '.', this keeps DuckDB's own text
// (with each NUL shown as the two characters \0, as DuckDB 1.5.6 itself prints them).
func classify(err error) outcome.Outcome {
	o := outcome.Classify(err)
	var de *duckdb.Error
	if o.Sub == vocab.SubCatalog && errors.As(err, &de) {
		o.Message = verbatim(de.Msg)
	}
	return o
}

// verbatim is a DuckDB message as DuckDB wrote it, without the driver's prefix, NUL bytes shown
// as \0.
func verbatim(msg string) string {
	if i := strings.LastIndex(msg, outcome.DriverPrefix); i >= 0 {
		msg = msg[i+len(outcome.DriverPrefix):]
	}
	return strings.TrimSpace(strings.ReplaceAll(msg, "\x00", `\0`))
}

// message is DuckDB's message in err, verbatim, or "ok" for nil.
func message(err error) string {
	if err == nil {
		return string(vocab.OK)
	}
	return classify(err).Message
}

// duckdbLine trims a message taken from a command's stderr to DuckDB's own text: the line
// holding it, from DuckDB's "IO Error: " lead-in on (lockbench hold prints the message inside
// an explanation).
func duckdbLine(msg string) string {
	for _, line := range strings.Split(msg, "\n") {
		i := strings.Index(line, "Could not set lock on file")
		if i < 0 {
			continue
		}
		if j := strings.LastIndex(line[:i], "IO Error: "); j >= 0 {
			i = j
		}
		return strings.TrimSpace(line[i:])
	}
	return msg
}

// sameSet reports whether a and b hold the same elements.
func sameSet(a, b []int) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// fileLocks returns the PIDs holding a lock of mode on the database file itself (not its
// .wal), from /proc/locks.
func fileLocks(db, mode string) ([]int, error) {
	hs, err := holders.Lookup(db)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(db)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, h := range hs {
		if h.File == abs && (mode == "" || h.Mode == mode) {
			pids = append(pids, h.PID)
		}
	}
	return pids, nil
}

// holderChecks asserts what a lock conflict says about its holders: the PID DuckDB names is
// one of pids, /proc/locks lists exactly pids with locks of mode on db, and DuckDB names the
// holder's executable. It also fills the outcome's command line while the holder lives.
func holderChecks(obs *Observation, db string, pids []int, mode string) {
	o := &obs.Outcome
	outcome.Enrich(o, buildinfo.LinkedRelease())
	if len(pids) == 1 {
		obs.check("DuckDB names the holder's PID", o.HolderPID == pids[0], "DuckDB named pid %d; the holder is pid %d", o.HolderPID, pids[0])
	} else {
		obs.check("DuckDB names one of the holders", slices.Contains(pids, o.HolderPID), "DuckDB named pid %d; the holders are %v", o.HolderPID, pids)
	}
	got, err := fileLocks(db, mode)
	obs.check(fmt.Sprintf("/proc/locks lists exactly the holders, each with a %s lock", mode), err == nil && sameSet(got, pids),
		"/proc/locks: %v (err %v); holders: %v", got, err, pids)
	exe := proc.Exe(o.HolderPID)
	obs.check("DuckDB names the holder's executable (/proc/PID/exe)", exe != "" && o.HolderExe == exe,
		"DuckDB named %q; /proc/%d/exe is %q", o.HolderExe, o.HolderPID, exe)
}

// hasAction reports whether events hold one with action.
func hasAction(events []competitor.Event, action string) bool {
	return slices.ContainsFunc(events, func(e competitor.Event) bool { return e.Action == action })
}

// quote quotes s as an SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// lostWrite is the outcome of silent misbehaviour: no error anywhere, data gone.
func lostWrite(format string, args ...any) outcome.Outcome {
	return outcome.Outcome{Kind: vocab.LostWrite, Message: fmt.Sprintf(format, args...)}
}
