package repro

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"lockbench/buildinfo"
	"lockbench/harness/competitor"
	"lockbench/holders"
	"lockbench/internal/proc"
	"lockbench/outcome"
	"lockbench/vocab"
)

// lockFacts are what a lock conflict must say, whatever a DuckDB release's wording: the file,
// the holder's executable and PID (none and 0 when the holder is outside the opener's PID
// namespace), and no read-only hint (the holder is a writer).
type lockFacts struct {
	Path string
	Exe  string
	PID  int
}

// factsOf reads the lock facts of an observed outcome.
func factsOf(o outcome.Outcome) lockFacts {
	return lockFacts{Path: o.Path, Exe: o.HolderExe, PID: o.HolderPID}
}

// isLockConflictWith reports whether o is a database lock conflict without the read-only hint
// whose facts are want.
func isLockConflictWith(o outcome.Outcome, want lockFacts) bool {
	return o.Kind == vocab.LockConflict && o.Sub == vocab.SubDatabase && !o.ReadOnlyWouldWork && factsOf(o) == want
}

// containerCases are the cases of processes in different containers or PID namespaces sharing
// a file, and of one file on several file systems and under several paths.
func containerCases() []Case {
	return append(namespaceCases(), fileSystemCases()...)
}

// namespaceCases put the holder and the opener in different PID namespaces, as two containers
// sharing a volume do (docs/duckdb-locking.md#pid-namespaces-and-containers). Each skips where
// this machine cannot create PID namespaces.
func namespaceCases() []Case {
	const ref = "sisig-ai/doctor#15, trinodb/trino#25802; docs/duckdb-locking.md#pid-namespaces-and-containers"
	return []Case{
		{
			Name:      "pidns-holder-in-child",
			Title:     "a holder in a child PID namespace (a container), an opener on the host: DuckDB names the holder's host PID",
			Reference: ref,
			Setup: "A read-write holder runs as PID 1 of a new PID namespace (unshare --pid --fork --mount-proc) and holds a.db and a.db.wal; " +
				"this process, on the host, opens a.db read-write; `lockbench who` runs on the host.",
			Note: "The PID in the message is the one the opener's namespace sees: the holder calls itself pid 1 in its container, " +
				"so look for DuckDB's PID on the host, not inside the container.",
			Expect: Expectation{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Message: lockMsg,
				Also: []string{"DuckDB names a.db, the holder's executable and its host PID",
					"the holder is pid 1 in its own namespace (NSpid: <host PID> 1)",
					"`who` on the host names the holder's host PID with write locks on a.db and a.db.wal"}},
			run: holderInChild,
		},
		{
			Name:      "pidns-siblings",
			Title:     "holder and opener in sibling PID namespaces (two containers sharing a volume): DuckDB names PID 0",
			Reference: ref,
			Setup: "A read-write holder runs in a new PID namespace; a second process in another new PID namespace opens a.db read-write; " +
				"`lockbench who` runs in a third new PID namespace, and on the host.",
			Note: "Inside a PID namespace /proc/locks omits locks whose owner is not visible there; F_GETLK, which DuckDB uses, still " +
				"reports the lock, with PID 0. `who` probes with F_GETLK too and lists it as held outside the namespace.",
			Expect: Expectation{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Message: "Conflicting lock is held in PID 0",
				Also: []string{"DuckDB names a.db, PID 0 and no executable",
					"the outcome records the holder's role as outside-namespace",
					"`who` in a sibling namespace lists write locks on a.db and a.db.wal held outside its PID namespace, with the device:inode the host's /proc/locks shows",
					"`who` on the host names the holder's host PID", "the holder keeps both locks after the F_GETLK probes"}},
			run: siblings,
		},
		{
			Name:      "pidns-holder-on-host",
			Title:     "a holder on the host, an opener in a child PID namespace (a container): DuckDB names PID 0",
			Reference: ref,
			Setup: "A writer-process holds a.db (and a.db.wal) on the host; a process in a new PID namespace opens a.db read-write; " +
				"`lockbench who` runs in another new PID namespace.",
			Expect: Expectation{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Message: "Conflicting lock is held in PID 0",
				Also: []string{"DuckDB names a.db, PID 0 and no executable",
					"the outcome records the holder's role as outside-namespace",
					"`who` in the namespace lists write locks on a.db and a.db.wal held outside its PID namespace, with the device:inode the host's /proc/locks shows",
					"the host's /proc/locks lists the holder", "the holder keeps both locks after the F_GETLK probes"}},
			run: holderOnHost,
		},
	}
}

// holdInNamespace starts a read-write holder (one row written, so it locks the .wal too) as
// PID 1 of a new PID namespace and returns it with its PID on the host.
func (r *caseRun) holdInNamespace(ctx context.Context, db string) (*nsProc, error) {
	cmd := r.env.Launcher.Command(competitor.HoldOptions{DB: db, WriteEvery: time.Hour})
	p, line, err := r.startInNamespace(ctx, "holder", cmd)
	if err != nil {
		return nil, err
	}
	r.step("a holder in a new PID namespace says %q; on the host it is pid %d (NSpid: %s)", line, p.pid, strings.Join(proc.NSpid(p.pid), " "))
	return p, nil
}

// openInNamespace opens db read-write from a process in a new PID namespace (`lockbench hold`
// for a millisecond) and returns the outcome, with DuckDB's message from its stderr.
func (r *caseRun) openInNamespace(ctx context.Context, db string) (outcome.Outcome, error) {
	cmd := r.env.Launcher.Command(competitor.HoldOptions{DB: db, For: time.Millisecond})
	_, stderr, err := runInNamespace(ctx, cmd)
	if err == nil {
		r.step("a process in another new PID namespace opened a.db read-write")
		return outcome.Outcome{Kind: vocab.OK}, nil
	}
	if _, ok := err.(*skipError); ok {
		return outcome.Outcome{}, err
	}
	o := outcome.ClassifyText(stderr)
	o.Message = duckdbLine(o.Message)
	r.step("a process in another new PID namespace opens a.db read-write: %s", o.Message)
	return o, nil
}

func holderInChild(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	db := r.path("a.db")
	h, err := r.holdInNamespace(ctx, db)
	if err != nil {
		return obs, err
	}
	c, err := r.open(ctx, db, false)
	if err == nil {
		c.Close()
		obs.Outcome = outcome.Outcome{Kind: vocab.OK}
		return obs, nil
	}
	obs.Outcome = classify(err)
	outcome.Enrich(&obs.Outcome, buildinfo.LinkedRelease())
	want := lockFacts{Path: db, Exe: proc.Exe(h.pid), PID: h.pid}
	obs.check("DuckDB names the file, the holder's executable and its host PID", isLockConflictWith(obs.Outcome, want),
		"got %+v; want %+v", factsOf(obs.Outcome), want)
	ns := proc.NSpid(h.pid)
	obs.check("the holder is pid 1 in its own namespace, and DuckDB names its host PID", len(ns) == 2 && ns[1] == "1" && ns[0] == fmt.Sprint(obs.Outcome.HolderPID),
		"NSpid: %s; DuckDB named pid %d", strings.Join(ns, " "), obs.Outcome.HolderPID)
	obs.check("the holder's role is not outside-namespace (the host sees it)", obs.Outcome.HolderRole == "", "role %q", obs.Outcome.HolderRole)
	hs, err := r.who(ctx, db, false)
	if err != nil {
		return obs, err
	}
	ok, got := whoShows(hs, db, h.pid, false)
	obs.check("`who` on the host names the holder's host PID with write locks on a.db and a.db.wal", ok, "%s", got)
	return obs, nil
}

func siblings(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	db := r.path("a.db")
	h, err := r.holdInNamespace(ctx, db)
	if err != nil {
		return obs, err
	}
	if obs.Outcome, err = r.openInNamespace(ctx, db); err != nil || obs.Outcome.Kind == vocab.OK {
		return obs, err
	}
	pid0Checks(&obs, db)
	hs, err := r.who(ctx, db, true)
	if err != nil {
		return obs, err
	}
	ok, got := whoShows(hs, db, h.pid, true)
	obs.check("`who` in a sibling namespace lists write locks on a.db and a.db.wal held outside its PID namespace, with the device:inode the host's /proc/locks shows", ok, "%s", got)
	hs, err = r.who(ctx, db, false)
	if err != nil {
		return obs, err
	}
	ok, got = whoShows(hs, db, h.pid, false)
	obs.check("`who` on the host names the holder's host PID", ok, "%s", got)
	ids := procLocksIDs(h.pid)
	obs.check("the holder keeps both locks after the F_GETLK probes", len(ids) == 2, "/proc/locks on the host: %v", ids)
	return obs, nil
}

func holderOnHost(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	db := r.path("a.db")
	if _, err := pidNamespaces(); err != nil {
		return obs, skipf("%v", err)
	}
	c, err := r.compete(ctx, idleWriter, db)
	if err != nil {
		return obs, err
	}
	pid := c.PIDs()[0]
	if obs.Outcome, err = r.openInNamespace(ctx, db); err != nil || obs.Outcome.Kind == vocab.OK {
		return obs, err
	}
	pid0Checks(&obs, db)
	hs, err := r.who(ctx, db, true)
	if err != nil {
		return obs, err
	}
	ok, got := whoShows(hs, db, pid, true)
	obs.check("`who` in the namespace lists write locks on a.db and a.db.wal held outside its PID namespace, with the device:inode the host's /proc/locks shows", ok, "%s", got)
	locked, err := fileLocks(db, holders.ModeWrite)
	obs.check("the host's /proc/locks lists the holder", err == nil && sameSet(locked, []int{pid}), "/proc/locks: %v (err %v); holder pid %d", locked, err, pid)
	ids := procLocksIDs(pid)
	obs.check("the holder keeps both locks after the F_GETLK probes", len(ids) == 2, "/proc/locks on the host: %v", ids)
	return obs, nil
}

// pid0Checks asserts what DuckDB's PID 0 message says and the holder role it implies.
func pid0Checks(obs *Observation, db string) {
	want := lockFacts{Path: db}
	obs.check("DuckDB names the file, PID 0 and no executable", isLockConflictWith(obs.Outcome, want),
		"got %+v; want %+v", factsOf(obs.Outcome), want)
	obs.check("the outcome records the holder's role as outside-namespace", obs.Outcome.HolderRole == vocab.RoleOutsideNamespace,
		"pid %d, role %q", obs.Outcome.HolderPID, obs.Outcome.HolderRole)
}

// whoShows checks what `who` listed for db against a read-write holder whose host PID is pid:
// exactly a write lock on db and one on db.wal, each with the device:inode that /proc/locks on
// the host shows for pid; held by pid itself, or, when outside, by a process outside the
// PID namespace that `who` ran in (PID 0).
func whoShows(hs []holders.Holder, db string, pid int, outside bool) (bool, string) {
	ids := procLocksIDs(pid)
	var got []string
	ok := len(hs) == 2
	for i, h := range hs {
		id := fmt.Sprintf("%s:%d", h.Device, h.Inode)
		got = append(got, fmt.Sprintf("%s pid %d %s outside=%v %s", h.File, h.PID, h.Mode, h.OutsideNamespace, id))
		wantFile := db
		if i == 1 {
			wantFile += ".wal"
		}
		wantPID := pid
		if outside {
			wantPID = 0
		}
		ok = ok && h.File == wantFile && h.Mode == holders.ModeWrite && h.PID == wantPID && h.OutsideNamespace == outside && slices.Contains(ids, id)
	}
	return ok, fmt.Sprintf("who: [%s]; /proc/locks on the host for pid %d: %v", strings.Join(got, "; "), pid, ids)
}
