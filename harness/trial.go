// Package harness runs scenarios: it executes trials (each in a child process of its own, with
// its competitors around it), classifies their outcomes, checks their data, and records them in
// a run directory. Its subpackages hold the parts: competitor (the injected connections),
// holders (who holds a lock, from /proc/locks) and repro (the catalog of lock reproductions);
// internal/outcome classifies DuckDB's errors and internal/proc starts and reaps the processes.
package harness

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"lockbench/access"
	"lockbench/buildinfo"
	"lockbench/harness/competitor"
	"lockbench/history"
	"lockbench/internal/proc"
	"lockbench/outcome"
	"lockbench/scenarios"
	"lockbench/sim"
	"lockbench/trace"
	"lockbench/vocab"
)

// TrialSpec is everything one trial process needs. The runner writes it as JSON on the command
// line of `lockbench trial`.
type TrialSpec struct {
	Cell         string     `json:"cell"`
	Trial        int        `json:"trial"`
	Warmup       bool       `json:"warmup"`
	Dir          string     `json:"dir"`
	Workload     string     `json:"workload"`
	Command      string     `json:"command,omitempty"`
	Mode         vocab.Mode `json:"mode"`
	Threads      int        `json:"threads"`
	Coordination bool       `json:"coordination"`
	LockRetry    bool       `json:"lock_retry"`
	Employees    int        `json:"employees"`
	Years        []int      `json:"years"`
	Seed         int64      `json:"seed"`
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

// RunTrial runs one trial in this process: it starts the competitor, runs the workload, classifies
// what happened (naming a lock holder while it still holds the lock), stops the competitor, and
// checks the data. It never returns an error: every failure is an outcome.
func RunTrial(ctx context.Context, spec TrialSpec, roles Roles) TrialResult {
	var res TrialResult
	// Every path this trial hands to a child (workers, competitors, the exec command) is
	// absolute.
	if abs, err := filepath.Abs(spec.Dir); err == nil {
		spec.Dir = abs
	} else {
		res.Outcome = outcome.Outcome{Kind: vocab.Error, Message: "trial directory: " + err.Error()}
		return res
	}
	db := filepath.Join(spec.Dir, DBName)
	fail := func(err error) TrialResult {
		res.Outcome = outcome.Classify(err)
		if res.Outcome.Kind == vocab.OK {
			res.Outcome = outcome.Outcome{Kind: vocab.Error, Message: err.Error()}
		}
		return res
	}
	mode, err := vocab.ParseMode(string(spec.Mode))
	if err != nil {
		return fail(err)
	}
	cfg := sim.Config{
		DBPath: db, Mode: mode, Threads: spec.Threads, Coordination: spec.Coordination,
		Employees: spec.Employees, Years: spec.Years, Seed: spec.Seed, Worker: roles.Worker, SkipInspect: true,
		Strategy: spec.Strategy,
	}
	if spec.LockRetry && strategyName(spec.Strategy) == vocab.NoStrategy {
		// A strategy brings its own retry policy (the retry strategy's has jitter).
		r := access.DefaultRetry
		cfg.LockRetry = &r
	}
	// The file exists before any competitor arrives, as a pipeline's database does.
	if spec.StorageVersion != "" {
		cfg.Options = map[string]string{sim.StorageOption: spec.StorageVersion}
	}
	if err := createEmpty(db, spec.EmptyDB, spec.StorageVersion); err != nil {
		return fail(err)
	}
	env := competitor.Env{DB: db, Launcher: roles.Holder, Cooperator: roles.Cooperator}
	var inproc *sql.DB
	if spec.Competitor.Kind == vocab.InProcessWriter {
		// A second connection of the workload's own process: in the in-process modes it
		// shares the workload's DuckDB instance; in the process modes it is one more process
		// holding the file.
		if inproc, err = sql.Open("duckdb", cfg.DSN()); err != nil {
			return fail(err)
		}
		defer inproc.Close()
		env.InProcess = inproc
		env.Tables = func() []string { return []string{"fct_workforce_snapshot", "fct_yearly_events", "int_comp_by_year"} }
	}
	start := time.Now()
	comp, err := competitor.Start(ctx, spec.Competitor, env)
	if err != nil {
		res.Outcome = outcome.Outcome{Kind: vocab.Error, Message: "competitor did not start: " + err.Error()}
		return res
	}
	defer comp.Stop()
	if spec.Workload == scenarios.WorkloadExec {
		if spec.Competitor.AtYear > 0 {
			_ = comp.YearStarted(spec.Competitor.AtYear)
		}
		res = runExecTrial(ctx, spec, db)
		if res.Outcome.Kind != vocab.OK {
			outcome.Enrich(&res.Outcome, buildinfo.LinkedRelease())
			res.Outcome.HolderRole = cmp.Or(outcome.RoleOf(res.Outcome.HolderPID, comp.PIDs(), nil, spec.Competitor.Kind == vocab.InProcessWriter), res.Outcome.HolderRole)
		}
		_ = comp.Stop()
		res.Events = comp.Events()
		if spec.Competitor.Kind.Cooperates() {
			res.Cooperation = cooperationOf(ctx, spec, comp, start, res.Summary.Wall, res.Spans, db, &res.Note)
		}
		res.Spans = append(res.Spans, competitorSpans(res.Events, start, res.Summary.Wall)...)
		return res
	}
	// A competitor deferred to a year may find the file held by the workload itself; that is
	// the competitor's failure, not the workload's, and is noted on the trial.
	var deferredErr error
	cfg.BeforeYear = func(year int) {
		if err := comp.YearStarted(year); err != nil && deferredErr == nil {
			deferredErr = err
		}
	}
	var run *sim.Result
	valid, runErr := cfg.Validate()
	if runErr == nil {
		run, runErr = sim.Run(ctx, valid)
	}
	if runErr != nil {
		// Classified while the holder of a lock still holds it, so that it can be named.
		res.Outcome = ClassifyRun(runErr)
		var workers []int
		if run != nil {
			workers = run.WorkerPIDs
		}
		res.Outcome.HolderRole = cmp.Or(outcome.RoleOf(res.Outcome.HolderPID, comp.PIDs(), workers, spec.Competitor.Kind == vocab.InProcessWriter), res.Outcome.HolderRole)
	}
	stopErr := comp.Stop()
	res.Events = comp.Events()
	origin := start
	if run != nil {
		res.Spans = run.Spans
		res.Summary = run.Summary
		origin = run.Origin
		if run.Parallelism.CriticalPathS > 0 {
			p := run.Parallelism
			res.Parallelism = &p
		}
	}
	if spec.Competitor.Kind.Cooperates() {
		res.Cooperation = cooperationOf(ctx, spec, comp, origin, res.Summary.Wall, res.Spans, db, &res.Note)
	}
	res.Spans = append(res.Spans, competitorSpans(res.Events, origin, res.Summary.Wall)...)
	if runErr != nil {
		return res
	}
	switch {
	case deferredErr != nil:
		res.Note = "the competitor could not start: " + deferredErr.Error()
	case comp.Err() != nil:
		res.Note = "the competitor failed: " + comp.Err().Error()
	case stopErr != nil:
		res.Note = "stopping the competitor: " + stopErr.Error()
	}
	if inproc != nil {
		// Release our own handle before the data check so it reads what is on disk.
		inproc.Close()
	}
	fp, err := sim.FingerprintFile(ctx, db)
	if err != nil {
		res.Outcome = outcome.Classify(err)
		res.Note = "data check after the trial: " + err.Error()
		return res
	}
	res.Fingerprint = fp
	res.Outcome = outcome.Outcome{Kind: vocab.OK}
	return res
}

// ClassifyRun returns the outcome of a simulation run's error (ok for nil). A failed
// data-quality check is a mismatch (sub-kind dq): the workload ran to the end of a year but its
// data is wrong, whatever the timing. Any other error is classified by internal/outcome, and the
// lock holder it names gets its executable and command line from /proc, which works only while
// the holder lives; a lock conflict or a storage-format error also gets the file's storage
// version and this binary's DuckDB release (the opener).
func ClassifyRun(err error) outcome.Outcome {
	if err == nil {
		return outcome.Outcome{Kind: vocab.OK}
	}
	var dq *sim.DQError
	if errors.As(err, &dq) {
		return outcome.Outcome{Kind: vocab.Mismatch, Sub: vocab.SubDQ, Message: dq.Error()}
	}
	o := outcome.Classify(err)
	outcome.Enrich(&o, buildinfo.LinkedRelease())
	opener, _ := buildinfo.Release()
	outcome.EnrichStorage(&o, opener)
	return o
}

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

// The environment of an exec workload. Every path in it is absolute.
const (
	// ExecTraceEnv names the file where an exec workload may write its spans as NDJSON.
	ExecTraceEnv = "LOCKBENCH_TRACE"
	// ExecDBEnv names the trial's database file, the same path as {db}.
	ExecDBEnv = "LOCKBENCH_DB"
	// ExecTrialDirEnv names the trial's own directory, removed after the trial: a place for
	// the command's scratch files.
	ExecTrialDirEnv = "LOCKBENCH_TRIAL_DIR"
)

// runExecTrial runs the user's command (already expanded) with `sh -c` in its own process
// group, with LOCKBENCH_TRACE, LOCKBENCH_DB and LOCKBENCH_TRIAL_DIR set. It runs in the
// directory lockbench was started in (the trial process's own), so that a command such as
// `./run.sh --db {db}` finds run.sh as it does on the user's command line. Its outcome comes
// from its exit status and its output.
func runExecTrial(ctx context.Context, spec TrialSpec, db string) TrialResult {
	var res TrialResult
	tracePath := filepath.Join(spec.Dir, "trace.ndjson")
	cmd := exec.Command("sh", "-c", spec.Command)
	cmd.Env = append(os.Environ(), ExecTraceEnv+"="+tracePath, ExecDBEnv+"="+db, ExecTrialDirEnv+"="+spec.Dir)
	var out bytes.Buffer
	cmd.Stdout = &limited{w: &out, n: 1 << 20}
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := proc.StartGroup(cmd); err != nil {
		res.Outcome = outcome.Outcome{Kind: vocab.Error, Message: "start command: " + err.Error()}
		return res
	}
	_, err := proc.Wait(ctx, cmd)
	wall := time.Since(start).Seconds()
	res.Spans = readTrace(tracePath)
	res.Summary = trace.Summarize(res.Spans, wall)
	var ee *exec.ExitError
	switch {
	case err == nil:
		res.Outcome = outcome.Outcome{Kind: vocab.OK}
	case ctx.Err() != nil:
		res.Outcome = outcome.Outcome{Kind: vocab.Timeout, Message: "the command was stopped: " + ctx.Err().Error()}
	case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled():
		// The classifier names the signal (SIGKILL), as everywhere else.
		res.Outcome = outcome.Outcome{Kind: vocab.Crash, Sub: outcome.Classify(err).Sub, Message: lastLines(out.String(), 5)}
	default:
		res.Outcome = outcome.ClassifyText(out.String())
		if res.Outcome.Kind == vocab.OK {
			res.Outcome = outcome.Outcome{Kind: vocab.Error, Message: fmt.Sprintf("%v: %s", err, lastLines(out.String(), 5))}
		}
	}
	return res
}

// readTrace reads an exec workload's NDJSON spans, skipping lines that do not parse.
func readTrace(path string) []trace.Span {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []trace.Span
	for _, line := range bytes.Split(b, []byte("\n")) {
		var s trace.Span
		if json.Unmarshal(line, &s) == nil && s.Kind != "" {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start < out[j].Start })
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
