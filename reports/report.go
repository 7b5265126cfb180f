package reports

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/scenarios"
	"lockbench/sim/trace"
)

// SchemaVersion is the version of the JSON report and comparison formats.
const SchemaVersion = 1

// Verdict is the three-state result of a target, an expectation or a whole run.
type Verdict string

// The verdicts.
const (
	Pass    Verdict = "pass"
	Fail    Verdict = "fail"
	Unknown Verdict = "unknown"
)

// ExitCode maps the verdict onto the exit codes of DESIGN.md: pass 0, fail 1, unknown 3.
func (v Verdict) ExitCode() exitcode.Code {
	switch v {
	case Pass:
		return exitcode.Pass
	case Fail:
		return exitcode.Fail
	default:
		return exitcode.Unknown
	}
}

// Combine returns fail if any verdict fails, else unknown if any is unknown, else pass (also
// for no verdicts at all).
func Combine(vs ...Verdict) Verdict {
	out := Pass
	for _, v := range vs {
		switch v {
		case Fail:
			return Fail
		case Unknown:
			out = Unknown
		}
	}
	return out
}

// Options control Build.
type Options struct {
	// Targets are the reduction gates to judge.
	Targets []Target
	// Expectations are outcome expectations in addition to each cell's implicit one (every trial
	// has the outcome its Expected field names, ok by default).
	Expectations []Expectation
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
}

func (o Options) withDefaults() Options {
	if o.Alpha <= 0 {
		o.Alpha = DefaultAlpha
	}
	if o.Confidence <= 0 || o.Confidence >= 1 {
		o.Confidence = DefaultConfidence
	}
	if o.Resamples <= 0 {
		o.Resamples = DefaultResamples
	}
	if o.MinTrials <= 0 {
		o.MinTrials = DefaultMinTrials
	}
	return o
}

// Settings records the statistical settings a report was computed with.
type Settings struct {
	// Alpha is the significance level of U tests.
	Alpha float64 `json:"alpha"`
	// Confidence is the level of every interval.
	Confidence float64 `json:"confidence"`
	// Resamples is the number of bootstrap resamples.
	Resamples int `json:"resamples"`
	// MinTrials is the per-side floor of target verdicts.
	MinTrials int `json:"min_trials"`
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
}

// Warning is a note about the data that a reader should see; warnings never drop data or
// change a verdict.
type Warning struct {
	// Cell is the cell the warning is about ("" for the whole report).
	Cell string `json:"cell,omitempty"`
	// Code classifies the warning: no-interval (too few ok trials for a median's interval),
	// few-trials (too few for a target), slow-first-trial, bimodal, outliers, failed-trials,
	// no-ok-trials, mixed-hosts, mixed-versions.
	Code string `json:"code"`
	// Message is the warning in words.
	Message string `json:"message"`
}

// OutcomeCount is how many trials had an outcome kind.
type OutcomeCount struct {
	// Kind is the outcome kind.
	Kind string `json:"kind"`
	// Count is the number of trials.
	Count int `json:"count"`
}

// KindMedian is the median, over a cell's ok trials, of the overhead attributed to one span
// kind (0 for trials without that kind). Medians per kind need not sum to the median overhead.
type KindMedian struct {
	// Kind is the span kind (or idle).
	Kind string `json:"kind"`
	// Median is the median overhead of that kind in seconds.
	Median float64 `json:"median"`
}

// TrialValues are the raw figures of one trial, in seconds.
type TrialValues struct {
	// Run is the run ID (or directory) and Trial the trial number within the cell.
	Run       string             `json:"run"`
	Trial     int                `json:"trial"`
	Warmup    bool               `json:"warmup"`
	Outcome   string             `json:"outcome"`
	Sub       string             `json:"sub,omitempty"`
	Expected  string             `json:"expected"`
	Wall      float64            `json:"wall"`
	SQL       float64            `json:"sql"`
	Overhead  float64            `json:"overhead"`
	ByKind    map[string]float64 `json:"overhead_by_kind,omitempty"`
	HolderPID int                `json:"holder_pid,omitempty"`
	// HolderRole is who the harness found the holder to be: competitor, worker or other.
	HolderRole string `json:"holder_role,omitempty"`
	Message    string `json:"message,omitempty"`
}

// Cell is the statistics of one cell, pooled over every run.
type Cell struct {
	// Key is the cell key (mode=threaded/threads=4/...).
	Key string `json:"key"`
	// Label is the key reduced to the axes that vary between the report's cells.
	Label string `json:"label"`
	// Params are the cell's axis values.
	Params map[string]string `json:"params"`
	// Trials counts non-warmup trials, Warmups warmups, OK the non-warmup trials that were ok.
	Trials  int `json:"trials"`
	Warmups int `json:"warmups"`
	OK      int `json:"ok"`
	// Outcomes counts non-warmup trials by outcome kind.
	Outcomes []OutcomeCount `json:"outcomes"`
	// Expected is the outcome the cell's trials expect (ok unless they say otherwise).
	Expected string `json:"expected"`
	// Wall, Overhead and SQL summarize the ok non-warmup trials; nil when there are none.
	Wall     *Summary `json:"wall,omitempty"`
	Overhead *Summary `json:"overhead,omitempty"`
	SQL      *Summary `json:"sql,omitempty"`
	// OverheadByKind is the median overhead per span kind.
	OverheadByKind []KindMedian `json:"overhead_by_kind,omitempty"`
	// Warnings are the cell's warnings.
	Warnings []Warning `json:"warnings,omitempty"`
	// Values are every trial of the cell, warmups included, in run and trial order.
	Values []TrialValues `json:"values"`

	samples     map[string][]sample // ok non-warmup values per metric
	parallelism []trace.Parallelism // the parallelism bounds of the ok non-warmup trials
	timeline    *history.Trial      // the trial shown in the HTML timeline
}

// Metric returns the summary of metric ("wall", "overhead" or "sql"), or nil.
func (c *Cell) Metric(metric string) *Summary {
	switch metric {
	case MetricWall:
		return c.Wall
	case MetricOverhead:
		return c.Overhead
	case MetricSQL:
		return c.SQL
	}
	return nil
}

// Delta compares one metric of two samples: new against base.
type Delta struct {
	// Metric is wall or overhead; the medians and sizes describe each side's ok trials.
	Metric     string  `json:"metric"`
	BaseMedian float64 `json:"base_median"`
	NewMedian  float64 `json:"new_median"`
	BaseN      int     `json:"base_n"`
	NewN       int     `json:"new_n"`
	// Ratio is median(new)/median(base) and RatioCI its bootstrap interval; Change is Ratio−1.
	Ratio    float64   `json:"ratio"`
	RatioCI  *Interval `json:"ratio_ci,omitempty"`
	Change   float64   `json:"change"`
	ChangeCI *Interval `json:"change_ci,omitempty"`
	// Diff is median(new) − median(base) in seconds and DiffCI its bootstrap interval. They are
	// set only where the ratio is undefined (a baseline median of 0): there the change is judged
	// by the absolute rule (the whole DiffCI beyond ±AbsoluteThreshold).
	Diff   float64   `json:"diff,omitempty"`
	DiffCI *Interval `json:"diff_ci,omitempty"`
	// P is the two-sided Mann–Whitney U p-value and PAdj its Holm-adjusted value; nil when the
	// test could not run.
	P    *float64 `json:"p,omitempty"`
	PAdj *float64 `json:"p_adj,omitempty"`
	// Significant is true when PAdj < alpha.
	Significant bool `json:"significant"`
	// Note explains a missing statistic (e.g. too few trials).
	Note string `json:"note,omitempty"`
}

// Symbol renders the change benchstat-style: "~" when not significant, else "+12.3%" (or,
// under the absolute rule, "+52.0ms").
func (d Delta) Symbol() string {
	if d.RatioCI == nil && d.DiffCI == nil && d.P == nil {
		return "?"
	}
	if !d.Significant {
		return "~"
	}
	if d.absolute() {
		return signedSecs(d.Diff)
	}
	return fmt.Sprintf("%+.1f%%", 100*d.Change)
}

// absolute reports whether the delta is judged by the absolute rule (no ratio).
func (d Delta) absolute() bool { return d.RatioCI == nil && d.DiffCI != nil }

// VersusRow compares one cell with its base cell on the versus axis.
type VersusRow struct {
	// Cell is compared with Base on wall and overhead.
	Cell     string `json:"cell"`
	Base     string `json:"base"`
	Wall     Delta  `json:"wall"`
	Overhead Delta  `json:"overhead"`
}

// Versus is the set of comparisons of every cell against its base on one axis.
type Versus struct {
	// Axis and Base are Options.VersusAxis and Options.VersusBase.
	Axis string `json:"axis"`
	Base string `json:"base"`
	// Rows compare every cell that has a base counterpart, in cell order.
	Rows []VersusRow `json:"rows"`
	// GeomeanWall and GeomeanOverhead are geometric means of the rows' ratios (NaN-free: 0
	// when there is no ratio).
	GeomeanWall     float64 `json:"geomean_wall_ratio"`
	GeomeanOverhead float64 `json:"geomean_overhead_ratio"`
}

// TargetResult is the verdict on one target, with its evidence.
type TargetResult struct {
	// Target is the target judged.
	Target
	// Verdict is pass, fail or unknown.
	Verdict Verdict `json:"verdict"`
	// Reason explains the verdict in one sentence.
	Reason string `json:"reason"`
	// BaselineCells and CandidateCells are the keys of the cells each selector matched;
	// BaselineN and CandidateN count their pooled ok trials; BaselineMedian is the pooled
	// baseline median in seconds.
	BaselineCells  []string `json:"baseline_cells"`
	CandidateCells []string `json:"candidate_cells"`
	BaselineN      int      `json:"baseline_n"`
	CandidateN     int      `json:"candidate_n"`
	BaselineMedian float64  `json:"baseline_median"`
	// CandidateMedian is the pooled candidate median in seconds.
	CandidateMedian float64 `json:"candidate_median"`
	// Achieved is 1 − CandidateMedian/BaselineMedian and AchievedCI its bootstrap interval.
	Achieved   float64   `json:"achieved"`
	AchievedCI *Interval `json:"achieved_ci,omitempty"`
	// P is the two-sided Mann–Whitney U p-value of candidate against baseline.
	P *float64 `json:"p,omitempty"`
}

// Evidence renders the numbers behind the verdict in one line.
func (t TargetResult) Evidence() string {
	ci := "no interval"
	if t.AchievedCI != nil {
		ci = fmt.Sprintf("%.0f%% CI [%s, %s]", 100*t.AchievedCI.Level, pct(t.AchievedCI.Lo), pct(t.AchievedCI.Hi))
	}
	return fmt.Sprintf("%s: baseline median %s (n=%d) → candidate median %s (n=%d): reduction %s, %s; target ≥ %s",
		t.Metric, secs(t.BaselineMedian), t.BaselineN, secs(t.CandidateMedian), t.CandidateN,
		pct(t.Achieved), ci, pct(t.Reduction))
}

// ExpectationResult is the verdict on one expectation, with its evidence.
type ExpectationResult struct {
	// Name identifies the expectation; Verdict is pass, fail or unknown.
	Name    string  `json:"name"`
	Verdict Verdict `json:"verdict"`
	// Expected is the expected outcome kind ("" when each trial's own expectation applies).
	Expected string `json:"expected"`
	// Cells are the matched cell keys and Trials their non-warmup trials.
	Cells  []string `json:"cells"`
	Trials int      `json:"trials"`
	// Outcomes counts the matched trials by outcome kind.
	Outcomes []OutcomeCount `json:"outcomes"`
	// Mismatches lists the trials that differ from the expectation.
	Mismatches []string `json:"mismatches,omitempty"`
	// Messages are the distinct error messages of the matched trials (at most three, each
	// with its count), verbatim: for a lock conflict, DuckDB's text naming the holder.
	Messages []string `json:"messages,omitempty"`
	// Reason explains the verdict in one sentence.
	Reason string `json:"reason"`
	// Implicit is true for the per-cell expectation derived from the trials' Expected field.
	Implicit bool `json:"implicit"`

	cell string     // the cell key of an implicit expectation
	mism []mismatch // Mismatches, structured for renderers that label and fold them
}

// mismatch is one trial that differs from an expectation.
type mismatch struct {
	cell, run  string
	trial      int
	got, want  string
	strayOwner bool // a lock conflict from a process lockbench did not start
}

// text is the mismatch as one line, naming the cell by label.
func (m mismatch) text(label string) string {
	if m.strayOwner {
		return fmt.Sprintf("%s #%d (run %s): got %s from a process lockbench did not start, want %s from the injected competitor", label, m.trial, m.run, m.got, m.want)
	}
	return fmt.Sprintf("%s #%d (run %s): got %s, want %s", label, m.trial, m.run, m.got, m.want)
}

// Report is everything reports computes from a set of runs.
type Report struct {
	// SchemaVersion is the JSON format version (SchemaVersion).
	SchemaVersion int `json:"schema_version"`
	// Runs describe the run directories pooled, Settings the statistics used, Cells every
	// cell in first-seen order, Versus the optional comparisons against a base, Targets and
	// Expectations the verdicts with their evidence (implicit per-cell expectations first).
	Runs     []RunInfo `json:"runs"`
	Settings Settings  `json:"settings"`
	// Constant holds the axis=value pairs every cell shares, joined with spaces: the part of
	// the cell keys that each cell's Label leaves out (empty for a single cell).
	Constant string  `json:"constant_axes,omitempty"`
	Cells    []*Cell `json:"cells"`
	Versus   *Versus `json:"versus,omitempty"`
	// Parallelism compares every threaded or parallel-processes cell with its sequential
	// sibling and with the parallelism bound of its steps.
	Parallelism  []ParallelismRow    `json:"parallelism,omitempty"`
	Targets      []TargetResult      `json:"targets"`
	Expectations []ExpectationResult `json:"expectations"`
	// Warnings are report-wide warnings; cell warnings are on each cell.
	Warnings []Warning `json:"warnings,omitempty"`
	// Strategies is the strategies section (strategies.go), nil when no cell has a strategy.
	Strategies *Strategies `json:"strategies,omitempty"`
	// Verdict is the run verdict: fail if any target or expectation fails, else unknown if any
	// is unknown, else pass.
	Verdict Verdict `json:"verdict"`
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

// outcomeOrder lists outcome kinds in the order reports show them.
var outcomeOrder = []string{history.OK, history.LockConflict, history.TxnConflict, history.Constraint,
	history.LostWrite, history.Mismatch, history.Timeout, history.Crash, history.Error}

func countOutcomes(counts map[string]int) []OutcomeCount {
	var out []OutcomeCount
	for _, k := range outcomeOrder {
		if n := counts[k]; n > 0 {
			out = append(out, OutcomeCount{Kind: k, Count: n})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		if !slices.Contains(outcomeOrder, k) && counts[k] > 0 {
			out = append(out, OutcomeCount{Kind: k, Count: counts[k]})
		}
	}
	return out
}

// kindOrder lists overhead span kinds in the order reports show them.
var kindOrder = []trace.Kind{trace.LockWait, trace.Spawn, trace.Open, trace.Close, trace.Recompute,
	trace.Validate, trace.Checkpoint, trace.Idle}

func trialParams(t history.Trial) map[string]string {
	if len(t.Params) > 0 {
		return maps.Clone(t.Params)
	}
	return ParseCellKey(t.Cell)
}

func expectedOf(t history.Trial) string {
	if t.Expected == "" {
		return history.OK
	}
	return t.Expected
}

// Build computes the report of runs. Trials of the same cell key are pooled across runs; cells
// appear in the order their first trial appears.
func Build(runs []Run, opts Options) (*Report, error) {
	opts = opts.withDefaults()
	for _, t := range opts.Targets {
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("build report: %w", err)
		}
	}
	r := &Report{
		SchemaVersion: SchemaVersion,
		Settings:      Settings{Alpha: opts.Alpha, Confidence: opts.Confidence, Resamples: opts.Resamples, MinTrials: opts.MinTrials},
		Targets:       []TargetResult{},
		Expectations:  []ExpectationResult{},
	}
	runs = canonicalOrder(runs)
	for _, run := range runs {
		for _, t := range run.Trials {
			if err := checkTrial(runName(run), t); err != nil {
				return nil, fmt.Errorf("build report: %w", err)
			}
		}
	}
	r.Cells, r.Constant = buildCells(runs, opts)
	for _, run := range runs {
		m := run.Manifest
		r.Runs = append(r.Runs, RunInfo{Dir: run.Dir, ID: m.ID, Shard: m.Shard, CreatedAt: m.CreatedAt,
			RootSeed: m.RootSeed, Versions: m.Versions, Host: m.Host, Trials: len(run.Trials)})
	}
	r.Warnings = runWarnings(runs)
	r.Strategies = buildStrategies(r.Cells, runs, opts.Confidence)
	if opts.VersusAxis != "" && opts.VersusBase != "" {
		r.Versus = buildVersus(r.Cells, opts)
	}
	r.Parallelism = buildParallelism(r.Cells, opts)
	var verdicts []Verdict
	for _, t := range opts.Targets {
		tr := judgeTarget(r.Cells, t, opts)
		r.Targets = append(r.Targets, tr)
		verdicts = append(verdicts, tr.Verdict)
	}
	for _, c := range r.Cells {
		er := judgeExpectation(r.Cells, Expectation{Name: "cell " + c.Key, Cells: scenarios.Selector{scenarios.CellAxis: c.Key}}, true)
		er.cell = c.Key
		r.Expectations = append(r.Expectations, er)
		verdicts = append(verdicts, er.Verdict)
	}
	for _, e := range opts.Expectations {
		er := judgeExpectation(r.Cells, e, false)
		r.Expectations = append(r.Expectations, er)
		verdicts = append(verdicts, er.Verdict)
	}
	r.Verdict = Combine(verdicts...)
	return r, nil
}

// runName names a run in messages: its directory, else its ID.
func runName(r Run) string { return cmp.Or(r.Dir, r.Manifest.ID) }

// canonicalOrder returns runs sorted by creation time, ID, shard and directory, so that a
// report does not depend on the order its directories were given in (shards merge the same
// way in any order).
func canonicalOrder(runs []Run) []Run {
	out := slices.Clone(runs)
	slices.SortStableFunc(out, func(a, b Run) int {
		return cmp.Or(a.Manifest.CreatedAt.Compare(b.Manifest.CreatedAt), strings.Compare(a.Manifest.ID, b.Manifest.ID),
			strings.Compare(a.Manifest.Shard, b.Manifest.Shard), strings.Compare(a.Dir, b.Dir))
	})
	return out
}

// matrixOrder ranks cell keys by their position in the expanded scenarios of the runs'
// manifests (matrix order), so reports list cells as the scenario does rather than in the
// shuffled order trials ran in.
func matrixOrder(runs []Run) map[string]int {
	rank := map[string]int{}
	for _, r := range runs {
		var sc struct {
			Cells []struct {
				Key string `json:"key"`
			} `json:"cells"`
		}
		if len(r.Manifest.Scenario) == 0 || json.Unmarshal(r.Manifest.Scenario, &sc) != nil {
			continue
		}
		for _, c := range sc.Cells {
			if _, ok := rank[c.Key]; !ok && c.Key != "" {
				rank[c.Key] = len(rank)
			}
		}
	}
	return rank
}

// buildCells pools the trials of runs (in canonical order) by cell key. Cells come in matrix
// order, then in the order their first trial appears. It returns the cells and the axis=value
// pairs they all share.
func buildCells(runs []Run, opts Options) ([]*Cell, string) {
	var cells []*Cell
	byKey := map[string]*Cell{}
	kindVals := map[*Cell]map[string][]float64{}
	var okTrials = map[*Cell][]history.Trial{}
	for _, run := range runs {
		id := run.Manifest.ID
		if id == "" {
			id = run.Dir
		}
		for _, t := range run.Trials {
			c := byKey[t.Cell]
			if c == nil {
				c = &Cell{Key: t.Cell, Params: trialParams(t), Expected: expectedOf(t), samples: map[string][]sample{}}
				byKey[t.Cell] = c
				cells = append(cells, c)
				kindVals[c] = map[string][]float64{}
			}
			tv := TrialValues{Run: id, Trial: t.Trial, Warmup: t.Warmup, Outcome: t.Outcome.Kind, Sub: t.Outcome.Sub,
				Expected: expectedOf(t), Wall: t.WallS, SQL: t.SQLS, Overhead: t.OverheadS,
				HolderPID: t.Outcome.HolderPID, HolderRole: t.Outcome.HolderRole, Message: t.Outcome.Message}
			if len(t.OverheadByKind) > 0 {
				tv.ByKind = map[string]float64{}
				for k, v := range t.OverheadByKind {
					tv.ByKind[string(k)] = v
				}
			}
			c.Values = append(c.Values, tv)
			if t.Warmup {
				c.Warmups++
				continue
			}
			c.Trials++
			if t.Outcome.Kind != history.OK {
				continue
			}
			c.OK++
			okTrials[c] = append(okTrials[c], t)
			if t.Parallelism != nil {
				c.parallelism = append(c.parallelism, *t.Parallelism)
			}
			for _, m := range []struct {
				name string
				v    float64
			}{{MetricWall, t.WallS}, {MetricOverhead, t.OverheadS}, {MetricSQL, t.SQLS}} {
				c.samples[m.name] = append(c.samples[m.name], sample{run: id, trial: t.Trial, value: m.v})
			}
			for k := range t.OverheadByKind {
				if _, ok := kindVals[c][string(k)]; !ok {
					kindVals[c][string(k)] = nil
				}
			}
		}
	}
	if rank := matrixOrder(runs); len(rank) > 0 {
		slices.SortStableFunc(cells, func(a, b *Cell) int {
			ra, oka := rank[a.Key]
			rb, okb := rank[b.Key]
			switch {
			case oka && okb:
				return cmp.Compare(ra, rb)
			case oka:
				return -1
			case okb:
				return 1
			}
			return 0
		})
	}
	keys := make([]string, len(cells))
	for i, c := range cells {
		keys[i] = c.Key
	}
	labels, constant := scenarios.Labels(keys)
	for _, c := range cells {
		c.Label = labels[c.Key]
		counts := map[string]int{}
		for _, v := range c.Values {
			if !v.Warmup {
				counts[v.Outcome]++
			}
		}
		c.Outcomes = countOutcomes(counts)
		c.Wall = summarize(c.samples[MetricWall], opts.Confidence)
		c.Overhead = summarize(c.samples[MetricOverhead], opts.Confidence)
		c.SQL = summarize(c.samples[MetricSQL], opts.Confidence)
		c.OverheadByKind = kindMedians(okTrials[c], kindVals[c])
		c.timeline = pickTimeline(c, runs)
		c.Warnings = cellWarnings(c, opts)
	}
	return cells, constant
}

// kindMedians returns the median per overhead kind over trials, kinds in kindOrder then by name.
func kindMedians(trials []history.Trial, seen map[string][]float64) []KindMedian {
	if len(trials) == 0 || len(seen) == 0 {
		return nil
	}
	names := slices.Collect(maps.Keys(seen))
	rank := func(k string) int {
		if i := slices.Index(kindOrder, trace.Kind(k)); i >= 0 {
			return i
		}
		return len(kindOrder)
	}
	slices.SortFunc(names, func(a, b string) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
	})
	var out []KindMedian
	for _, k := range names {
		xs := make([]float64, len(trials))
		for i, t := range trials {
			xs[i] = t.OverheadByKind[trace.Kind(k)]
		}
		sort.Float64s(xs)
		out = append(out, KindMedian{Kind: k, Median: median(xs)})
	}
	return out
}

// pickTimeline returns the ok non-warmup trial with spans whose wall time is closest to the
// cell's median (the first such trial on ties); failing that, the first non-warmup trial with
// spans.
func pickTimeline(c *Cell, runs []Run) *history.Trial {
	var best *history.Trial
	bestD := math.Inf(1)
	var fallback *history.Trial
	for ri := range runs {
		for ti := range runs[ri].Trials {
			t := &runs[ri].Trials[ti]
			if t.Cell != c.Key || t.Warmup || len(t.Spans) == 0 {
				continue
			}
			if fallback == nil {
				fallback = t
			}
			if t.Outcome.Kind != history.OK || c.Wall == nil {
				continue
			}
			if d := math.Abs(t.WallS - c.Wall.Median); d < bestD {
				best, bestD = t, d
			}
		}
	}
	if best != nil {
		return best
	}
	return fallback
}

func cellWarnings(c *Cell, opts Options) []Warning {
	var ws []Warning
	add := func(code, format string, args ...any) {
		ws = append(ws, Warning{Cell: c.Key, Code: code, Message: fmt.Sprintf(format, args...)})
	}
	if failed := c.Trials - c.OK; failed > 0 && c.Expected == history.OK {
		add("failed-trials", "%d of %d trials were not ok and are left out of the timing statistics", failed, c.Trials)
	}
	if c.OK == 0 {
		if c.Trials > 0 && c.Expected == history.OK {
			add("no-ok-trials", "no ok trials: no timing statistics")
		}
		return ws
	}
	if c.OK < MinTrialsForCI {
		add("no-interval", "no confidence interval for the medians: need >= %d ok trials at level %.2f, have %d (run %d more)",
			MinTrialsForCI, opts.Confidence, c.OK, MinTrialsForCI-c.OK)
	} else if c.OK < opts.MinTrials {
		add("few-trials", "%d ok trials: targets need >= %d per side", c.OK, opts.MinTrials)
	}
	// hyperfine's slow first run: the first timed trial is a high outlier of the wall time.
	if first := firstTimed(c); first != nil {
		for _, o := range c.Wall.Outliers {
			if o.Trial == first.trial && o.Run == first.run && o.Side == "high" {
				hint := "consider warmup trials"
				if c.Warmups > 0 {
					hint = "consider more warmup trials"
				}
				add("slow-first-trial", "the first trial took %s, much longer than the median %s; caches may have been cold (%s)",
					secs(o.Value), secs(c.Wall.Median), hint)
			}
		}
	}
	for _, m := range []string{MetricWall, MetricOverhead} {
		s := c.Metric(m)
		if s.Bimodal {
			add("bimodal", "%s timings look bimodal (bimodality coefficient %.2f > 0.555 and a clear gap): the cell may mix two behaviours", m, s.BimodalityCoefficient)
		}
		if len(s.Outliers) > 0 {
			var ts []string
			for _, o := range s.Outliers {
				ts = append(ts, fmt.Sprintf("#%d %s (%s)", o.Trial, secs(o.Value), strings.Join(o.Rules, ",")))
			}
			add("outliers", "%s: %d outlier(s), kept: %s", m, len(s.Outliers), strings.Join(ts, "; "))
		}
	}
	return ws
}

func firstTimed(c *Cell) *sample {
	ss := c.samples[MetricWall]
	if len(ss) == 0 {
		return nil
	}
	// The first trial recorded for the cell that was not a warmup.
	for _, v := range c.Values {
		if !v.Warmup {
			if v.Outcome != history.OK {
				return nil
			}
			return &sample{run: v.Run, trial: v.Trial}
		}
	}
	return nil
}

func runWarnings(runs []Run) []Warning {
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
	return ws
}

// compareSamples compares new against base on one metric; the caller fills in PAdj and
// Significant.
func compareSamples(metric string, base, cand []float64, opts Options) Delta {
	d := Delta{Metric: metric, BaseN: len(base), NewN: len(cand)}
	if len(base) > 0 {
		d.BaseMedian = median(sortedCopy(base))
	}
	if len(cand) > 0 {
		d.NewMedian = median(sortedCopy(cand))
	}
	if len(base) == 0 || len(cand) == 0 {
		d.Note = "no ok trials on one side"
		return d
	}
	ratio, ci, ok := BootstrapRatio(base, cand, opts.Resamples, opts.Confidence)
	if ok {
		d.Ratio, d.Change = ratio, ratio-1
		if ci != nil {
			d.RatioCI = ci
			d.ChangeCI = &Interval{Lo: ci.Lo - 1, Hi: ci.Hi - 1, Level: ci.Level}
		}
	} else {
		// No ratio (a baseline median of 0): judge the change in seconds.
		d.Diff, d.DiffCI, _ = BootstrapDiff(base, cand, opts.Resamples, opts.Confidence)
		d.Note = fmt.Sprintf("the baseline median is 0, so there is no ratio: the change is judged in seconds (beyond ±%s)", secs(AbsoluteThreshold))
	}
	if len(base) < MinTrialsForTest || len(cand) < MinTrialsForTest {
		d.Note = fmt.Sprintf("need >= %d samples per side to detect a difference at alpha level %.2f", MinTrialsForTest, opts.Alpha)
	}
	if p, err := UTest(base, cand); err == nil && !math.IsNaN(p) {
		d.P = &p
	}
	return d
}

// applyHolm sets PAdj and Significant on deltas from their P values, adjusting across all of
// them at once.
func applyHolm(ds []*Delta, alpha float64) {
	ps := make([]float64, len(ds))
	for i, d := range ds {
		ps[i] = math.NaN()
		if d.P != nil {
			ps[i] = *d.P
		}
	}
	adj := Holm(ps)
	for i, d := range ds {
		if !math.IsNaN(adj[i]) {
			a := adj[i]
			d.PAdj = &a
			d.Significant = a < alpha && (d.RatioCI != nil || d.DiffCI != nil)
		}
	}
}

func buildVersus(cells []*Cell, opts Options) *Versus {
	v := &Versus{Axis: opts.VersusAxis, Base: opts.VersusBase}
	for _, c := range cells {
		val, ok := c.Params[opts.VersusAxis]
		if !ok || val == opts.VersusBase {
			continue
		}
		var base *Cell
		for _, b := range cells {
			if b.Params[opts.VersusAxis] != opts.VersusBase || len(b.Params) != len(c.Params) {
				continue
			}
			same := true
			for k, x := range c.Params {
				if k != opts.VersusAxis && b.Params[k] != x {
					same = false
					break
				}
			}
			if same {
				base = b
				break
			}
		}
		if base == nil {
			continue
		}
		v.Rows = append(v.Rows, VersusRow{Cell: c.Key, Base: base.Key,
			Wall:     compareSamples(MetricWall, values(base.samples[MetricWall]), values(c.samples[MetricWall]), opts),
			Overhead: compareSamples(MetricOverhead, values(base.samples[MetricOverhead]), values(c.samples[MetricOverhead]), opts)})
	}
	var ds []*Delta
	var wr, or []float64
	for i := range v.Rows {
		ds = append(ds, &v.Rows[i].Wall, &v.Rows[i].Overhead)
		if v.Rows[i].Wall.Ratio > 0 {
			wr = append(wr, v.Rows[i].Wall.Ratio)
		}
		if v.Rows[i].Overhead.Ratio > 0 {
			or = append(or, v.Rows[i].Overhead.Ratio)
		}
	}
	applyHolm(ds, opts.Alpha)
	v.GeomeanWall = geoOrZero(wr)
	v.GeomeanOverhead = geoOrZero(or)
	return v
}

func geoOrZero(xs []float64) float64 {
	g, n := GeoMean(xs)
	if n == 0 {
		return 0
	}
	return g
}

// pooled returns the keys and the metric's samples of the cells of one side of a target: the
// cells among resolved, the side's cells as the manifest recorded them, or, when resolved is
// nil, the cells sel matches.
func pooled(cells []*Cell, sel scenarios.Selector, resolved []string, metric string) (keys []string, xs []float64) {
	for _, c := range cells {
		in := sel.Matches(c.Key, c.Params)
		if resolved != nil {
			in = slices.Contains(resolved, c.Key)
		}
		if in {
			keys = append(keys, c.Key)
			xs = append(xs, values(c.samples[metric])...)
		}
	}
	return keys, xs
}

func judgeTarget(cells []*Cell, t Target, opts Options) TargetResult {
	tr := TargetResult{Target: t, Verdict: Unknown}
	var base, cand []float64
	tr.BaselineCells, base = pooled(cells, t.Baseline, t.BaselineCells, t.Metric)
	tr.CandidateCells, cand = pooled(cells, t.Candidate, t.CandidateCells, t.Metric)
	tr.BaselineN, tr.CandidateN = len(base), len(cand)
	if len(base) > 0 {
		tr.BaselineMedian = median(sortedCopy(base))
	}
	if len(cand) > 0 {
		tr.CandidateMedian = median(sortedCopy(cand))
	}
	switch {
	case len(tr.BaselineCells) == 0:
		tr.Reason = fmt.Sprintf("no cell matches the baseline selector %s", t.Baseline)
		return tr
	case len(tr.CandidateCells) == 0:
		tr.Reason = fmt.Sprintf("no cell matches the candidate selector %s", t.Candidate)
		return tr
	}
	ratio, ci, ok := BootstrapRatio(base, cand, opts.Resamples, opts.Confidence)
	if ok {
		tr.Achieved = 1 - ratio
		if ci != nil {
			tr.AchievedCI = &Interval{Lo: 1 - ci.Hi, Hi: 1 - ci.Lo, Level: ci.Level}
		}
	}
	if len(base) > 0 && len(cand) > 0 {
		if p, err := UTest(base, cand); err == nil && !math.IsNaN(p) {
			tr.P = &p
		}
	}
	switch {
	case len(base) < opts.MinTrials || len(cand) < opts.MinTrials:
		tr.Reason = fmt.Sprintf("too few ok trials: need >= %d per side, have %d baseline and %d candidate", opts.MinTrials, len(base), len(cand))
	case !ok:
		tr.Reason = "the baseline median is zero: no reduction can be computed"
	case tr.AchievedCI == nil:
		tr.Reason = "the bootstrap interval is not finite"
	case tr.AchievedCI.Lo >= t.Reduction:
		tr.Verdict = Pass
		tr.Reason = fmt.Sprintf("the whole interval is at or above the target: lower bound %s ≥ %s", pct(tr.AchievedCI.Lo), pct(t.Reduction))
	case tr.AchievedCI.Hi < t.Reduction:
		tr.Verdict = Fail
		tr.Reason = fmt.Sprintf("the whole interval is below the target: upper bound %s < %s", pct(tr.AchievedCI.Hi), pct(t.Reduction))
	default:
		tr.Reason = fmt.Sprintf("the interval [%s, %s] straddles the target %s: run more trials", pct(tr.AchievedCI.Lo), pct(tr.AchievedCI.Hi), pct(t.Reduction))
	}
	return tr
}

func judgeExpectation(cells []*Cell, e Expectation, implicit bool) ExpectationResult {
	er := ExpectationResult{Name: e.Name, Expected: e.Outcome, Implicit: implicit, Verdict: Unknown}
	if er.Name == "" {
		er.Name = "expect " + cmp.Or(e.Outcome, "expected outcome") + " in " + e.Cells.String()
	}
	counts := map[string]int{}
	expectSet := map[string]bool{}
	msgs := newMessageFolder()
	for _, c := range cells {
		if !e.Cells.Matches(c.Key, c.Params) {
			continue
		}
		er.Cells = append(er.Cells, c.Key)
		for _, v := range c.Values {
			if v.Warmup {
				continue
			}
			er.Trials++
			counts[v.Outcome]++
			if v.Message != "" {
				msgs.add(v.Message)
			}
			want := cmp.Or(e.Outcome, v.Expected)
			expectSet[want] = true
			m := mismatch{cell: c.Key, run: v.Run, trial: v.Trial, got: outcomeText(v), want: want}
			switch {
			case !accepts(want, v.Outcome) || v.Outcome == history.Mismatch:
			case v.Outcome == history.LockConflict && v.HolderRole == "other":
				// An expected lock conflict must come from a process the harness started
				// (a competitor or a sibling worker), not from a stray holder.
				m.strayOwner = true
			default:
				continue
			}
			er.mism = append(er.mism, m)
			er.Mismatches = append(er.Mismatches, m.text(c.Key))
		}
	}
	if er.Expected == "" && len(expectSet) == 1 {
		for k := range expectSet {
			er.Expected = k
		}
	}
	er.Outcomes = countOutcomes(counts)
	er.Messages = msgs.lines(3)
	switch {
	case len(er.Cells) == 0:
		er.Reason = fmt.Sprintf("no cell matches %s", e.Cells)
	case er.Trials == 0:
		er.Reason = "no trials were recorded"
	case len(er.Mismatches) > 0:
		er.Verdict = Fail
		er.Reason = fmt.Sprintf("%d of %d trials differ from the expectation", len(er.Mismatches), er.Trials)
	default:
		er.Verdict = Pass
		er.Reason = fmt.Sprintf("all %d trials had the expected outcome", er.Trials)
	}
	return er
}

// reHolderPID is the part of a lock message that differs between otherwise identical trials.
var reHolderPID = regexp.MustCompile(`\(PID \d+\)`)

// messageFolder counts messages, folding those that differ only in the holder's PID.
type messageFolder struct {
	order []string
	first map[string]string
	count map[string]int
	pids  map[string][]string
}

func newMessageFolder() *messageFolder {
	return &messageFolder{first: map[string]string{}, count: map[string]int{}, pids: map[string][]string{}}
}

func (f *messageFolder) add(msg string) {
	key := reHolderPID.ReplaceAllString(msg, "(PID …)")
	if f.count[key] == 0 {
		f.order = append(f.order, key)
		f.first[key] = msg
	}
	f.count[key]++
	if pid := reHolderPID.FindString(msg); pid != "" {
		pid = strings.TrimSuffix(strings.TrimPrefix(pid, "(PID "), ")")
		if !slices.Contains(f.pids[key], pid) {
			f.pids[key] = append(f.pids[key], pid)
		}
	}
}

// lines returns at most n messages, most frequent folded first in first-seen order, each with
// its count: "msg (×6)", or for a message seen with several holder PIDs, the message with
// "(PID …)" and the PIDs: "msg (×6; PIDs 4681, 5392, 5612, …)".
func (f *messageFolder) lines(n int) []string {
	var out []string
	for _, key := range f.order {
		if len(out) == n {
			break
		}
		pids := f.pids[key]
		switch {
		case len(pids) > 1:
			shown := pids
			if len(shown) > 3 {
				shown = append(shown[:3:3], "…")
			}
			out = append(out, fmt.Sprintf("%s (×%d; PIDs %s)", key, f.count[key], strings.Join(shown, ", ")))
		default:
			out = append(out, fmt.Sprintf("%s (×%d)", f.first[key], f.count[key]))
		}
	}
	return out
}

func outcomeText(v TrialValues) string {
	s := v.Outcome
	if v.Sub != "" {
		s += "/" + v.Sub
	}
	if v.HolderPID != 0 {
		s += fmt.Sprintf(" (holder pid %d)", v.HolderPID)
	}
	return s
}

// accepts reports whether an expectation (one outcome, or several joined with "|") allows
// outcome.
func accepts(want, outcome string) bool {
	for w := range strings.SplitSeq(want, "|") {
		if strings.TrimSpace(w) == outcome {
			return true
		}
	}
	return false
}
