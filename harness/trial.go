// Package harness runs scenarios: it executes trials (each in a child process of its own, with
// its competitors around it), classifies their outcomes, checks their data, and records them in
// a run directory. What a trial runs is a Workload (the simulation, or a user's command),
// selected by the scenario's workload kind; everything around it is the same for every
// workload. Its subpackages are competitor (the injected connections) and repro (the catalog of
// lock reproductions); package outcome classifies DuckDB's errors, holders names who holds a
// lock (from /proc/locks), and internal/proc starts and reaps the processes.
package harness

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lockbench/buildinfo"
	"lockbench/harness/competitor"
	"lockbench/history"
	"lockbench/outcome"
	"lockbench/release"
	"lockbench/sim"
	"lockbench/trace"
	"lockbench/vocab"
)

// TrialSpec is everything one trial process needs. The runner writes it as JSON on the command
// line of `lockbench trial`.
type TrialSpec struct {
	Cell         string             `json:"cell"`
	Trial        int                `json:"trial"`
	Warmup       bool               `json:"warmup"`
	Dir          string             `json:"dir"`
	Workload     vocab.WorkloadKind `json:"workload"`
	Command      string             `json:"command,omitempty"`
	Mode         vocab.Mode         `json:"mode"`
	Threads      int                `json:"threads"`
	Coordination bool               `json:"coordination"`
	LockRetry    bool               `json:"lock_retry"`
	Employees    int                `json:"employees"`
	Years        []int              `json:"years"`
	Seed         int64              `json:"seed"`
	// Strategy is how the workload shares the file (vocab.Strategy; empty for none).
	Strategy   vocab.Strategy  `json:"strategy,omitempty"`
	Competitor competitor.Spec `json:"competitor"`
	// EmptyDB is an empty database file the runner made once for the run: a trial copies it
	// instead of opening and closing DuckDB to create its file (10 ms less per trial).
	EmptyDB string `json:"empty_db,omitempty"`
	// StorageVersion is the storage_compatibility_version the trial's file is created with
	// ("v1.5.0"); empty for DuckDB's default. The simulation also opens the file with it, so
	// that files it creates itself (published copies, part files) share the format.
	StorageVersion string `json:"storage_version,omitempty"`
	// CompetitorDuckDB and CompetitorDriver are the DuckDB release and driver of
	// Competitor.Binary, as the runner checked them, for the trial's record; empty when the
	// competitor runs this process's own release.
	CompetitorDuckDB string `json:"competitor_duckdb,omitempty"`
	CompetitorDriver string `json:"competitor_driver,omitempty"`
}

// TrialResult is what a trial process reports on stdout.
type TrialResult struct {
	Outcome     outcome.Outcome    `json:"outcome"`
	Summary     trace.Summary      `json:"summary"`
	Fingerprint string             `json:"fingerprint,omitempty"`
	Spans       []trace.Span       `json:"spans,omitempty"`
	Events      []competitor.Event `json:"events,omitempty"`
	Parallelism *trace.Parallelism `json:"parallelism,omitempty"`
	Note        string             `json:"note,omitempty"`
	// Cooperation is what cooperating competitors measured.
	Cooperation *history.Cooperation `json:"cooperation,omitempty"`
	// DuckDB and Driver are the DuckDB release ("1.5.6") and duckdb-go version this trial
	// process links: the release that ran the workload (for an exec workload, the one that
	// created its file and checked its data).
	DuckDB string `json:"duckdb,omitempty"`
	Driver string `json:"driver,omitempty"`
	// Competitors names the release of every competitor process the trial started (and of
	// an in-process writer), in start order.
	Competitors []history.CompetitorRelease `json:"competitors,omitempty"`
}

// DBName is the database file of a trial inside its directory.
const DBName = "trial.duckdb"

// Roles tells a trial process how to start lockbench's other roles (workers and holders); the
// zero value re-executes the running binary.
type Roles struct {
	Worker     *sim.WorkerCommand
	Holder     competitor.Launcher
	Cooperator competitor.Launcher
}

// RunTrial runs one trial in this process: it sets up the trial's file and its competitor, runs
// the workload, and finishes the same way whatever the workload: it classifies a failure
// (naming a lock holder while it still holds the lock), stops the competitor, collects what the
// competitor did, and checks the data. It never returns an error: every failure is an outcome.
func RunTrial(ctx context.Context, spec TrialSpec, roles Roles) TrialResult {
	rel := &competitorReleases{spec: spec}
	res := runTrial(ctx, spec, roles, rel)
	res.DuckDB, res.Driver = buildinfo.DuckDB()
	res.Competitors = rel.list()
	return res
}

// runTrial is RunTrial without the releases.
func runTrial(ctx context.Context, spec TrialSpec, roles Roles, rel *competitorReleases) TrialResult {
	t, failed := setUp(ctx, spec, roles, rel)
	if failed != nil {
		return TrialResult{Outcome: failed.o, Note: failed.note}
	}
	defer t.tearDown()
	run, err := t.work.Run(ctx, &t.env)
	return t.finish(ctx, run, err)
}

// trial is one running trial of RunTrial.
type trial struct {
	spec   TrialSpec
	work   Workload
	env    TrialEnv
	comp   *competitor.Running
	inproc *sql.DB   // the in-process writer's handle, or nil
	start  time.Time // when the competitor started
	// deferredErr is the first failure of a competitor deferred to a year: it may find the
	// file held by the workload itself, which is the competitor's failure, not the
	// workload's, and is noted on the trial.
	deferredErr error
}

// setUpFailure is a trial that ended before its workload ran: its outcome, and a note.
type setUpFailure struct {
	o    outcome.Outcome
	note string
}

func failedSetUp(o outcome.Outcome) *setUpFailure { return &setUpFailure{o: o} }

// setUp makes the trial's directory path absolute, creates its empty database file and starts
// its competitor, whose processes it tells rel about; a failure is the trial's outcome.
func setUp(ctx context.Context, spec TrialSpec, roles Roles, rel *competitorReleases) (*trial, *setUpFailure) {
	// Every path this trial hands to a child (workers, competitors, the exec command) is
	// absolute.
	dir, err := filepath.Abs(spec.Dir)
	if err != nil {
		return nil, failedSetUp(outcome.Outcome{Kind: vocab.Error, Message: "trial directory: " + err.Error()})
	}
	spec.Dir = dir
	w, err := workloadOf(spec.Workload)
	if err != nil {
		return nil, failedSetUp(outcome.Outcome{Kind: vocab.Error, Message: err.Error()})
	}
	t := &trial{spec: spec, work: w}
	t.env = TrialEnv{Spec: spec, DB: filepath.Join(dir, DBName), Roles: roles, YearStarted: t.yearStarted}
	// The file exists before any competitor arrives, as a pipeline's database does.
	if err := createEmpty(t.env.DB, spec.EmptyDB, spec.StorageVersion); err != nil {
		return nil, failedSetUp(ClassifyRun(err))
	}
	cenv := competitor.Env{DB: t.env.DB, Launcher: roles.Holder, Cooperator: roles.Cooperator, Started: rel.started}
	if t.inProcess() {
		// A second connection of the workload's own process: in the in-process modes it
		// shares the workload's DuckDB instance; in the process modes it is one more process
		// holding the file.
		if t.inproc, err = sql.Open("duckdb", t.env.DSN()); err != nil {
			return nil, failedSetUp(ClassifyRun(err))
		}
		cenv.InProcess, cenv.Tables = t.inproc, w.Tables
		if rb, ok := w.(Rebuilder); ok {
			cenv.Rebuilt = rb.RebuiltTables
		}
		rel.started(os.Getpid(), competitor.RoleHolder)
	}
	t.start = time.Now()
	if t.comp, err = competitor.Start(ctx, spec.Competitor, cenv); err != nil {
		t.tearDown()
		return nil, competitorFailure(spec, err)
	}
	return t, nil
}

// competitorFailure is the outcome of a trial whose competitor did not start. A competitor
// that could not open the file because of the file's storage format (a viewer on an older
// DuckDB release than the one that made the file) is the answer the cell asks for, not a
// harness failure: the trial's outcome is that storage-format error, with the competitor's
// release as the opener. Any other failure is an error.
func competitorFailure(spec TrialSpec, err error) *setUpFailure {
	var he *competitor.HolderError
	if errors.As(err, &he) && he.Outcome.Kind == vocab.StorageFormat {
		o := he.Outcome
		// DuckDB's message is its first line; what follows is the holder's own advice.
		o.Message, _, _ = strings.Cut(o.Message, "\n")
		opener := buildinfo.LinkedRelease()
		if spec.CompetitorDuckDB != "" {
			opener, _ = release.ByVersion(spec.CompetitorDuckDB)
		}
		outcome.Enrich(&o, opener)
		name := string(spec.Competitor.Kind)
		if opener.Name != "" {
			name += " (DuckDB " + opener.Name + ")"
		}
		return &setUpFailure{o: o, note: fmt.Sprintf("the competitor %s could not open the file (pid %d), so the workload did not run", name, he.PID)}
	}
	return failedSetUp(outcome.Outcome{Kind: vocab.Error, Message: "competitor did not start: " + err.Error()})
}

// inProcess reports whether the trial's competitor is a connection of this very process.
func (t *trial) inProcess() bool { return t.spec.Competitor.Kind == vocab.InProcessWriter }

// yearStarted is the workload's TrialEnv.YearStarted.
func (t *trial) yearStarted(year int) {
	if err := t.comp.YearStarted(year); err != nil && t.deferredErr == nil {
		t.deferredErr = err
	}
}

// tearDown stops whatever of the trial is still running.
func (t *trial) tearDown() {
	if t.comp != nil {
		_ = t.comp.Stop()
	}
	if t.inproc != nil {
		t.inproc.Close()
	}
}

// finish turns the workload's run into the trial's result. A failure is classified first, while
// the holder of a lock still holds it, so that it can be named and its role told; then the
// competitor is stopped, and its events, its cooperation figures and its spans are collected.
// A successful run's data is checked with every competitor gone.
func (t *trial) finish(ctx context.Context, run WorkloadResult, runErr error) TrialResult {
	var res TrialResult
	if runErr != nil {
		res.Outcome = ClassifyRun(runErr)
		res.Outcome.HolderRole = cmp.Or(outcome.RoleOf(res.Outcome.HolderPID, t.comp.PIDs(), run.Workers, t.inProcess()), res.Outcome.HolderRole)
	}
	stopErr := t.comp.Stop()
	res.Events = t.comp.Events()
	res.Spans, res.Summary, res.Parallelism = run.Spans, run.Summary, run.Parallelism
	origin := run.Origin
	if origin.IsZero() {
		origin = t.start
	}
	if t.spec.Competitor.Kind.Cooperates() {
		res.Cooperation = cooperationOf(ctx, t.spec, t.comp, origin, res.Summary.Wall, res.Spans, t.env.DB, &res.Note)
	}
	res.Spans = append(res.Spans, competitorSpans(res.Events, origin, res.Summary.Wall)...)
	if runErr != nil {
		return res
	}
	switch {
	case t.deferredErr != nil:
		res.Note = "the competitor could not start: " + t.deferredErr.Error()
	case t.comp.Err() != nil:
		res.Note = "the competitor failed: " + t.comp.Err().Error()
	case stopErr != nil:
		res.Note = "stopping the competitor: " + stopErr.Error()
	}
	res.Outcome = outcome.Outcome{Kind: vocab.OK}
	dc, ok := t.work.(DataChecker)
	if !ok {
		return res
	}
	if t.inproc != nil {
		// Release our own handle before the data check so it reads what is on disk.
		t.inproc.Close()
	}
	fp, err := dc.CheckData(ctx, t.env.DB)
	if err != nil {
		res.Outcome = outcome.Classify(err)
		res.Note = "data check after the trial: " + err.Error()
		return res
	}
	res.Fingerprint = fp
	return res
}

// ClassifyRun returns the outcome of a workload's error (ok for nil). A failed data-quality
// check of the simulation is a mismatch (sub-kind dq): the workload ran to the end of a year
// but its data is wrong, whatever the timing. A failure the workload classified itself (an
// exec command's exit status and output) keeps its outcome. Any other error is classified by
// outcome.Classify. Then the lock holder the outcome names gets its executable and command line
// from /proc, which works only while the holder lives, and a lock conflict or a storage-format
// error gets the file's storage version and, for the simulation, this binary's DuckDB release
// (the opener).
func ClassifyRun(err error) outcome.Outcome {
	if err == nil {
		return outcome.Outcome{Kind: vocab.OK}
	}
	var (
		o    outcome.Outcome
		dq   *sim.DQError
		self *classifiedError
	)
	switch {
	case errors.As(err, &dq):
		return outcome.Outcome{Kind: vocab.Mismatch, Sub: vocab.SubDQ, Message: dq.Error()}
	case errors.As(err, &self):
		o = self.o
	default:
		o = outcome.Classify(err)
	}
	if o.Kind == vocab.OK {
		// An error whose text names no error at all (an empty message) is still a failure.
		o = outcome.Outcome{Kind: vocab.Error, Message: err.Error()}
	}
	// The opener is this binary's DuckDB, except for a failure an exec command reported: its
	// DuckDB is the user's, which lockbench does not know.
	opener := buildinfo.LinkedRelease()
	if self != nil {
		opener = release.Release{}
	}
	outcome.Enrich(&o, opener)
	return o
}

// classifiedError is a workload's failure that the workload classified itself.
type classifiedError struct{ o outcome.Outcome }

func (e *classifiedError) Error() string { return e.o.Message }

// classified returns o as the error of a workload's run.
func classified(o outcome.Outcome) error { return &classifiedError{o: o} }

// createEmpty makes sure a database file exists at path: a copy of template when there is one
// (this process does not hold either file, so copying bytes cannot drop anybody's lock), else
// a database DuckDB creates, in the storage format storage names ("" for DuckDB's default),
// and closes at once.
func createEmpty(path, template, storage string) error {
	if template != "" {
		b, err := os.ReadFile(template)
		if err == nil {
			return os.WriteFile(path, b, 0o644)
		}
	}
	return newEmptyDB(path, storage)
}

// CreateEmpty creates an empty DuckDB database file at path with this process's DuckDB, in
// the storage format storage names ("" for DuckDB's default), crash-safely: DuckDB creates it
// under a temporary name, which is renamed to path once DuckDB has closed it. It is what
// `lockbench trial create-empty` runs, so that a binary of each DuckDB release makes the
// templates of that release's cells.
func CreateEmpty(path, storage string) error {
	tmp := fmt.Sprintf("%s.tmp-%d", path, os.Getpid())
	defer os.Remove(tmp + ".wal")
	if err := newEmptyDB(tmp, storage); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// newEmptyDB creates an empty DuckDB database at path in the storage format storage names (""
// for DuckDB's default).
func newEmptyDB(path, storage string) error {
	dsn := path
	if storage != "" {
		dsn += "?" + sim.StorageOption + "=" + storage
	}
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return err
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return err
	}
	return db.Close()
}

// competitorSpans turns a competitor's events into one span per process, from the moment it
// took its lock to the moment it let go (or the end of the trial), for the timeline.
func competitorSpans(events []competitor.Event, origin time.Time, wall float64) []trace.Span {
	type life struct {
		start, end float64
		name       string
		open       bool
	}
	lives := map[int]*life{}
	var order []int
	for _, e := range events {
		at := e.At.Sub(origin).Seconds()
		l, ok := lives[e.PID]
		switch e.Action {
		case competitor.ActionHolds, competitor.ActionWrites, competitor.ActionCooperates:
			if !ok {
				l = &life{name: fmt.Sprintf("%s pid %d", e.Competitor, e.PID)}
				lives[e.PID] = l
				order = append(order, e.PID)
			}
			if !l.open {
				l.start, l.open = at, true
			}
		case competitor.ActionKilled, competitor.ActionReleased, competitor.ActionTerminated, competitor.ActionFailed:
			if ok && l.open {
				l.end, l.open = at, false
			}
		}
	}
	var out []trace.Span
	for _, pid := range order {
		l := lives[pid]
		end := l.end
		if l.open || end < l.start {
			end = wall
		}
		out = append(out, trace.Span{Kind: trace.Competitor, Name: l.name, Worker: -1, Start: l.start, End: end})
	}
	return out
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// limited writes at most n bytes to w and drops the rest.
type limited struct {
	w io.Writer
	n int
}

func (l *limited) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.n -= k
		_, _ = l.w.Write(p[:k])
	}
	return len(p), nil
}
