package repro

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"lockbench/harness/competitor"
	"lockbench/internal/crash"
	"lockbench/internal/proc"
	"lockbench/outcome"
	"lockbench/release"
	"lockbench/vocab"
)

// The two releases of the upgrade cases: the one most teams run today and the one they are
// moving to. Their behaviour against each other was measured (docs/duckdb-locking.md#duckdb-20).
const (
	oldRelease = "1.5.6"
	newRelease = "2.0.0"
)

// upgradeRef is where the upgrade cases' behaviour is described.
const upgradeRef = "docs/duckdb-locking.md#duckdb-20 (storage formats, mixed fleets)"

// holderRows is how many committed rows a killed writer leaves in its .wal.
const holderRows = 50

// upgradeCases are the cases of a fleet in the middle of an upgrade: processes of two DuckDB
// releases on one file. Each runs lockbench binaries of both releases (Env.Release), whichever
// release the running lockbench links, and skips when a binary cannot be had.
func upgradeCases() []Case {
	return []Case{
		{
			Name:      "upgrade-new-format-old-reader",
			Title:     "DuckDB 1.5.6 cannot open a file in 2.0.0's format, read-write or read-only",
			Reference: upgradeRef,
			Releases:  []string{oldRelease, newRelease},
			Setup:     "DuckDB 2.0.0 creates a.db in its default format; a 1.5.6 process opens it read-write, then read-only.",
			Note:      "The format is fixed when the file is created: 2.0.0's default is storage version 69, which no 1.x release reads. Create the file with storage_compatibility_version=v1.5.0 while 1.x readers remain.",
			Expect: Expectation{Kind: vocab.StorageFormat, Sub: vocab.SubTooNew,
				Also: []string{"the file's headers say storage version 69", "DuckDB 1.5.6 says it reads up to 68", "the read-only open fails the same way", "the advice names the upgrade and storage_compatibility_version, never a read-only open"}},
			run: newFormatOldReader,
		},
		{
			Name:      "upgrade-lock-hides-format",
			Title:     "a 2.0.0 writer holds a 2.0-format file: 1.5.6 gets an ordinary lock conflict, and the format error once the writer is gone",
			Reference: upgradeRef,
			Releases:  []string{oldRelease, newRelease},
			Setup:     "A 2.0.0 writer-process holds a.db (2.0.0's format); a 1.5.6 process opens it read-write; the writer stops; the 1.5.6 process opens it again.",
			Note:      "DuckDB takes the lock before it reads the header, so the first error hides the real one: closing the holder, as the lock error suggests, does not help the 1.5.6 process.",
			Expect: Expectation{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Message: lockMsg,
				Also: []string{"DuckDB names the 2.0.0 holder's PID", "lockbench's advice says the file's format is unreadable for 1.5.6 and does not suggest a read-only open", "after the holder exits the same open fails with storage-format (too-new)"}},
			run: lockHidesFormat,
		},
		{
			Name:      "upgrade-readonly-hint-trap",
			Title:     "a 2.0.0 read-only holder makes 1.5.6 suggest a read-only open, which fails with the format error",
			Reference: upgradeRef,
			Releases:  []string{oldRelease, newRelease},
			Setup:     "A 2.0.0 reader-process holds a.db (2.0.0's format) read-only; a 1.5.6 process opens it read-write, then read-only as DuckDB suggests.",
			Expect: Expectation{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Message: lockMsg, ReadOnlyWouldWork: true,
				Also: []string{"following the hint, the 1.5.6 read-only open fails with storage-format (too-new)", "lockbench's advice does not repeat the hint"}},
			run: readOnlyHintTrap,
		},
		{
			Name:      "upgrade-old-holder-new-opener",
			Title:     "a 1.5.6 writer and a 2.0.0 opener lock each other out as two processes of one release do",
			Reference: upgradeRef,
			Releases:  []string{oldRelease, newRelease},
			Setup:     "A 1.5.6 writer-process holds a.db (a 1.x-format file it created); a 2.0.0 process opens it read-write.",
			Expect: Expectation{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Message: lockMsg,
				Also: []string{"DuckDB names the 1.5.6 holder's PID and executable"}},
			run: oldHolderNewOpener,
		},
		{
			Name:      "upgrade-wal-replay-new-to-old",
			Title:     "a 2.0.0 writer killed with committed rows in the .wal: 1.5.6 replays them all",
			Reference: upgradeRef,
			Releases:  []string{oldRelease, newRelease},
			Setup:     fmt.Sprintf("DuckDB 1.5.6 creates a.db; a 2.0.0 holder commits %d rows, one transaction each, and is killed with SIGKILL; a 1.5.6 process reads the table.", holderRows),
			Expect: Expectation{Kind: vocab.OK,
				Also: []string{"the killed writer left a.db.wal", fmt.Sprintf("1.5.6 reads all %d committed rows", holderRows), "the file keeps its 1.x format"}},
			run: func(ctx context.Context, r *caseRun) (Observation, error) {
				return walReplay(ctx, r, newRelease, oldRelease)
			},
		},
		{
			Name:      "upgrade-wal-replay-old-to-new",
			Title:     "a 1.5.6 writer killed with committed rows in the .wal: 2.0.0 replays them all",
			Reference: upgradeRef,
			Releases:  []string{oldRelease, newRelease},
			Setup:     fmt.Sprintf("DuckDB 1.5.6 creates a.db; a 1.5.6 holder commits %d rows, one transaction each, and is killed with SIGKILL; a 2.0.0 process reads the table.", holderRows),
			Expect: Expectation{Kind: vocab.OK,
				Also: []string{"the killed writer left a.db.wal", fmt.Sprintf("2.0.0 reads all %d committed rows", holderRows), "the file keeps its 1.x format"}},
			run: func(ctx context.Context, r *caseRun) (Observation, error) {
				return walReplay(ctx, r, oldRelease, newRelease)
			},
		},
		{
			Name:      "upgrade-compat-file-old-reader",
			Title:     "a file 2.0.0 creates with storage_compatibility_version=v1.5.0 opens in 1.5.6",
			Reference: upgradeRef,
			Releases:  []string{oldRelease, newRelease},
			Setup:     "DuckDB 2.0.0 runs `lockbench simulate --storage-version v1.5.0` on a.db; 1.5.6 and 2.0.0 processes fingerprint its data.",
			Expect: Expectation{Kind: vocab.OK,
				Also: []string{"the headers say storage version 68 (v1.5.0)", "1.5.6 reads every row: its fingerprint of the data is 2.0.0's"}},
			run: compatFileOldReader,
		},
		{
			Name:      "upgrade-old-file-written-by-new",
			Title:     "2.0.0 writing to a 1.x file keeps its format: 1.5.6 still opens it",
			Reference: upgradeRef,
			Releases:  []string{oldRelease, newRelease},
			Setup:     "DuckDB 1.5.6 creates a.db; a 2.0.0 process writes rows to it and closes it; a 1.5.6 process reads them.",
			Expect: Expectation{Kind: vocab.OK,
				Also: []string{"the headers still say storage version 64", "1.5.6 reads every row 2.0.0 wrote"}},
			run: oldFileWrittenByNew,
		},
	}
}

// binary returns a lockbench binary of a release, or a skipError when none can be had here.
func (r *caseRun) binary(ctx context.Context, name string) (string, error) {
	if r.env.Release == nil {
		return "", skipf("this run has no lockbench binaries of other DuckDB releases (run it with `lockbench repro`, which builds them)")
	}
	p, err := r.env.Release(ctx, name)
	if err != nil {
		var be *release.BuildError
		if errors.As(err, &be) {
			return "", skipf("%v", err)
		}
		return "", err
	}
	return p, nil
}

// peer runs `lockbench ARGS...` of a release to completion and returns its stdout, stderr and
// exit error.
func (r *caseRun) peer(ctx context.Context, rel string, args ...string) (string, string, error) {
	bin, err := r.binary(ctx, rel)
	if err != nil {
		return "", "", err
	}
	return runCmd(ctx, exec.Command(bin, args...))
}

// peerOpen opens db with a release (`lockbench hold --for=1ms`) and returns the outcome,
// classified from what that process printed, as the opener's own release sees it.
func (r *caseRun) peerOpen(ctx context.Context, rel, db string, readOnly bool) (outcome.Outcome, error) {
	args := []string{"hold", "--for=1ms"}
	mode := "read-write"
	if readOnly {
		args, mode = append(args, "--read-only"), "read-only"
	}
	_, stderr, err := r.peer(ctx, rel, append(args, db)...)
	var skip *skipError
	if errors.As(err, &skip) {
		return outcome.Outcome{}, err
	}
	if err == nil {
		r.step("DuckDB %s opens %s %s", rel, r.rel(db), mode)
		return outcome.Outcome{Kind: vocab.OK}, nil
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return outcome.Outcome{}, fmt.Errorf("DuckDB %s open of %s: %w", rel, db, err)
	}
	o := outcome.ClassifyText(stderr)
	if rr, lerr := release.Lookup(rel); lerr == nil {
		outcome.EnrichStorage(&o, rr)
	}
	r.step("DuckDB %s opens %s %s: %s", rel, r.rel(db), mode, firstLine(o.Message))
	return o, nil
}

// peerHold starts a holder of a release on db (a competitor of spec's kind) and waits until it
// holds the file.
func (r *caseRun) peerHold(ctx context.Context, rel string, spec competitor.Spec, db string) (*competitor.Running, error) {
	bin, err := r.binary(ctx, rel)
	if err != nil {
		return nil, err
	}
	c, err := competitor.Start(ctx, spec, competitor.Env{DB: db, Launcher: competitor.Launcher{Path: bin, Args: []string{"hold"}}})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.comps = append(r.comps, c)
	r.mu.Unlock()
	return c, nil
}

// peerRows counts the rows of the holders' table in db as a release reads it (`lockbench
// fingerprint --json --all`, a read-only open).
func (r *caseRun) peerRows(ctx context.Context, rel, db string) (int, error) {
	out, stderr, err := r.peer(ctx, rel, "fingerprint", "--json", "--all", db)
	if err != nil {
		var skip *skipError
		if errors.As(err, &skip) {
			return 0, err
		}
		return 0, fmt.Errorf("DuckDB %s reading %s: %v: %s", rel, r.rel(db), err, strings.TrimSpace(stderr))
	}
	var fp struct {
		Tables []struct {
			Table string `json:"table"`
			Rows  int    `json:"rows"`
		} `json:"tables"`
	}
	if err := json.Unmarshal([]byte(out), &fp); err != nil {
		return 0, fmt.Errorf("fingerprint --json: %w", err)
	}
	for _, t := range fp.Tables {
		if t.Table == competitor.HolderTable {
			r.step("DuckDB %s reads %s: %d rows in %s", rel, r.rel(db), t.Rows, competitor.HolderTable)
			return t.Rows, nil
		}
	}
	return 0, fmt.Errorf("DuckDB %s found no table %s in %s", rel, competitor.HolderTable, r.rel(db))
}

// storageOf reads db's storage version from its headers (this process holds nothing on it).
func (r *caseRun) storageOf(db string) int {
	v, err := release.ReadStorageVersion(db)
	if err != nil {
		r.step("storage version of %s: %v", r.rel(db), err)
		return 0
	}
	r.step("%s has storage version %s", r.rel(db), v)
	return v.Number
}

// createWith makes db with a release (`lockbench hold --rows=1 --for=1ms`), in that release's
// default format, holding one row of the holders' table.
func (r *caseRun) createWith(ctx context.Context, rel, db string) error {
	_, stderr, err := r.peer(ctx, rel, "hold", "--rows=1", "--for=1ms", db)
	if err != nil {
		var skip *skipError
		if errors.As(err, &skip) {
			return err
		}
		return fmt.Errorf("DuckDB %s creating %s: %v: %s", rel, r.rel(db), err, strings.TrimSpace(stderr))
	}
	r.step("DuckDB %s creates %s with one row", rel, r.rel(db))
	return nil
}

// needBoth checks up front that binaries of both releases can be had, so that a case skips
// before it does anything.
func needBoth(ctx context.Context, r *caseRun) error {
	for _, rel := range []string{oldRelease, newRelease} {
		if _, err := r.binary(ctx, rel); err != nil {
			return err
		}
	}
	return nil
}

func newFormatOldReader(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	if err := needBoth(ctx, r); err != nil {
		return obs, err
	}
	db := r.path("a.db")
	if err := r.createWith(ctx, newRelease, db); err != nil {
		return obs, err
	}
	v := r.storageOf(db)
	obs.check("the file's headers say storage version 69", v == 69, "storage version %d", v)
	o, err := r.peerOpen(ctx, oldRelease, db, false)
	if err != nil {
		return obs, err
	}
	obs.Outcome = o
	obs.check("DuckDB 1.5.6 says the file is 69 and it reads up to 68", o.StorageVersion == 69 && o.ReaderMaxStorage == 68,
		"file %d, reader up to %d", o.StorageVersion, o.ReaderMaxStorage)
	ro, err := r.peerOpen(ctx, oldRelease, db, true)
	if err != nil {
		return obs, err
	}
	obs.check("the read-only open fails the same way", ro.Kind == vocab.StorageFormat && ro.Sub == vocab.SubTooNew, "%s/%s", ro.Kind, ro.Sub)
	advice := outcome.Advice(o, db)
	obs.check("the advice names the upgrade and storage_compatibility_version, never a read-only open",
		strings.Contains(advice, "DuckDB 2.0.0") && strings.Contains(advice, "storage_compatibility_version=v1.5.0") && !strings.Contains(advice, "read_only") && !strings.Contains(advice, "open it read-only"),
		"%s", advice)
	return obs, nil
}

func lockHidesFormat(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	if err := needBoth(ctx, r); err != nil {
		return obs, err
	}
	db := r.path("a.db")
	if err := r.createWith(ctx, newRelease, db); err != nil {
		return obs, err
	}
	c, err := r.peerHold(ctx, newRelease, idleWriter, db)
	if err != nil {
		return obs, err
	}
	o, err := r.peerOpen(ctx, oldRelease, db, false)
	if err != nil {
		return obs, err
	}
	obs.Outcome = o
	pids := c.PIDs()
	obs.check("DuckDB names the 2.0.0 holder's PID", len(pids) == 1 && o.HolderPID == pids[0], "named %d; holder %v", o.HolderPID, pids)
	advice := outcome.Advice(o, db)
	obs.check("lockbench's advice says the format is unreadable for 1.5.6, without a read-only open",
		outcome.CannotRead(o) && strings.Contains(advice, "storage version 69") && !strings.Contains(advice, "read-only with") && !strings.Contains(advice, "access_mode"),
		"%s", advice)
	if err := c.Stop(); err != nil {
		return obs, fmt.Errorf("stop the holder: %w", err)
	}
	r.step("the 2.0.0 holder is gone")
	after, err := r.peerOpen(ctx, oldRelease, db, false)
	if err != nil {
		return obs, err
	}
	obs.check("after the holder exits the same open fails with storage-format (too-new)", after.Kind == vocab.StorageFormat && after.Sub == vocab.SubTooNew,
		"%s/%s", after.Kind, after.Sub)
	return obs, nil
}

func readOnlyHintTrap(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	if err := needBoth(ctx, r); err != nil {
		return obs, err
	}
	db := r.path("a.db")
	if err := r.createWith(ctx, newRelease, db); err != nil {
		return obs, err
	}
	if _, err := r.peerHold(ctx, newRelease, competitor.Spec{Kind: vocab.ReaderProcess}, db); err != nil {
		return obs, err
	}
	o, err := r.peerOpen(ctx, oldRelease, db, false)
	if err != nil {
		return obs, err
	}
	obs.Outcome = o
	ro, err := r.peerOpen(ctx, oldRelease, db, true)
	if err != nil {
		return obs, err
	}
	obs.check("following the hint, the 1.5.6 read-only open fails with storage-format (too-new)", ro.Kind == vocab.StorageFormat && ro.Sub == vocab.SubTooNew,
		"%s/%s", ro.Kind, ro.Sub)
	advice := outcome.Advice(o, db)
	obs.check("lockbench's advice does not repeat the hint", outcome.CannotRead(o) && !strings.Contains(advice, "only readers hold the file"), "%s", advice)
	return obs, nil
}

func oldHolderNewOpener(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	if err := needBoth(ctx, r); err != nil {
		return obs, err
	}
	db := r.path("a.db")
	c, err := r.peerHold(ctx, oldRelease, idleWriter, db)
	if err != nil {
		return obs, err
	}
	o, err := r.peerOpen(ctx, newRelease, db, false)
	if err != nil {
		return obs, err
	}
	obs.Outcome = o
	pids := c.PIDs()
	bin, _ := r.binary(ctx, oldRelease)
	obs.check("DuckDB names the 1.5.6 holder's PID and executable", len(pids) == 1 && o.HolderPID == pids[0] && o.HolderExe == bin,
		"named %d %s; holder %v %s", o.HolderPID, o.HolderExe, pids, bin)
	obs.check("the file is one both releases read", v64(r.storageOf(db)), "see the timeline")
	return obs, nil
}

// v64 reports whether a storage version is the 1.x default format.
func v64(v int) bool { return v == release.MinStorage }

// walReplay: writer's release commits rows and is killed; reader's release reads them.
func walReplay(ctx context.Context, r *caseRun, writer, reader string) (Observation, error) {
	var obs Observation
	if err := needBoth(ctx, r); err != nil {
		return obs, err
	}
	db := r.path("a.db")
	if err := r.createWith(ctx, oldRelease, db); err != nil {
		return obs, err
	}
	bin, err := r.binary(ctx, writer)
	if err != nil {
		return obs, err
	}
	cmd := competitor.Launcher{Path: bin, Args: []string{"hold"}}.Command(competitor.HoldOptions{DB: db, Rows: holderRows})
	out, err := cmd.StdoutPipe()
	if err != nil {
		return obs, err
	}
	if err := proc.StartGroup(cmd); err != nil {
		return obs, err
	}
	r.later(func() { proc.KillGroup(cmd.Process.Pid); _ = cmd.Wait() })
	line, err := readLine(out, competitor.DefaultReadyTimeout)
	if err != nil || !strings.HasPrefix(line, competitor.ReadyPrefix) {
		return obs, fmt.Errorf("DuckDB %s writer: no ready line (%v): %q", writer, err, line)
	}
	r.step("DuckDB %s writer (pid %d) committed %d more rows: %s", writer, cmd.Process.Pid, holderRows, line)
	_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
	r.step("the %s writer is killed with SIGKILL", writer)
	walLeft := fileExists(db + ".wal")
	obs.check("the killed writer left a.db.wal", walLeft, "a.db.wal exists: %v", walLeft)
	n, err := r.peerRows(ctx, reader, db)
	if err != nil {
		obs.Outcome = outcome.ClassifyText(err.Error())
		return obs, nil
	}
	want := holderRows + 1 // and the creator's row
	obs.Outcome = outcome.Outcome{Kind: vocab.OK}
	if n != want {
		obs.Outcome = outcome.Outcome{Kind: vocab.LostWrite, Message: fmt.Sprintf("%s read %d rows, %d were committed", reader, n, want)}
	}
	obs.check(fmt.Sprintf("%s reads all %d committed rows", reader, holderRows), n == want, "%d rows (want %d: %d and the creator's one)", n, want, holderRows)
	v := r.storageOf(db)
	obs.check("the file keeps its 1.x format", v64(v), "storage version %d", v)
	return obs, nil
}

func compatFileOldReader(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	if err := needBoth(ctx, r); err != nil {
		return obs, err
	}
	db := r.path("a.db")
	// What a user does: have the writer create the file in the older format.
	_, stderr, err := r.peer(ctx, newRelease, "simulate", "--employees", "300", "--years", "2025", "--mode", string(vocab.Sequential), "--storage-version", "v1.5.0", "--db", db)
	if err != nil {
		var skip *skipError
		if errors.As(err, &skip) {
			return obs, err
		}
		return obs, fmt.Errorf("DuckDB %s simulate --storage-version v1.5.0: %v: %s", newRelease, err, strings.TrimSpace(stderr))
	}
	r.step("DuckDB %s simulate --storage-version v1.5.0 writes a.db", newRelease)
	v := r.storageOf(db)
	obs.check("the headers say storage version 68 (v1.5.0)", v == 68, "storage version %d", v)
	fingerprint := func(rel string) (string, outcome.Outcome, error) {
		out, stderr, err := r.peer(ctx, rel, "fingerprint", "--json", db)
		if err != nil {
			var skip *skipError
			if errors.As(err, &skip) {
				return "", outcome.Outcome{}, err
			}
			o := outcome.ClassifyText(stderr)
			r.step("DuckDB %s fingerprint a.db: %s", rel, firstLine(o.Message))
			return "", o, nil
		}
		var fp struct {
			Fingerprint string `json:"fingerprint"`
		}
		if err := json.Unmarshal([]byte(out), &fp); err != nil {
			return "", outcome.Outcome{}, fmt.Errorf("fingerprint --json: %w", err)
		}
		r.step("DuckDB %s reads a.db: fingerprint %s", rel, fp.Fingerprint)
		return fp.Fingerprint, outcome.Outcome{Kind: vocab.OK}, nil
	}
	oldFP, o, err := fingerprint(oldRelease)
	if err != nil || o.Kind != vocab.OK {
		obs.Outcome = o
		return obs, err
	}
	newFP, _, err := fingerprint(newRelease)
	if err != nil {
		return obs, err
	}
	obs.Outcome = o
	obs.check("1.5.6 reads every row: its fingerprint of the data is 2.0.0's", oldFP != "" && oldFP == newFP, "1.5.6 %s, 2.0.0 %s", oldFP, newFP)
	return obs, nil
}

func oldFileWrittenByNew(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	if err := needBoth(ctx, r); err != nil {
		return obs, err
	}
	db := r.path("a.db")
	if err := r.createWith(ctx, oldRelease, db); err != nil {
		return obs, err
	}
	if _, stderr, err := r.peer(ctx, newRelease, "hold", "--rows="+strconv.Itoa(holderRows), "--for=1ms", db); err != nil {
		return obs, fmt.Errorf("DuckDB %s writing: %v: %s", newRelease, err, strings.TrimSpace(stderr))
	}
	r.step("DuckDB %s writes %d rows to a.db and closes it", newRelease, holderRows)
	v := r.storageOf(db)
	obs.check("the headers still say storage version 64", v64(v), "storage version %d", v)
	n, err := r.peerRows(ctx, oldRelease, db)
	if err != nil {
		obs.Outcome = outcome.ClassifyText(err.Error())
		return obs, nil
	}
	obs.Outcome = outcome.Outcome{Kind: vocab.OK}
	obs.check("1.5.6 reads every row 2.0.0 wrote", n == holderRows+1, "%d rows (want %d)", n, holderRows+1)
	return obs, nil
}

// readLine reads one line from rd, giving up after timeout.
func readLine(rd interface{ Read([]byte) (int, error) }, timeout time.Duration) (string, error) {
	type res struct {
		line string
		err  error
	}
	ch := make(chan res, 1)
	crash.Go(func() {
		line, err := bufio.NewReader(rd).ReadString('\n')
		ch <- res{strings.TrimSpace(line), err}
	})
	select {
	case x := <-ch:
		return x.line, x.err
	case <-time.After(timeout):
		return "", fmt.Errorf("no line within %s", timeout)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
