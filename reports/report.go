package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"lockbench/criteria"
	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/verdict"
)

// SchemaVersion is the version of the JSON report and comparison formats.
const SchemaVersion = 1

// Options control Build.
type Options struct {
	// Targets are the reduction gates to judge (a run's manifest records its scenario's).
	Targets []criteria.ResolvedTarget
	// Expectations are outcome expectations in addition to each cell's implicit one (every
	// trial has the outcome its Expected field names, ok by default); each is named by its Note.
	Expectations []criteria.Expectation
	// VersusAxis and VersusBase, when both are set, compare every cell with the cell that has
	// the same parameters except VersusAxis=VersusBase (benchstat's "vs base" column), e.g.
	// VersusAxis "mode" and VersusBase "sequential".
	VersusAxis string
	VersusBase string
	// Alpha is the significance level (default 0.05).
	Alpha float64
	// Confidence is the interval level (default 0.95).
	Confidence float64
	// Resamples is the number of bootstrap resamples (default 2000).
	Resamples int
	// MinTrials is the per-side floor below which a target is unknown (default 10).
	MinTrials int
	// Threshold is the noise threshold of the comparisons of DuckDB releases (default
	// DefaultThreshold, compare's): a change counts only when its whole interval lies beyond it.
	Threshold float64
	// Design is the runs' design (a run's manifest records it). A sequential one judges targets
	// and expectations at its planned looks (verdict.JudgeTargetSequential); nil or fixed judges
	// them on every trial, with the bootstrap interval and the MinTrials floor.
	Design *criteria.Design
}

// settings returns the options' statistical settings with their defaults.
func (o Options) settings() verdict.Settings {
	return verdict.Settings{Alpha: o.Alpha, Confidence: o.Confidence, Resamples: o.Resamples, MinTrials: o.MinTrials}.WithDefaults()
}

// RunInfo describes one run directory that went into a report.
type RunInfo struct {
	// Dir is the run directory.
	Dir string `json:"dir,omitempty"`
	// ID, Shard, CreatedAt, RootSeed, Versions and Host come from the manifest.
	ID        string           `json:"id"`
	Shard     string           `json:"shard,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
	RootSeed  int64            `json:"root_seed"`
	Versions  history.Versions `json:"versions"`
	Host      history.Host     `json:"host"`
	// Trials is the number of trials the run recorded, warmups included.
	Trials int `json:"trials"`
	// Releases are the DuckDB releases the run's cells and competitors used, as its manifest
	// lists them (empty when every process ran the release in Versions).
	Releases []string `json:"releases,omitempty"`
}

func runInfo(r history.Run) RunInfo {
	m := r.Manifest
	return RunInfo{Dir: r.Dir, ID: m.ID, Shard: m.Shard, CreatedAt: m.CreatedAt, RootSeed: m.RootSeed,
		Versions: m.Versions, Host: m.Host, Trials: len(r.Trials), Releases: m.Releases}
}

// Warning is a note about the data that a reader should see; warnings never drop data or
// change a verdict.
type Warning struct {
	// Cell is the cell the warning is about ("" for the whole report).
	Cell string `json:"cell,omitempty"`
	// Code classifies the warning: no-interval (too few ok trials for a median's interval),
	// few-trials (too few for a target), slow-first-trial, bimodal, outliers, failed-trials,
	// no-ok-trials, mixed-hosts, mixed-versions, mixed-releases (a cell's trials ran different
	// DuckDB releases), release-data (a data set's fingerprints differ between DuckDB
	// releases), history (how a run's history was read: a partial last line, from a crash
	// mid-write, was ignored), stranger (a process lockbench did not start held a trial's file
	// during a watched run, strangers.go).
	Code string `json:"code"`
	// Message is the warning in words.
	Message string `json:"message"`
}

// Report is everything reports computes from a set of runs.
type Report struct {
	// SchemaVersion is the JSON format version (SchemaVersion).
	SchemaVersion int `json:"schema_version"`
	// Runs describe the run directories pooled, Settings the statistics used, Cells every
	// cell in matrix order, Versus the optional comparisons against a base, Targets and
	// Expectations the verdicts with their evidence (implicit per-cell expectations first).
	Runs     []RunInfo        `json:"runs"`
	Settings verdict.Settings `json:"settings"`
	// Design is the design the verdicts were judged with (nil: fixed, on every trial).
	Design *criteria.Design `json:"design,omitempty"`
	// Constant holds the axis=value pairs every cell shares, joined with spaces: the part of
	// the cell keys that each cell's Label leaves out (empty for a single cell).
	Constant string  `json:"constant_axes,omitempty"`
	Cells    []*Cell `json:"cells"`
	Versus   *Versus `json:"versus,omitempty"`
	// Parallelism compares every threaded or parallel-processes cell with its sequential
	// sibling and with the parallelism bound of its steps.
	Parallelism  []ParallelismRow            `json:"parallelism,omitempty"`
	Targets      []verdict.TargetResult      `json:"targets"`
	Expectations []verdict.ExpectationResult `json:"expectations"`
	// Warnings are report-wide warnings; cell warnings are on each cell.
	Warnings []Warning `json:"warnings,omitempty"`
	// Strategies is the strategies section (strategies.go), nil when no cell has a strategy.
	Strategies *Strategies `json:"strategies,omitempty"`
	// Releases is the "DuckDB releases" section (releases.go): cells that differ only in their
	// DuckDB release compared as compare does, and their data's fingerprints; nil when no two
	// cells differ only in their release and no data set was fingerprinted on two releases.
	Releases *ReleaseComparison `json:"releases,omitempty"`
	// Upgrade is the upgrade answer (upgrade.go), nil when the cells and their competitors ran
	// fewer than two releases.
	Upgrade *Upgrade `json:"upgrade,omitempty"`
	// Verdict is the run verdict: fail if any target or expectation fails or a data set's
	// fingerprints differ between DuckDB releases, else unknown if any target or expectation is
	// unknown, else pass.
	Verdict verdict.Verdict `json:"verdict"`
}

// AllWarnings returns the report-wide warnings followed by every cell's, in cell order.
func (r *Report) AllWarnings() []Warning {
	out := slices.Clone(r.Warnings)
	for _, c := range r.Cells {
		out = append(out, c.Warnings...)
	}
	return out
}

// ExitCode maps the run verdict onto an exit code (pass 0, fail 1, unknown 3).
func (r *Report) ExitCode() exitcode.Code { return r.Verdict.ExitCode() }

// Cell returns the cell with the given key, or nil.
func (r *Report) Cell(key string) *Cell {
	for _, c := range r.Cells {
		if c.Key == key {
			return c
		}
	}
	return nil
}

// Build computes the report of runs. Trials of the same cell key are pooled across runs (the
// shards of one run merge into one report); cells come in matrix order. A trial with a timing
// no trial can measure is a *history.CorruptError; an invalid target is an error.
func Build(runs []history.Run, opts Options) (*Report, error) {
	s := opts.settings()
	for _, t := range opts.Targets {
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("build report: %w", err)
		}
	}
	r := &Report{
		SchemaVersion: SchemaVersion,
		Settings:      s,
		Targets:       []verdict.TargetResult{},
		Expectations:  []verdict.ExpectationResult{},
	}
	runs = canonicalOrder(runs)
	for _, run := range runs {
		for _, t := range run.Trials {
			if err := t.Check(run.Name()); err != nil {
				return nil, fmt.Errorf("build report: %w", err)
			}
		}
	}
	judge, err := newJudge(opts.Design, s)
	if err != nil {
		return nil, fmt.Errorf("build report: %w", err)
	}
	if judge.sequential() {
		r.Design = opts.Design
	}
	// Trials that failed for environmental reasons are not results: they are left out, and said so.
	runs, env := withoutEnvironment(runs)
	r.Cells, r.Constant = buildCells(runs, s, judge.sequential())
	addStrangerWarnings(r.Cells, runs)
	for _, run := range runs {
		r.Runs = append(r.Runs, runInfo(run))
	}
	r.Warnings = append(runWarnings(runs), env.warning()...)
	r.Strategies = buildStrategies(r.Cells, runs, s.Confidence)
	if opts.VersusAxis != "" && opts.VersusBase != "" {
		r.Versus = buildVersus(r.Cells, opts.VersusAxis, opts.VersusBase, s)
	}
	r.Parallelism = buildParallelism(r.Cells, s)
	threshold := cmp.Or(math.Abs(opts.Threshold), DefaultThreshold)
	r.Releases = buildReleases(r.Cells, runs, s, threshold)
	r.Warnings = append(r.Warnings, releaseWarnings(r.Releases)...)
	r.Upgrade = buildUpgrade(r.Cells, runs, r.Releases, s, threshold)
	judged := verdictCells(r.Cells)
	vs := []verdict.Verdict{env.verdict()}
	for _, t := range opts.Targets {
		tr := judge.target(t, judged)
		noteShards(&tr, runs)
		r.Targets = append(r.Targets, tr)
		vs = append(vs, tr.Verdict)
	}
	for _, c := range judged {
		er := judge.cell(c)
		r.Expectations = append(r.Expectations, er)
		vs = append(vs, er.Verdict)
	}
	for _, e := range opts.Expectations {
		er := judge.expectation(e, judged)
		r.Expectations = append(r.Expectations, er)
		vs = append(vs, er.Verdict)
	}
	if r.Releases != nil && slices.ContainsFunc(r.Releases.Data, func(d ReleaseData) bool { return d.Status == DataDiffers }) {
		vs = append(vs, verdict.Fail)
	}
	r.Verdict = verdict.Combine(vs...)
	return r, nil
}

// canonicalOrder returns runs sorted by creation time, ID, shard and directory, so that a
// report does not depend on the order its directories were given in (shards merge the same
// way in any order).
func canonicalOrder(runs []history.Run) []history.Run {
	out := slices.Clone(runs)
	slices.SortStableFunc(out, func(a, b history.Run) int {
		return cmp.Or(a.Manifest.CreatedAt.Compare(b.Manifest.CreatedAt), strings.Compare(a.Manifest.ID, b.Manifest.ID),
			strings.Compare(a.Manifest.Shard, b.Manifest.Shard), strings.Compare(a.Dir, b.Dir))
	})
	return out
}

// matrixOrder ranks cell keys by their position in the expanded scenarios of the runs'
// manifests (matrix order), so reports list cells as the scenario does rather than in the
// shuffled order trials ran in.
func matrixOrder(runs []history.Run) map[string]int {
	rank := map[string]int{}
	for _, r := range runs {
		for _, key := range r.Manifest.CellOrder() {
			if _, ok := rank[key]; !ok {
				rank[key] = len(rank)
			}
		}
	}
	return rank
}

func runWarnings(runs []history.Run) []Warning {
	var ws []Warning
	cpus, vers := map[string]bool{}, map[string]bool{}
	for _, r := range runs {
		cpus[r.Manifest.Host.CPU] = true
		v := r.Manifest.Versions
		vers[v.Lockbench+"|"+v.Commit+"|"+v.Go+"|"+v.DuckDB+"|"+v.Driver] = true
	}
	if len(cpus) > 1 {
		ws = append(ws, Warning{Code: "mixed-hosts", Message: fmt.Sprintf("runs were made on %d different CPUs; timings may not be comparable", len(cpus))})
	}
	if len(vers) > 1 {
		ws = append(ws, Warning{Code: "mixed-versions", Message: fmt.Sprintf("runs were made with %d different version sets (lockbench, Go, DuckDB, driver)", len(vers))})
	}
	for _, r := range runs {
		for _, n := range r.Notes() {
			ws = append(ws, Warning{Code: "history", Message: n})
		}
	}
	return ws
}
