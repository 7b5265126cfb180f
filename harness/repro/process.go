package repro

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"lockbench/harness/competitor"
	"lockbench/holders"
	"lockbench/internal/proc"
	"lockbench/outcome"
	"lockbench/sim"
	"lockbench/vocab"
)

// lockMsg is the fragment every DuckDB lock conflict on Linux contains.
const lockMsg = "Conflicting lock is held in"

// readOnlyHint is the fragment of the "However, you would be able to open ..." variant.
const readOnlyHint = "However, you would be able to open this database in read-only mode"

// idleWriter is a writer process that writes its one row before its ready line and then
// only holds: the period is longer than any case.
var idleWriter = competitor.Spec{Kind: vocab.WriterProcess, Period: time.Hour}

// processCases are the cross-process lock cases (docs/duckdb-locking.md#cross-process-locks and
// #real-world-reports).
func processCases() []Case {
	return []Case{
		{
			Name:      "rw-vs-rw",
			Title:     "a read-write open of a file another process holds read-write fails, naming the holder",
			Reference: "docs/duckdb-locking.md#cross-process-locks; duckdb/duckdb#6477",
			Setup:     "A writer-process holds a.db read-write (it wrote a row, so it locks a.db.wal too); this process opens a.db read-write.",
			Expect: Expectation{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Message: lockMsg,
				Also: []string{"DuckDB names the holder's PID and executable", "/proc/locks lists the same PID with a write lock on a.db and on a.db.wal"}},
			run: func(ctx context.Context, r *caseRun) (Observation, error) {
				return heldOpen(ctx, r, idleWriter, false, holders.ModeWrite)
			},
		},
		{
			Name:      "rw-vs-ro",
			Title:     "a read-only open cannot coexist with a read-write holder (the `duckdb --ui` report)",
			Reference: "duckdb/duckdb#17158, duckdb/duckdb#1119; docs/duckdb-locking.md#read-only-and-read-write",
			Setup:     "A writer-process holds a.db read-write, as `duckdb --ui a.db` does; this process opens a.db with access_mode=read_only.",
			Expect: Expectation{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Message: lockMsg,
				Also: []string{"the same message as a read-write open", "DuckDB names the holder's PID"}},
			run: func(ctx context.Context, r *caseRun) (Observation, error) {
				return heldOpen(ctx, r, idleWriter, true, holders.ModeWrite)
			},
		},
		{
			Name:      "rw-vs-attach",
			Title:     "ATTACH, even READ_ONLY, of a file held read-write fails with the same lock error",
			Reference: "docs/duckdb-locking.md#read-only-and-read-write (the ATTACH rows)",
			Setup:     "A writer-process holds a.db read-write; a :memory: database in this process runs ATTACH 'a.db' and ATTACH 'a.db' (READ_ONLY).",
			Expect: Expectation{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Message: lockMsg,
				Also: []string{"both ATTACH forms fail the same way, naming the holder's PID", "the message has no driver prefix (it comes from a statement, not sql.Open)"}},
			run: attachHeld,
		},
		{
			Name:      "readers-vs-writer",
			Title:     "two read-only holders make a read-write open fail with the read-only hint, naming one of them",
			Reference: "docs/duckdb-locking.md#read-only-and-read-write; dagster-io/dagster#27800",
			Setup:     "Two reader processes hold a.db read-only; this process opens a.db read-write.",
			Expect: Expectation{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Message: readOnlyHint, ReadOnlyWouldWork: true,
				Also: []string{"DuckDB names one reader", "/proc/locks lists both readers with read locks"}},
			run: func(ctx context.Context, r *caseRun) (Observation, error) {
				return heldOpen(ctx, r, competitor.Spec{Kind: vocab.Readers, Count: 2}, false, holders.ModeRead)
			},
		},
		{
			Name:      "readers-coexist",
			Title:     "any number of read-only opens coexist (the fix for dashboards and gunicorn workers)",
			Reference: "docs/duckdb-locking.md#read-only-and-read-write; Mause/duckdb_engine#436, frappe/builder#644",
			Setup:     "Two reader processes hold a.db read-only; this process opens a.db read-only too and reads it.",
			Expect: Expectation{Kind: vocab.OK,
				Also: []string{"/proc/locks lists three read locks: both readers and this process"}},
			run: readersCoexist,
		},
		{
			Name:      "viewer-blocks-pipeline",
			Title:     "a viewer holding the file read-only makes the pipeline's read-write open fail",
			Reference: "dbeaver/dbeaver#21810, TablePlus/TablePlus#3345, duckdb/duckdb#1683",
			Setup:     "A reader process (a DBeaver-like viewer) holds sim.duckdb read-only; the workload (sequential mode) starts on that file.",
			Expect: Expectation{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Message: readOnlyHint, ReadOnlyWouldWork: true,
				Also: []string{"DuckDB names the viewer's PID", "the workload fails at its first open"}},
			run: viewerBlocksPipeline,
		},
		{
			Name:      string(vocab.StoppedHolder),
			Title:     "a holder frozen with SIGSTOP keeps its lock",
			Reference: "docs/duckdb-locking.md#lifetime-of-a-lock (a stopped process keeps it); duckdb/duckdb#6477",
			Setup:     "A read-write holder takes a.db and is frozen with SIGSTOP (state T); this process opens a.db read-write.",
			Expect: Expectation{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Message: lockMsg,
				Also: []string{"the holder is in state T", "DuckDB names the stopped holder's PID"}},
			run: stoppedHolder,
		},
		{
			Name:      string(vocab.KilledHolder),
			Title:     "a holder killed with SIGKILL frees the lock at once; its .wal is replayed with no committed row lost",
			Reference: "docs/duckdb-locking.md#lifetime-of-a-lock (a dead process does not)",
			Setup:     "A read-write holder inserts a row every 10ms into a new k.db and is killed with SIGKILL after 150ms; this process then opens k.db read-only, then read-write.",
			Expect: Expectation{Kind: vocab.OK,
				Also: []string{"no lock remains once the holder is reaped", "k.db.wal is left behind",
					"the read-only open replays it without touching the files", "every committed row is there (rows 1..N, no gap)",
					"the read-write open checkpoints it (.wal gone after close)"}},
			run: killedHolder,
		},
		{
			Name:      "dev-server-reloader",
			Title:     "a dev-server reloader opening the file at import time: the second process fails",
			Reference: "duckdb/duckdb#13079, duckdb/duckdb#4456 (uvicorn reload=True, Flask debug=True)",
			Setup:     "Two processes are started the same way, each opening app.db read-write at start-up (the reloader parent, then its worker).",
			Expect: Expectation{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Message: lockMsg,
				Also: []string{"the second process exits with DuckDB's error naming the first process's PID"}},
			run: devServerReloader,
		},
		{
			Name:      "same-process-other-config",
			Title:     "the same process opening the file again with another configuration gets a Connection Error (from the Go driver's instance cache)",
			Reference: "docs/duckdb-locking.md#the-go-driver (one configuration per file and process); uwdata/mosaic#1151",
			Setup:     "This process opens a.db read-write, then sql.Open(\"a.db?access_mode=read_only\") while the first handle is open.",
			Note: "The error comes only from DuckDB's instance cache, which duckdb-go opens every file through (the cache resolves //, ./, ../ " +
				"and symbolic links to one key). Without the cache, as in other clients by default, a second instance of the same file in one " +
				"process gets no error: the process's lock silently drops from write to read, and closing that instance releases it entirely " +
				"while the first read-write instance is still open, so another process can open the file and write " +
				"(same-process-other-config-uncached, the hazard of hardlink-second-instance).",
			Expect: Expectation{Kind: vocab.Error, Message: "Can't open a connection to same database file with a different configuration",
				Also: []string{"the driver types it ErrorTypeConnection", "the file is still locked once, by this process"}},
			run: otherConfig,
		},
		{
			Name:      "same-process-other-config-uncached",
			Title:     "a read-only second instance that bypasses the instance cache: no error, the lock drops to read, then goes, and a write is silently lost",
			Reference: "docs/duckdb-locking.md#locks-belong-to-the-process, #the-go-driver; duckdb/duckdb#17343",
			Setup: "This process opens a.db read-write and checkpoints, then opens b.db, a hard link to a.db (a path the instance cache does not know), " +
				"read-only and closes it; a writer process then writes a.db and exits, and the first instance inserts and closes.",
			Note: "The same hazard as hardlink-second-instance: POSIX locks belong to the process, so the read-only instance's read lock " +
				"replaces the read-write instance's write lock, and its close drops both. ATTACH ... (READ_ONLY) from a :memory: instance does the same.",
			Expect: Expectation{Kind: vocab.LostWrite,
				Also: []string{"the read-only open succeeds in the same process", "while it is open this process holds only a read lock on a.db",
					"closing it drops this process's lock while the first instance is open", "another process opens a.db read-write",
					"the other process's committed table is gone after the first instance closes"}},
			run: func(ctx context.Context, r *caseRun) (Observation, error) { return hardlinkInstance(ctx, r, true) },
		},
		{
			Name:      "hardlink-second-instance",
			Title:     "a second instance through a hard link opens read-write, drops the lock on close, and a write is silently lost",
			Reference: "duckdb/duckdb#17343, duckdb/duckdb#24739; docs/duckdb-locking.md#locks-belong-to-the-process, #the-go-driver",
			Setup: "This process opens a.db read-write and checkpoints, then opens and closes b.db, a hard link to a.db; a writer process then " +
				"writes a.db and exits, and the first instance inserts and closes.",
			Expect: Expectation{Kind: vocab.LostWrite,
				Also: []string{"the hard-link open succeeds read-write", "closing it drops this process's lock while the first instance is open",
					"another process opens a.db read-write", "the other process's committed table is gone after the first instance closes"}},
			run: func(ctx context.Context, r *caseRun) (Observation, error) { return hardlinkInstance(ctx, r, false) },
		},
	}
}

// heldOpen starts spec on a.db and opens a.db from this process (read-only when ro).
func heldOpen(ctx context.Context, r *caseRun, spec competitor.Spec, ro bool, mode string) (Observation, error) {
	var obs Observation
	db := r.path("a.db")
	c, err := r.compete(ctx, spec, db)
	if err != nil {
		return obs, err
	}
	h, err := r.open(ctx, db, ro)
	if err == nil {
		h.Close()
		obs.Outcome = outcome.Outcome{Kind: vocab.OK}
		return obs, nil
	}
	obs.Outcome = classify(err)
	holderChecks(&obs, db, c.PIDs(), mode)
	if spec.Kind == vocab.WriterProcess {
		walLocks, err := fileLocks(db+".wal", holders.ModeWrite)
		obs.check("the holder locks a.db.wal too", err == nil && sameSet(walLocks, c.PIDs()), "/proc/locks on a.db.wal: %v (err %v)", walLocks, err)
	}
	if n := strings.Count(obs.Outcome.Message, "(PID "); len(c.PIDs()) > 1 {
		obs.check("DuckDB names exactly one holder", n == 1, "%d PIDs in the message", n)
	}
	return obs, nil
}

func attachHeld(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	path := r.path("a.db")
	c, err := r.compete(ctx, idleWriter, path)
	if err != nil {
		return obs, err
	}
	mem, err := r.mustOpen(ctx, "", false)
	if err != nil {
		return obs, err
	}
	plain := r.exec(ctx, mem, "memory", "ATTACH "+quote(path)+" AS other")
	ro := r.exec(ctx, mem, "memory", "ATTACH "+quote(path)+" AS other (READ_ONLY)")
	if ro == nil {
		obs.Outcome = outcome.Outcome{Kind: vocab.OK}
		return obs, nil
	}
	obs.Outcome = classify(ro)
	holderChecks(&obs, path, c.PIDs(), holders.ModeWrite)
	po := classify(plain)
	obs.check("a read-write ATTACH fails the same way", po.Kind == vocab.LockConflict && po.HolderPID == obs.Outcome.HolderPID,
		"%s naming pid %d", kindSub(po.Kind, po.Sub), po.HolderPID)
	obs.check("the message has no driver prefix", !strings.Contains(ro.Error(), outcome.DriverPrefix), "%q", ro.Error())
	return obs, nil
}

func readersCoexist(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	path := r.path("a.db")
	c, err := r.compete(ctx, competitor.Spec{Kind: vocab.Readers, Count: 2}, path)
	if err != nil {
		return obs, err
	}
	db, err := r.open(ctx, path, true)
	if err != nil {
		obs.Outcome = classify(err)
		return obs, nil
	}
	defer db.Close()
	n, err := count(ctx, db, "SELECT count(*) FROM "+competitor.HolderTable)
	if err != nil {
		obs.Outcome = classify(err)
		return obs, nil
	}
	r.step("this process reads %s: %d rows", competitor.HolderTable, n)
	obs.Outcome = outcome.Outcome{Kind: vocab.OK}
	want := append(c.PIDs(), os.Getpid())
	got, err := fileLocks(path, holders.ModeRead)
	obs.check("/proc/locks lists three read locks: both readers and this process", err == nil && sameSet(got, want),
		"/proc/locks: %v (err %v); want %v", got, err, want)
	return obs, nil
}

func viewerBlocksPipeline(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	path := r.path("sim.duckdb")
	c, err := r.compete(ctx, competitor.Spec{Kind: vocab.ReaderProcess}, path)
	if err != nil {
		return obs, err
	}
	cfg := simConfig(path, vocab.Sequential, r.env.Worker)
	r.step("the workload starts: %s mode, %d employees, years %v", cfg.Mode, cfg.Employees, cfg.Years)
	res, err := runSim(ctx, cfg)
	if err == nil {
		r.step("the workload finished without error")
		obs.Outcome = outcome.Outcome{Kind: vocab.OK}
		return obs, nil
	}
	r.step("the workload failed: %s", message(err))
	obs.Outcome = classify(err)
	holderChecks(&obs, path, c.PIDs(), holders.ModeRead)
	var models int
	if res != nil {
		for _, s := range res.Spans {
			if s.Kind == "model" {
				models++
			}
		}
	}
	obs.check("the workload fails at its first open, before any model ran", models == 0, "%d models ran", models)
	return obs, nil
}

func stoppedHolder(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	path := r.path("a.db")
	c, err := r.compete(ctx, competitor.Spec{Kind: vocab.StoppedHolder}, path)
	if err != nil {
		return obs, err
	}
	pid := c.PIDs()[0]
	st := proc.State(pid)
	r.step("/proc/%d/stat says state %c", pid, st)
	h, err := r.open(ctx, path, false)
	if err == nil {
		h.Close()
		obs.Outcome = outcome.Outcome{Kind: vocab.OK}
		return obs, nil
	}
	obs.Outcome = classify(err)
	obs.check("the holder is stopped (state T)", st == 'T', "state %q", string(st))
	holderChecks(&obs, path, c.PIDs(), holders.ModeWrite)
	return obs, nil
}

func killedHolder(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	path := r.path("k.db")
	wal := path + ".wal"
	c, err := r.compete(ctx, competitor.Spec{Kind: vocab.KilledHolder, Period: 150 * time.Millisecond}, path)
	if err != nil {
		return obs, err
	}
	pid := c.PIDs()[0]
	if !proc.WaitUntil(ctx.Done(), 30*time.Second, 2*time.Millisecond, func() bool { return hasAction(c.Events(), competitor.ActionKilled) }) {
		return obs, fmt.Errorf("holder pid %d was not killed and reaped within 30s", pid)
	}
	// The kill event is recorded once the holder is reaped: its locks must be gone now.
	hs, lerr := holders.Lookup(path)
	r.step("/proc/locks right after the kill: %d locks on k.db and k.db.wal", len(hs))
	obs.check("no lock remains once the holder is reaped", lerr == nil && len(hs) == 0, "%d locks (err %v)", len(hs), lerr)
	_, werr := os.Stat(wal)
	obs.check("k.db.wal is left behind", werr == nil, "stat: %v", werr)

	type tally struct{ n, lo, hi, pids, pid int }
	read := func(db *sql.DB) (tally, error) {
		var t tally
		err := db.QueryRowContext(ctx, "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0), count(DISTINCT pid), coalesce(min(pid), 0) FROM "+
			competitor.HolderTable).Scan(&t.n, &t.lo, &t.hi, &t.pids, &t.pid)
		return t, err
	}
	ro, err := r.open(ctx, path, true)
	if err != nil {
		obs.Outcome = classify(err)
		return obs, nil
	}
	t1, err := read(ro)
	ro.Close()
	if err != nil {
		obs.Outcome = classify(err)
		return obs, nil
	}
	r.step("read-only open replays the WAL: %d rows (seq %d..%d) from pid %d", t1.n, t1.lo, t1.hi, t1.pid)
	_, werr = os.Stat(wal)
	obs.check("the read-only open leaves k.db.wal alone", werr == nil, "stat after close: %v", werr)

	rw, err := r.open(ctx, path, false)
	if err != nil {
		obs.Outcome = classify(err)
		return obs, nil
	}
	t2, err := read(rw)
	if cerr := rw.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		obs.Outcome = classify(err)
		return obs, nil
	}
	r.step("read-write open replays it: %d rows (seq %d..%d); closing checkpoints", t2.n, t2.lo, t2.hi)
	obs.Outcome = outcome.Outcome{Kind: vocab.OK}
	obs.check("every row committed before the kill is there (seq 1..N, no gap, all from the holder)",
		t2.n >= 1 && t2.lo == 1 && t2.hi == t2.n && t2.pids == 1 && t2.pid == pid && t2 == t1,
		"%d rows, seq %d..%d, %d writer(s), pid %d (read-only open saw %d rows)", t2.n, t2.lo, t2.hi, t2.pids, t2.pid, t1.n)
	_, werr = os.Stat(wal)
	obs.check("the read-write open checkpointed the WAL (k.db.wal gone after close)", errors.Is(werr, os.ErrNotExist), "stat: %v", werr)
	return obs, nil
}

func devServerReloader(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	path := r.path("app.db")
	first, err := r.compete(ctx, idleWriter, path)
	if err != nil {
		return obs, err
	}
	parent := first.PIDs()[0]
	second, err := r.compete(ctx, idleWriter, path)
	if err == nil {
		r.step("the second process holds app.db too (pid %v)", second.PIDs())
		obs.Outcome = outcome.Outcome{Kind: vocab.OK}
		return obs, nil
	}
	var he *competitor.HolderError
	if !errors.As(err, &he) {
		return obs, err
	}
	obs.Outcome = he.Outcome
	obs.Outcome.Message = duckdbLine(he.Outcome.Message)
	r.step("the second process (pid %d) exited: %s", he.PID, obs.Outcome.Message)
	obs.check("the second process is another process", he.PID != parent && he.PID > 0, "pid %d; the first is pid %d", he.PID, parent)
	holderChecks(&obs, path, []int{parent}, holders.ModeWrite)
	return obs, nil
}

func otherConfig(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	path := r.path("a.db")
	if _, err := r.mustOpen(ctx, path, false); err != nil {
		return obs, err
	}
	h, err := r.open(ctx, path, true)
	if err == nil {
		h.Close()
		obs.Outcome = outcome.Outcome{Kind: vocab.OK}
		return obs, nil
	}
	obs.Outcome = classify(err)
	var de *duckdb.Error
	typ := "not a *duckdb.Error"
	if errors.As(err, &de) {
		typ = fmt.Sprintf("error type %d", de.Type)
		if de.Type == duckdb.ErrorTypeConnection {
			typ = "ErrorTypeConnection"
		}
	}
	obs.check("the driver types it ErrorTypeConnection", de != nil && de.Type == duckdb.ErrorTypeConnection, "%s", typ)
	got, lerr := fileLocks(path, "")
	obs.check("a.db is still locked once, by this process", lerr == nil && sameSet(got, []int{os.Getpid()}), "/proc/locks: %v (err %v)", got, lerr)
	return obs, nil
}

// hardlinkInstance opens a.db read-write, then a second instance through a hard link (read-only
// when readOnly), closes it, and shows that the lock is gone and a write is lost.
func hardlinkInstance(ctx context.Context, r *caseRun, readOnly bool) (Observation, error) {
	var obs Observation
	path, link := r.path("a.db"), r.path("b.db")
	self := os.Getpid()
	first, err := r.mustOpen(ctx, path, false)
	if err != nil {
		return obs, err
	}
	for _, q := range []string{"CREATE TABLE t (i INTEGER)", "INSERT INTO t VALUES (1)", "CHECKPOINT"} {
		if err := r.exec(ctx, first, "first instance", q); err != nil {
			return obs, err
		}
	}
	locked, err := fileLocks(path, holders.ModeWrite)
	if err != nil || !sameSet(locked, []int{self}) {
		return obs, fmt.Errorf("a.db should be locked by this process alone before the hard link: %v (err %v)", locked, err)
	}
	if err := os.Link(path, link); err != nil {
		return obs, fmt.Errorf("hard link: %w", err)
	}
	r.step("b.db is a hard link to a.db; /proc/locks: write lock by pid %d", self)
	second, err := r.open(ctx, link, readOnly)
	if readOnly {
		obs.check("the read-only open succeeds in the same process", err == nil, "%s", message(err))
	} else {
		obs.check("the hard-link open succeeds read-write in the same process", err == nil, "%s", message(err))
	}
	if err != nil {
		obs.Outcome = classify(err)
		return obs, nil
	}
	if readOnly {
		reads, rerr := fileLocks(path, holders.ModeRead)
		writes, werr := fileLocks(path, holders.ModeWrite)
		r.step("while b.db is open read-only, /proc/locks on a.db: read %v, write %v", reads, writes)
		obs.check("while it is open this process holds only a read lock on a.db (it was a write lock)",
			rerr == nil && werr == nil && sameSet(reads, []int{self}) && len(writes) == 0, "read %v, write %v (errors %v, %v)", reads, writes, rerr, werr)
	}
	n, err := count(ctx, second, "SELECT count(*) FROM t")
	if err != nil {
		second.Close()
		return obs, err
	}
	r.step("second instance (b.db) reads t: %d row", n)
	if err := second.Close(); err != nil {
		return obs, fmt.Errorf("close b.db: %w", err)
	}
	locked, err = fileLocks(path, "")
	r.step("second instance closed; /proc/locks on a.db: %v", locked)
	obs.check("closing the second instance drops this process's lock while the first is still open", err == nil && len(locked) == 0,
		"/proc/locks: %v (err %v)", locked, err)

	other, err := r.compete(ctx, idleWriter, path)
	if err != nil {
		obs.check("another process opens a.db read-write and writes", false, "%v", err)
		var he *competitor.HolderError
		if errors.As(err, &he) {
			obs.Outcome = he.Outcome
			return obs, nil
		}
		return obs, err
	}
	otherPID := other.PIDs()[0]
	obs.check("another process opens a.db read-write and writes", true, "pid %d", otherPID)
	if err := other.Stop(); err != nil {
		return obs, fmt.Errorf("stop the other process: %w", err)
	}
	r.step("the other process (pid %d) closed a.db cleanly, checkpointing %s", otherPID, competitor.HolderTable)
	if err := r.exec(ctx, first, "first instance", "INSERT INTO t VALUES (2)"); err != nil {
		obs.Outcome = classify(err)
		return obs, nil
	}
	if err := first.Close(); err != nil {
		obs.Outcome = classify(err)
		return obs, nil
	}
	r.step("first instance closed (checkpoint) without error")

	after, err := r.mustOpen(ctx, path, false)
	if err != nil {
		return obs, err
	}
	tables, err := count(ctx, after, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", competitor.HolderTable)
	if err != nil {
		return obs, err
	}
	rows, err := count(ctx, after, "SELECT count(*) FROM t")
	if err != nil {
		return obs, err
	}
	r.step("reopened a.db: %s present %v; t has %d rows", competitor.HolderTable, tables == 1, rows)
	if tables == 0 {
		obs.Outcome = lostWrite("no error anywhere: table %s, committed and checkpointed by pid %d, is gone after the first instance's close",
			competitor.HolderTable, otherPID)
	} else {
		obs.Outcome = outcome.Outcome{Kind: vocab.OK}
	}
	obs.check("the first instance's own rows are intact", rows == 2, "t has %d rows", rows)
	return obs, nil
}

// runSim validates cfg and runs it.
func runSim(ctx context.Context, cfg sim.Config) (*sim.Result, error) {
	v, err := cfg.Validate()
	if err != nil {
		return nil, err
	}
	return sim.Run(ctx, v)
}

// simConfig is the small workload the pipeline cases run.
func simConfig(path string, mode vocab.Mode, worker *sim.WorkerCommand) sim.Config {
	return sim.Config{DBPath: path, Mode: mode, Threads: 4, Coordination: true, Employees: 300,
		Years: []int{2025, 2026}, Seed: 1, Worker: worker}
}
