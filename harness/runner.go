package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"lockbench/criteria"
	"lockbench/harness/competitor"
	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/internal/fsutil"
	"lockbench/internal/proc"
	"lockbench/outcome"
	"lockbench/release"
	"lockbench/scenarios"
	"lockbench/vocab"
)

// TrialCommand is how the runner starts a trial process: Path with Args, then `--spec JSON`.
type TrialCommand struct {
	Path string
	Args []string
	Env  []string
}

// Options configure one run of a scenario.
type Options struct {
	// Scenario is the scenario to run (ignored when Resume is set: the run directory's copy is
	// used).
	Scenario *scenarios.Scenario
	// ScenarioYAML is the scenario's source, kept in the run directory for --resume.
	ScenarioYAML []byte
	// RunsDir holds run directories (default "runs").
	RunsDir string
	// Resume is an existing run directory to finish.
	Resume string
	// Filter selects cells (scenarios.Filter syntax); Shard is "k/n".
	Filter, Shard string
	// RootSeed overrides the scenario's root seed when non-zero.
	RootSeed int64
	// Trial starts trial processes; the zero value re-executes this binary as `lockbench trial`.
	Trial TrialCommand
	// Progress receives progress lines (nil: none); Live redraws one line (a terminal).
	Progress io.Writer
	Live     bool
	// Command, Versions and Host go into the manifest.
	Command  []string
	Versions history.Versions
	Host     history.Host
	// Commit and CommitSource are the commit under test and where it came from; Group is the CI
	// pipeline run (see history.Manifest). They go into the manifest of a new run.
	Commit, CommitSource, Group string
	// OnTrial, when non-nil, is called with every trial once it is recorded (appended to the
	// history and synced).
	OnTrial func(history.Trial)
	// Releases gives lockbench binaries of the DuckDB releases that cells and competitors name
	// (scenarios' duckdb axis and competitor option): a cell that names a release runs its
	// trial process, and so its workload, workers and default competitors, from that
	// release's binary. Every binary the run needs is obtained (built, with progress lines on
	// Releases.Progress) and checked before the first trial. Its Override gets the scenario's
	// duckdb-binaries that it does not name already. Nil refuses a scenario that names a
	// release.
	Releases *release.Binaries
	// Watch, when positive, samples the lock holders of every trial's database file at this
	// interval while the trial runs, and records the processes lockbench did not start that
	// held or waited for it (strangers.go; bench --watch).
	Watch time.Duration
}

// Result describes a finished (or interrupted) run.
type Result struct {
	Dir         string
	Manifest    history.Manifest
	Scenario    *scenarios.Scenario
	Cells       []scenarios.Cell
	Planned     int // trials the run needed: recorded before, run now, and any left by an interruption
	Skipped     int // trials already recorded before this session (resume)
	Ran         int // trials run and recorded now
	Environment int // trials run now that failed for environmental reasons (not results)
	Interrupted bool
	empties     map[string]string // the run's empty database files by release and storage version, copied by trials
	work        Workload          // what the scenario's trials run
	releases    *runReleases      // the binaries of the releases the cells name

	// HarnessCost is the mean time per trial spent outside the workload (process start,
	// set-up, competitors, data check, tear-down, recording).
	HarnessCost time.Duration

	// Design is how the run decides how many trials each cell gets and how its verdicts are
	// judged: the manifest's.
	Design criteria.Design
}

// emptyDBName is the run's empty database template inside its directory, for DuckDB's default
// storage version; a template of another format is named ".empty-<version>.duckdb".
const emptyDBName = ".empty.duckdb"

// ExecStorageVersion is the storage version of the file lockbench creates for an exec workload
// (a pipeline it does not own) when the cell does not name one: the format every DuckDB since
// 1.0 reads, so that a user's 1.x pipeline and viewers can open it whatever DuckDB lockbench
// links.
const ExecStorageVersion = "v1.0.0"

// emptyFor returns the run's empty database file of a cell's release (a name from the duckdb
// axis, or DefaultValue) and a storage version ("" for that release's own default), creating
// it the first time: with this process's DuckDB for the default release, else with the
// release's own binary, since each release makes files in its own format.
func (r *Result) emptyFor(ctx context.Context, rel, storage string) (string, error) {
	key := rel + "/" + storage
	if p, ok := r.empties[key]; ok {
		return p, nil
	}
	name := emptyDBName
	bin, named := r.releases.bins[rel]
	switch {
	case named && storage != "":
		name = ".empty-duckdb-" + rel + "-" + storage + ".duckdb"
	case named:
		name = ".empty-duckdb-" + rel + ".duckdb"
	case storage != "":
		name = ".empty-" + storage + ".duckdb"
	}
	p := filepath.Join(r.Dir, name)
	if _, err := os.Stat(p); err != nil {
		if named {
			err = createEmptyWith(ctx, bin.Path, p, storage)
		} else {
			err = CreateEmpty(p, storage)
		}
		if err != nil {
			return "", fmt.Errorf("create %s: %w", p, err)
		}
	}
	if r.empties == nil {
		r.empties = map[string]string{}
	}
	r.empties[key] = p
	return p, nil
}

// ErrInterrupted is returned (wrapped) when the run was stopped before its schedule finished.
var ErrInterrupted = errors.New("run interrupted")

// Execute runs (or resumes) a scenario: every trial of the schedule that is not yet recorded
// and that the run's design still needs (all of them for a fixed design; for a sequential one,
// see gate) runs in a fresh directory as a child process in its own process group, killed with
// its whole group when it passes the scenario's timeout. Each finished trial is appended to the
// history and synced before the next one starts, so a crash or Ctrl-C loses nothing recorded.
func Execute(ctx context.Context, o Options) (*Result, error) {
	r, err := prepare(ctx, o)
	if err != nil {
		return nil, err
	}
	app, err := openHistory(r.Dir)
	if err != nil {
		return r, err
	}
	defer app.Close()
	existing, err := history.ReadTrials(r.Dir)
	if err != nil {
		return r, err
	}
	// A trial that failed for environmental reasons is not a result: its slot runs again, and
	// the sequential gate does not count it.
	var results []history.Trial
	done := map[string]bool{}
	check := newFingerprintCheck()
	for _, t := range existing {
		if t.Outcome.Kind.Result() {
			done[slotID(t.Cell, t.Trial, t.Warmup)] = true
			results = append(results, t)
		}
		check.observe(t)
	}
	g, err := newGate(r, r.Design, results)
	if err != nil {
		return r, err
	}
	env := newEnvGuard(r.Dir)
	r.Planned = g.planned()
	prog := newProgress(o.Progress, o.Live, r.Planned, r.Cells)
	prog.design(r.Design)
	var cost time.Duration
	for sl := range g.next() {
		if done[slotID(sl.Cell.Key, sl.Trial, sl.Warmup)] {
			r.Skipped++
			prog.skip()
			continue
		}
		if ctx.Err() != nil {
			break
		}
		began := time.Now()
		t, interrupted := runSlot(ctx, o, r, sl)
		if interrupted {
			break
		}
		check.apply(&t)
		recorded, err := env.record(app, t)
		if recorded {
			if t.Outcome.Kind.Result() {
				g.observe(t)
			}
			prog.total = g.planned()
			r.Ran++
			took := time.Since(began)
			cost += took - time.Duration(t.WallS*float64(time.Second))
			prog.trial(t, took, g.left())
			if o.OnTrial != nil {
				o.OnTrial(t)
			}
		}
		if errors.Is(err, errEnvStop) {
			break
		} else if err != nil {
			return r, err
		}
	}
	prog.finish()
	if r.Ran > 0 {
		r.HarnessCost = cost / time.Duration(r.Ran)
	}
	r.Planned = g.planned()
	r.Environment = env.failed
	if err := env.result(r.Skipped, r.Planned, ctx.Err() != nil); err != nil {
		r.Interrupted = true
		return r, err
	}
	if done := env.results + r.Skipped; done < r.Planned {
		r.Interrupted = true
		return r, fmt.Errorf("%w after %d of %d trials: resume with: lockbench bench --resume %s", ErrInterrupted, done, r.Planned, r.Dir)
	}
	return r, nil
}

func slotID(cell string, trial int, warmup bool) string {
	return fmt.Sprintf("%s#%d#%v", cell, trial, warmup)
}

// prepare creates (or reopens, for a resume) the run directory and its manifest, once the
// binaries of every release the cells name are ready.
func prepare(ctx context.Context, o Options) (*Result, error) {
	var (
		r   *Result
		err error
	)
	if o.Resume != "" {
		if r, err = reopen(o.Resume); err != nil {
			return nil, err
		}
		o.Filter, o.Shard = r.Manifest.Filter, r.Manifest.Shard
	} else {
		if o.Scenario == nil {
			return nil, errors.New("no scenario")
		}
		s := o.Scenario
		if o.RootSeed != 0 {
			s.RootSeed = o.RootSeed
		}
		r = &Result{Scenario: s}
	}
	if r.work, err = workloadOf(vocab.WorkloadKind(r.Scenario.Workload.Kind)); err != nil {
		return nil, err
	}
	if r.Design, err = runDesign(r); err != nil {
		return nil, err
	}
	cells, err := selectCells(r.Scenario, o.Filter, o.Shard)
	if err != nil {
		return nil, err
	}
	r.Cells = cells
	if r.releases, err = resolveReleases(ctx, o.Releases, r.Scenario.DuckDBBinaries, cells); err != nil {
		return nil, err
	}
	if o.Resume != "" {
		return r, nil
	}
	if err := create(o, r); err != nil {
		return nil, writableErr(r.Dir, err)
	}
	return r, nil
}

// reopen reads the run directory resume for a resume: its manifest, and its scenario with the
// run's root seed and effective trial counts.
func reopen(resume string) (*Result, error) {
	// Every failure to read the run directory is bad input: --resume named it.
	m, err := history.ReadManifest(resume)
	if err != nil {
		return nil, exitcode.Usagef("resume %s: %w", resume, err)
	}
	// The run directory is absolute from here on: every path derived from it is handed to
	// trial processes and substituted into users' commands, which run in other directories.
	// It is resolved too (runs/latest is a link), so that trials, messages and the resume
	// hint name the run itself.
	dir, err := filepath.Abs(resume)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		return nil, exitcode.Usagef("resume %s: %w", resume, err)
	}
	src, err := os.ReadFile(filepath.Join(dir, history.ScenarioFile))
	if err != nil {
		return nil, exitcode.Usagef("resume %s: %w", dir, err)
	}
	s, err := scenarios.Parse(filepath.Join(dir, history.ScenarioFile), src)
	if err != nil {
		return nil, err
	}
	s.RootSeed = m.RootSeed
	// Trial counts may have been overridden on the command line: the manifest has the
	// effective ones.
	var eff struct {
		Trials *int `json:"trials"`
		Warmup *int `json:"warmup"`
	}
	if err := json.Unmarshal(m.Scenario, &eff); err == nil {
		if eff.Trials != nil {
			s.Trials = *eff.Trials
		}
		if eff.Warmup != nil {
			s.Warmup = *eff.Warmup
		}
	}
	return &Result{Dir: dir, Manifest: m, Scenario: s}, nil
}

// selectCells returns the cells of s that the run covers: those filter selects, then shard's
// share of them (either may be empty). No cell at all is an error.
func selectCells(s *scenarios.Scenario, filter, shard string) ([]scenarios.Cell, error) {
	cells := s.Cells()
	if filter != "" {
		var err error
		if cells, err = scenarios.Filter(cells, filter); err != nil {
			return nil, err
		}
	}
	if shard != "" {
		k, n, err := scenarios.ParseShard(shard)
		if err != nil {
			return nil, err
		}
		if cells, err = scenarios.Shard(cells, k, n); err != nil {
			return nil, err
		}
	}
	if len(cells) == 0 {
		return nil, &scenarios.Error{File: "--filter", Msg: fmt.Sprintf("%q selects no cell of %s", filter, s.Name)}
	}
	return cells, nil
}

// create makes r's run directory under o.RunsDir, writes its scenario and manifest, and points
// runs/latest at it.
func create(o Options, r *Result) error {
	runsDir := o.RunsDir
	if runsDir == "" {
		runsDir = "runs"
	}
	// Made absolute once, here: trial directories, {db} and $LOCKBENCH_TRACE all derive from it
	// and are handed to commands and processes whose working directory is not ours.
	runsDir, err := filepath.Abs(runsDir)
	if err != nil {
		return fmt.Errorf("runs directory %s: %w", o.RunsDir, err)
	}
	id := newRunID()
	r.Dir = filepath.Join(runsDir, time.Now().UTC().Format("20060102T150405Z")+"-"+id)
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		// The runs directory is the user's choice (--runs): one that cannot be written is bad
		// input, and nothing was written.
		return exitcode.Usagef("create run directory: %w; give --runs a directory you can write", err)
	}
	eff, err := r.Scenario.Effective()
	if err != nil {
		return err
	}
	work, err := WorkloadIdentity(r.Scenario, r.Cells)
	if err != nil {
		return err
	}
	r.Manifest = history.Manifest{
		SchemaVersion: history.SchemaVersion, ID: id, CreatedAt: time.Now().UTC(), Command: o.Command,
		RootSeed: r.Scenario.RootSeed, Shard: o.Shard, Filter: o.Filter, Scenario: eff,
		Versions: o.Versions, Host: o.Host,
		Commit: o.Commit, CommitSource: o.CommitSource, Group: o.Group, Workload: work,
		Targets: r.Scenario.ResolvedTargets(), Expectations: r.Scenario.Expectations, Design: &r.Design,
		Releases: r.releases.manifestReleases(r.Cells),
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(r.Dir, history.ScenarioFile), o.ScenarioYAML); err != nil {
		return err
	}
	if err := history.WriteManifest(r.Dir, r.Manifest); err != nil {
		return err
	}
	return linkLatest(runsDir, filepath.Base(r.Dir))
}

func newRunID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// linkLatest points runs/latest at the newest run, replacing the link atomically.
func linkLatest(runsDir, name string) error {
	tmp := filepath.Join(runsDir, ".latest.tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(name, tmp); err != nil {
		return fmt.Errorf("link latest run: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(runsDir, "latest")); err != nil {
		return fmt.Errorf("link latest run: %w", err)
	}
	return nil
}

// trialSpec turns a scheduled slot into the spec of its trial process.
func trialSpec(s *scenarios.Scenario, w Workload, sl scenarios.Slot, dir string) TrialSpec {
	c := sl.Cell
	spec := TrialSpec{
		Cell: c.Key, Trial: sl.Trial, Warmup: sl.Warmup, Dir: dir, Workload: w.Kind(),
		Mode: c.Mode, Threads: c.Threads, Coordination: c.Coordination, LockRetry: c.LockRetry,
		Employees: c.Employees, Years: c.Years, Seed: c.Seed, Strategy: c.Strategy,
		Competitor: competitorSpec(c.Competitor, filepath.Join(dir, DBName)),
	}
	spec.Competitor.Strategy = c.Strategy
	if c.StorageVersion != vocab.DefaultValue {
		spec.StorageVersion = c.StorageVersion
	}
	w.Prepare(&spec, s.Workload, c)
	return spec
}

// competitorSpec maps a scenario's competitor onto the competitor package's Spec.
func competitorSpec(c scenarios.CompetitorSpec, db string) competitor.Spec {
	spec := competitor.Spec{Kind: c.Kind, Count: c.Count, Command: c.Command}
	switch c.Kind {
	case vocab.FlappingProcess:
		// The scenario's period is one open/close cycle; the competitor's is each half.
		spec.Period = c.Period / 2
	default:
		spec.Period = c.Period
	}
	switch c.Start.Kind {
	case scenarios.StartDelay:
		spec.Delay = c.Start.Delay
	case scenarios.StartYear:
		spec.AtYear = c.Start.Year
	}
	return spec
}

// runSlot runs one trial process and turns what it reported into a history line. It returns
// interrupted=true when the run's context ended (Ctrl-C): the trial was killed and is not
// recorded.
func runSlot(ctx context.Context, o Options, r *Result, sl scenarios.Slot) (history.Trial, bool) {
	c := sl.Cell
	t := history.Trial{
		Cell: c.Key, Trial: sl.Trial, Warmup: sl.Warmup, Expected: c.Expect, StartedAt: time.Now().UTC(),
		Seed: c.Seed, Params: c.Values,
	}
	dir, err := os.MkdirTemp(r.Dir, "trial-")
	if err != nil {
		t.Outcome = harnessFailure("create trial directory", err, r.Dir)
		return t, false
	}
	defer os.RemoveAll(dir)
	spec := trialSpec(r.Scenario, r.work, sl, dir)
	r.releases.prepareSpec(&spec, c)
	t.DuckDB, t.Driver = r.releases.workloadRelease(c)
	// One empty database per run, release and storage version, which trials copy as their
	// starting file.
	if spec.EmptyDB, err = r.emptyFor(ctx, c.DuckDB, spec.StorageVersion); err != nil {
		t.Outcome = outcome.Classify(err)
		outcome.EnrichEnvironment(&t.Outcome, r.Dir)
		return t, false
	}
	machine := beforeTrial()
	sw := startStrangerWatch(ctx, o.Watch, filepath.Join(dir, DBName))
	res, rss, failure, interrupted := startTrial(ctx, r.releases.trialCommand(o.Trial, c), spec, r.Scenario.Timeout)
	t.Watch = sw.finish(res.Outcome, failure)
	if interrupted {
		return t, true
	}
	t.PeakRSSBytes = rss
	// The trial process says which release it ran, and which its competitors ran.
	if res.DuckDB != "" {
		t.DuckDB, t.Driver = res.DuckDB, res.Driver
	}
	t.Competitors = res.Competitors
	// The trial process and its competitors are gone, and this process never opens trial
	// files with DuckDB: a plain read of the headers is safe.
	if v, err := release.ReadStorageVersion(filepath.Join(dir, DBName)); err == nil {
		t.StorageVersion = v.Number
	}
	if failure != nil {
		t.Outcome = *failure
		machine.settle(&t.Outcome, dir)
		return t, false
	}
	t.Outcome = res.Outcome
	machine.settle(&t.Outcome, dir)
	// The trial directory is gone once the trial ends; name it the same way in every message so
	// identical failures read as identical.
	// DuckDB may name the file by its resolved path.
	names := []string{dir}
	if real, err := filepath.EvalSymlinks(dir); err == nil && real != dir {
		names = append(names, real)
	}
	for _, name := range names {
		t.Outcome.Message = strings.ReplaceAll(t.Outcome.Message, name, "$TRIAL_DIR")
		t.Outcome.Path = strings.ReplaceAll(t.Outcome.Path, name, "$TRIAL_DIR")
	}
	t.WallS, t.SQLS, t.OverheadS, t.OverheadByKind = res.Summary.Wall, res.Summary.SQL, res.Summary.Overhead, res.Summary.ByKind
	t.Parallelism = res.Parallelism
	t.Fingerprint, t.Spans, t.Note, t.Cooperation = res.Fingerprint, res.Spans, res.Note, res.Cooperation
	return t, false
}

// startTrial runs `lockbench trial` in its own process group and decodes its result. A trial
// that passes timeout is killed with its whole group (failure has kind timeout); one that dies
// without a result is a crash. When ctx ends the group is killed and interrupted is true.
func startTrial(ctx context.Context, tc TrialCommand, spec TrialSpec, timeout time.Duration) (res TrialResult, rss int64, failure *outcome.Outcome, interrupted bool) {
	path, args := tc.Path, tc.Args
	if path == "" {
		exe, err := os.Executable()
		if err != nil {
			return res, 0, &outcome.Outcome{Kind: vocab.Error, Message: err.Error()}, false
		}
		path, args = exe, []string{"trial"}
	}
	b, _ := json.Marshal(spec)
	cmd := exec.Command(path, append(append([]string(nil), args...), "--spec", string(b))...)
	cmd.Env = append(os.Environ(), tc.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &limited{w: &stderr, n: 64 << 10}
	if err := proc.StartGroup(cmd); err != nil {
		o := harnessFailure("start trial", err, spec.Dir)
		return res, 0, &o, false
	}
	// Killing the trial's group kills its workers and exec command; its competitors die with
	// it (they have a parent-death signal).
	wctx, cancel := ctx, context.CancelFunc(func() {})
	if timeout > 0 {
		wctx, cancel = context.WithTimeoutCause(ctx, timeout, errTrialTimeout)
	}
	defer cancel()
	killed, werr := proc.Wait(wctx, cmd)
	timedOut := killed && context.Cause(wctx) == errTrialTimeout
	if killed && !timedOut {
		return res, 0, nil, true
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024
	}
	if timedOut {
		return res, rss, &outcome.Outcome{Kind: vocab.Timeout, Message: fmt.Sprintf("the trial ran past its timeout of %s and was killed with its process group", timeout)}, false
	}
	if err := json.Unmarshal(bytes.TrimSpace(stdout.Bytes()), &res); err != nil {
		msg := strings.TrimSpace(lastLines(stderr.String(), 8))
		o := &outcome.Outcome{Kind: vocab.Crash, Message: fmt.Sprintf("the trial process ended without a result (%v): %s", werr, msg)}
		// The classifier names a killing signal (SIGKILL), as everywhere else.
		if c := outcome.Classify(werr); c.Kind == vocab.Crash {
			o.Sub = c.Sub
		}
		envInStderr(o, msg)
		return res, rss, o, false
	}
	return res, rss, nil, false
}

// errTrialTimeout is the cause of a trial's end at its timeout.
var errTrialTimeout = errors.New("the trial ran past its timeout")

// fingerprintCheck compares each trial's data with its cell's first trial and with the first
// trial of any cell of the same size and seed (another mode must produce the same rows).
type fingerprintCheck struct {
	byCell map[string]ref
	byData map[string]ref
}

type ref struct {
	fp, cell string
	trial    int
}

func newFingerprintCheck() *fingerprintCheck {
	return &fingerprintCheck{byCell: map[string]ref{}, byData: map[string]ref{}}
}

func dataKey(t history.Trial) string {
	return fmt.Sprintf("employees=%s/years=%s/seed=%d", t.Params["employees"], t.Params["years"], t.Seed)
}

// observe records an already checked trial's fingerprint as a reference.
func (f *fingerprintCheck) observe(t history.Trial) {
	if t.Fingerprint == "" || t.Outcome.Kind != vocab.OK {
		return
	}
	r := ref{t.Fingerprint, t.Cell, t.Trial}
	if _, ok := f.byCell[t.Cell]; !ok {
		f.byCell[t.Cell] = r
	}
	if _, ok := f.byData[dataKey(t)]; !ok {
		f.byData[dataKey(t)] = r
	}
}

// apply turns an ok trial whose data differs from its references into a mismatch.
func (f *fingerprintCheck) apply(t *history.Trial) {
	if t.Fingerprint == "" || t.Outcome.Kind != vocab.OK {
		return
	}
	for _, r := range []ref{f.byCell[t.Cell], f.byData[dataKey(*t)]} {
		if r.fp != "" && r.fp != t.Fingerprint {
			t.Outcome = outcome.Outcome{Kind: vocab.Mismatch, Message: fmt.Sprintf(
				"data fingerprint %s differs from %s of %s trial %d", t.Fingerprint, r.fp, r.cell, r.trial)}
			return
		}
	}
	f.observe(*t)
}
