package trend

import (
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"lockbench/internal/crash"
	"lockbench/internal/exitcode"
	"lockbench/scenarios"
	"lockbench/stats"
	"lockbench/verdict"
	"lockbench/vocab"
)

// SchemaVersion is the version of the JSON trend format.
const SchemaVersion = 1

// Defaults of Options.
const (
	DefaultMetric       = string(vocab.Overhead)
	DefaultAlpha        = 0.05
	DefaultMinChange    = 0.05
	DefaultPermutations = 199
	DefaultSeed         = 1
	DefaultMinRuns      = 5
	DefaultWindow       = 10
	// NoMinChange, as Options.MinChange, keeps every significant change point.
	NoMinChange = -1.0
)

// Options control Analyze.
type Options struct {
	// Metric is "overhead" (default), "wall" or "sql".
	Metric string
	// Cells, when not empty, are the only cell keys to analyse.
	Cells []string
	// Filter selects cells by their parameters, in the syntax of bench --filter.
	Filter string
	// Alpha is the significance level of the permutation test (default 0.05).
	Alpha float64
	// MinChange is the smallest relative change of the median that counts (default 0.05 when
	// zero; NoMinChange for none): a significant change point whose medians differ by less is
	// dropped.
	MinChange float64
	// Permutations is the number of random permutations per test (default 199).
	Permutations int
	// Seed seeds the permutations (default 1); each series draws from its own generator derived
	// from it, so the result depends on nothing but the data and the options.
	Seed uint64
	// MinRuns is the fewest runs a series needs, since its workload last changed, for a verdict
	// (default 5); fewer give unknown.
	MinRuns int
	// Window is the most runs on each side of a change point whose trials are pooled for its
	// medians and ratio interval (default 10).
	Window int
	// Confidence is the level of every interval (default 0.95); Resamples the number of
	// bootstrap resamples (default 2000).
	Confidence float64
	Resamples  int
}

func (o Options) withDefaults() Options {
	if o.Metric == "" {
		o.Metric = DefaultMetric
	}
	if o.Alpha == 0 {
		o.Alpha = DefaultAlpha
	}
	switch {
	case o.MinChange == 0:
		o.MinChange = DefaultMinChange
	case o.MinChange == NoMinChange:
		o.MinChange = 0
	}
	if o.Permutations == 0 {
		o.Permutations = DefaultPermutations
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.MinRuns == 0 {
		o.MinRuns = DefaultMinRuns
	}
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.Confidence == 0 {
		o.Confidence = stats.DefaultConfidence
	}
	if o.Resamples == 0 {
		o.Resamples = stats.DefaultResamples
	}
	return o
}

func (o Options) validate() error {
	if _, err := vocab.ParseMetric(o.Metric); err != nil {
		return exitcode.Usagef("--metric %q: use overhead, wall or sql", o.Metric)
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		return exitcode.Usagef("--alpha %v: want a level between 0 and 1, e.g. 0.05", o.Alpha)
	}
	if !(o.MinChange >= 0 && o.MinChange < 10) {
		return exitcode.Usagef("--min-change %v: want a fraction such as 5%% or 0.05", o.MinChange)
	}
	if o.Permutations < 1 {
		return exitcode.Usagef("--permutations %d: want at least 1 (199 resolves p to 0.005)", o.Permutations)
	}
	if o.MinRuns < 2*minSide {
		return exitcode.Usagef("--min-runs %d: want at least %d (two runs on each side of a change)", o.MinRuns, 2*minSide)
	}
	if !(o.Confidence > 0 && o.Confidence < 1) || o.Window < 1 || o.Resamples < 1 {
		return exitcode.Usagef("bad interval settings (confidence %v, window %d, resamples %d)", o.Confidence, o.Window, o.Resamples)
	}
	return nil
}

// Settings records the options a trend was computed with.
type Settings struct {
	// Method describes the change point detection.
	Method       string  `json:"method"`
	Alpha        float64 `json:"alpha"`
	MinChange    float64 `json:"min_change"`
	Permutations int     `json:"permutations"`
	Seed         uint64  `json:"seed"`
	MinRuns      int     `json:"min_runs"`
	Window       int     `json:"window"`
	Confidence   float64 `json:"confidence"`
	Resamples    int     `json:"resamples"`
}

// Trend is the history of every selected cell's metric across runs, with its change points.
type Trend struct {
	// SchemaVersion is the JSON format version (SchemaVersion).
	SchemaVersion int `json:"schema_version"`
	// Metric is the metric analysed.
	Metric string `json:"metric"`
	// Settings are the options used.
	Settings Settings `json:"settings"`
	// Runs is the number of runs read (shards of one run count once); First and Last are the
	// times of the oldest and newest.
	Runs  int       `json:"runs"`
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	// Series are the cells' series, in cell key order.
	Series []*Series `json:"series"`
	// Constant holds the axis=value pairs every series shares, printed once; each series'
	// Label leaves them out (the Cell keys stay complete).
	Constant string `json:"constant_axes,omitempty"`
	// Verdict is fail when a series regressed at its newest point, else unknown when a series
	// has too few runs to decide, else pass.
	Verdict verdict.Verdict `json:"verdict"`
	// Notes are things the reader should know about the input.
	Notes []string `json:"notes,omitempty"`
}

// Regressions returns the series whose verdict is fail.
func (t *Trend) Regressions() []*Series {
	var out []*Series
	for _, s := range t.Series {
		if s.Verdict == verdict.Fail {
			out = append(out, s)
		}
	}
	return out
}

// Series is one cell's metric across runs.
type Series struct {
	// Cell is the cell key.
	Cell string `json:"cell"`
	// Label is the key reduced to the axes that vary between the series.
	Label string `json:"label"`
	// Metric is the metric.
	Metric string `json:"metric"`
	// Points are the runs that have ok trials of the cell, in time order.
	Points []Point `json:"points"`
	// ChangePoints are the significant changes of at least the minimum size, in time order.
	ChangePoints []ChangePoint `json:"change_points"`
	// WorkloadChanges are where the cell's workload identity changed: the series is split
	// there, and changes are looked for on each side separately, never across.
	WorkloadChanges []WorkloadChange `json:"workload_changes"`
	// Verdict judges the newest point: fail when the newest change point since the workload
	// last changed is a slowdown, unknown with fewer than the minimum runs since then, pass
	// otherwise.
	Verdict verdict.Verdict `json:"verdict"`
	// Reason says why, in words.
	Reason string `json:"reason"`
	// Skipped counts runs that measured the cell without a single ok trial (no point).
	Skipped int `json:"skipped_runs,omitempty"`
}

// Point is one run's value of a series.
type Point struct {
	// Run is the run's ID (the first shard's for a sharded run); Runs lists every shard's ID
	// when there are several.
	Run  string   `json:"run"`
	Runs []string `json:"runs,omitempty"`
	// Time is when the run started.
	Time time.Time `json:"time"`
	// Commit is the commit under test ("" when unknown).
	Commit string `json:"commit"`
	// Lockbench is lockbench's version and commit.
	Lockbench string `json:"lockbench,omitempty"`
	// Workload is the cell's workload identity in this run ("" when the run did not record one).
	Workload string `json:"workload,omitempty"`
	// DuckDB is the DuckDB release that ran the cell's workload in this run ("1.5.6+2.0.0" in
	// the odd run that ran several). A release is not part of a series' identity: a cell that
	// names no release runs whichever one lockbench links, and an upgrade of it is a change to
	// look for, not a new series.
	DuckDB string `json:"duckdb,omitempty"`
	// Median is the median of the run's ok trials; Lo and Hi bound its distribution-free
	// order-statistic interval (absent with fewer than 6 trials).
	Median float64  `json:"median"`
	Lo     *float64 `json:"lo,omitempty"`
	Hi     *float64 `json:"hi,omitempty"`
	// N is the number of ok trials; Failed the measured trials that were not ok.
	N      int `json:"n"`
	Failed int `json:"failed,omitempty"`

	values []float64
}

// ChangePoint is a significant shift of a series between two consecutive runs.
type ChangePoint struct {
	// Index is the index in Points of the first run after the change.
	Index int `json:"index"`
	// BeforeRun and AfterRun are the last run before the change and the first after it, with
	// their times and commits; Commit is the first commit after the change (where to look).
	BeforeRun    string    `json:"before_run"`
	AfterRun     string    `json:"after_run"`
	BeforeTime   time.Time `json:"before_time"`
	AfterTime    time.Time `json:"after_time"`
	BeforeCommit string    `json:"before_commit"`
	Commit       string    `json:"commit"`
	// BeforeDuckDB and DuckDB are the DuckDB releases of the same two runs, named as the
	// commits are: where they differ, the change came with an upgrade (or a downgrade) of
	// DuckDB.
	BeforeDuckDB string `json:"before_duckdb,omitempty"`
	DuckDB       string `json:"duckdb,omitempty"`
	// BeforeMedian and AfterMedian are the medians of the ok trials pooled over up to Window
	// runs on each side (never across another change point); BeforeN and AfterN count them.
	BeforeMedian float64 `json:"before_median"`
	AfterMedian  float64 `json:"after_median"`
	BeforeN      int     `json:"before_n"`
	AfterN       int     `json:"after_n"`
	// Ratio is AfterMedian/BeforeMedian with its percentile-bootstrap interval (absent when
	// not finite).
	Ratio   float64  `json:"ratio"`
	RatioLo *float64 `json:"ratio_lo,omitempty"`
	RatioHi *float64 `json:"ratio_hi,omitempty"`
	// P is the permutation test's p-value; Q the E-Divisive statistic (seconds).
	P float64 `json:"p"`
	Q float64 `json:"q"`
	// Direction is "slower" (ratio above 1) or "faster".
	Direction string `json:"direction"`
}

// Change returns the relative change Ratio − 1.
func (c ChangePoint) Change() float64 { return c.Ratio - 1 }

// ReleaseChanged reports whether the runs on the two sides of the change ran different DuckDB
// releases.
func (c ChangePoint) ReleaseChanged() bool {
	return c.BeforeDuckDB != "" && c.DuckDB != "" && c.BeforeDuckDB != c.DuckDB
}

// ReleaseText names the change of DuckDB release across the change point ("DuckDB 1.5.6 →
// 2.0.0"), or "" when the release did not change.
func (c ChangePoint) ReleaseText() string {
	if !c.ReleaseChanged() {
		return ""
	}
	return "DuckDB " + c.BeforeDuckDB + " → " + c.DuckDB
}

// WorkloadChange is where a cell's workload identity changed between two runs.
type WorkloadChange struct {
	// Index is the index in Points of the first run with the new identity.
	Index int `json:"index"`
	// BeforeRun and AfterRun are the runs on each side; Commit is the first run's commit.
	BeforeRun string    `json:"before_run"`
	AfterRun  string    `json:"after_run"`
	Time      time.Time `json:"time"`
	Commit    string    `json:"commit"`
	// From and To are the identities.
	From string `json:"from"`
	To   string `json:"to"`
}

// Directions of a change point.
const (
	Slower = "slower"
	Faster = "faster"
)

// Analyze computes the trend of data's runs: for every selected cell, the series of per-run
// medians with their intervals, split where the cell's workload identity changes, change
// points within each part (E-Divisive on the run medians, permutation test, minimum change),
// and a verdict on the newest point. Bad options or a selection that matches no cell are bad
// input (exit code 2).
func Analyze(data *Data, o Options) (*Trend, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	cells, err := selectCells(data.Runs, o)
	if err != nil {
		return nil, err
	}
	t := &Trend{
		SchemaVersion: SchemaVersion, Metric: o.Metric, Runs: len(data.Runs), Notes: slices.Clone(data.Notes),
		Settings: Settings{
			Method: "E-Divisive with means (Matteson & James 2014, α = 1) on run medians, permutation test within segments",
			Alpha:  o.Alpha, MinChange: o.MinChange, Permutations: o.Permutations, Seed: o.Seed,
			MinRuns: o.MinRuns, Window: o.Window, Confidence: o.Confidence, Resamples: o.Resamples,
		},
		Series: make([]*Series, len(cells)),
	}
	if len(data.Runs) > 0 {
		t.First, t.Last = data.Runs[0].Time, data.Runs[len(data.Runs)-1].Time
	}
	// Series are independent: analyse them on every core. Each has its own generator, so the
	// result does not depend on the schedule.
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(runtime.GOMAXPROCS(0), max(1, len(cells))) {
		crash.GoGroup(&wg, func() {
			for i := range next {
				t.Series[i] = analyzeCell(data.Runs, cells[i], o)
			}
		})
	}
	for i := range cells {
		next <- i
	}
	close(next)
	wg.Wait()
	// A cell without a single ok trial in any run (one that must fail, such as a lock-conflict
	// reproduction) has no timings to follow.
	var untimed []string
	t.Series = slices.DeleteFunc(t.Series, func(s *Series) bool {
		if len(s.Points) == 0 {
			untimed = append(untimed, s.Cell)
			return true
		}
		return false
	})
	if len(untimed) > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("%d %s without an ok trial in any run (no timings to follow): %s",
			len(untimed), plural(len(untimed), "cell", "cells"), strings.Join(untimed, ", ")))
	}
	keys := make([]string, len(t.Series))
	for i, s := range t.Series {
		keys[i] = s.Cell
	}
	labels, constant := scenarios.Labels(keys)
	t.Constant = constant
	var vs []verdict.Verdict
	for _, s := range t.Series {
		s.Label = labels[s.Cell]
		vs = append(vs, s.Verdict)
	}
	t.Verdict = verdict.Combine(vs...)
	if len(t.Series) == 0 {
		t.Verdict = verdict.Unknown
	}
	return t, nil
}

// selectCells returns the sorted cell keys of the runs that --cell and --filter select.
func selectCells(runs []*MergedRun, o Options) ([]string, error) {
	all := map[string]bool{}
	for _, r := range runs {
		for c := range r.Cells {
			all[c] = true
		}
	}
	keys := slices.Sorted(maps.Keys(all))
	if len(o.Cells) > 0 {
		var picked []string
		for _, c := range o.Cells {
			if !all[c] {
				return nil, exitcode.Usagef("--cell %q: no run has this cell%s", c, cellHint(keys))
			}
			picked = append(picked, c)
		}
		slices.Sort(picked)
		keys = slices.Compact(picked)
	}
	if strings.TrimSpace(o.Filter) != "" {
		sels, err := scenarios.ParseFilter(o.Filter)
		if err != nil {
			return nil, exitcode.WithCode(err, exitcode.Usage)
		}
		var kept []string
		for _, k := range keys {
			params := vocab.ParseCellKey(k)
			for _, s := range sels {
				if scenarios.Selects(s, k, params) {
					kept = append(kept, k)
					break
				}
			}
		}
		if len(kept) == 0 {
			return nil, exitcode.Usagef("--filter %q selects no cell%s", o.Filter, cellHint(keys))
		}
		keys = kept
	}
	return keys, nil
}

func cellHint(keys []string) string {
	if len(keys) == 0 {
		return " (the runs have no trials)"
	}
	const most = 5
	hint := "; cells in the runs: " + strings.Join(keys[:min(most, len(keys))], ", ")
	if len(keys) > most {
		hint += fmt.Sprintf(" and %d more", len(keys)-most)
	}
	return hint
}

// seriesRand returns the generator of one part of one series: seeded from the options' seed,
// the cell, the metric and where the part starts.
func seriesRand(o Options, cell string, start int) *rand.Rand {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00%d", cell, o.Metric, start)
	return rand.New(rand.NewPCG(o.Seed, h.Sum64()))
}

func analyzeCell(runs []*MergedRun, cell string, o Options) *Series {
	s := &Series{Cell: cell, Metric: o.Metric, Points: []Point{}, ChangePoints: []ChangePoint{}, WorkloadChanges: []WorkloadChange{}}
	for _, r := range runs {
		tr := r.Cells[cell]
		if tr == nil {
			continue
		}
		xs := tr.Values(o.Metric)
		if len(xs) == 0 {
			s.Skipped++
			continue
		}
		s.Points = append(s.Points, newPoint(r, cell, tr, xs, o.Confidence))
	}
	// Parts: split where both neighbours have a known, different workload identity. An unknown
	// identity (a run recorded before manifests had one) joins its neighbours.
	starts := []int{0}
	known := ""
	for i, p := range s.Points {
		if p.Workload == "" {
			continue
		}
		if known != "" && p.Workload != known {
			prev := s.Points[i-1]
			s.WorkloadChanges = append(s.WorkloadChanges, WorkloadChange{
				Index: i, BeforeRun: prev.Run, AfterRun: p.Run, Time: p.Time, Commit: p.Commit, From: known, To: p.Workload,
			})
			starts = append(starts, i)
		}
		known = p.Workload
	}
	bounds := append(slices.Clone(starts), len(s.Points))
	for k := 0; k+1 < len(bounds); k++ {
		lo, hi := bounds[k], bounds[k+1]
		s.ChangePoints = append(s.ChangePoints, changePoints(s.Points, lo, hi, cell, o)...)
	}
	judge(s, starts[len(starts)-1], o)
	return s
}

func newPoint(r *MergedRun, cell string, tr *CellTimings, xs []float64, confidence float64) Point {
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	p := Point{
		Run: r.ID, Time: r.Time, Commit: r.Commit, Lockbench: r.Lockbench, Workload: r.Workload[cell],
		DuckDB: strings.Join(tr.Releases(), "+"),
		Median: stats.Median(sorted), N: len(xs), Failed: tr.Measured - len(xs), values: xs,
	}
	if len(r.IDs) > 1 {
		p.Runs = slices.Clone(r.IDs)
	}
	if ci := stats.MedianCI(sorted, confidence); ci != nil {
		lo, hi := ci.Lo, ci.Hi
		p.Lo, p.Hi = &lo, &hi
	}
	return p
}

// changePoints finds the change points of points[lo:hi]: E-Divisive on the run medians, then,
// while some change is smaller than MinChange, the smallest is dropped and its neighbours'
// medians recomputed; the survivors get a bootstrap interval of their ratio.
func changePoints(points []Point, lo, hi int, cell string, o Options) []ChangePoint {
	if hi-lo < 2*minSide {
		return nil
	}
	medians := make([]float64, hi-lo)
	for i := range medians {
		medians[i] = points[lo+i].Median
	}
	splits := EDivisive(medians, o.Alpha, o.Permutations, seriesRand(o, cell, lo))
	type found struct {
		at      int // index in points
		p, q    float64
		before  []float64
		after   []float64
		bm, am  float64
		changed float64
	}
	cps := make([]found, len(splits))
	for i, sp := range splits {
		cps[i] = found{at: lo + sp.Index, p: sp.P, q: sp.Q}
	}
	pool := func(from, to int) []float64 {
		var xs []float64
		for _, p := range points[from:to] {
			xs = append(xs, p.values...)
		}
		return xs
	}
	measure := func() {
		for i := range cps {
			prev, next := lo, hi
			if i > 0 {
				prev = cps[i-1].at
			}
			if i+1 < len(cps) {
				next = cps[i+1].at
			}
			at := cps[i].at
			cps[i].before = pool(max(prev, at-o.Window), at)
			cps[i].after = pool(at, min(next, at+o.Window))
			cps[i].bm, cps[i].am = stats.Median(cps[i].before), stats.Median(cps[i].after)
			cps[i].changed = math.Inf(1)
			if cps[i].bm > 0 {
				cps[i].changed = math.Abs(cps[i].am/cps[i].bm - 1)
			}
		}
	}
	measure()
	for {
		weakest := -1
		for i, c := range cps {
			if c.changed < o.MinChange && (weakest < 0 || c.changed < cps[weakest].changed) {
				weakest = i
			}
		}
		if weakest < 0 {
			break
		}
		cps = slices.Delete(cps, weakest, weakest+1)
		measure()
	}
	out := make([]ChangePoint, 0, len(cps))
	for _, c := range cps {
		b, a := points[c.at-1], points[c.at]
		cp := ChangePoint{
			Index: c.at, BeforeRun: b.Run, AfterRun: a.Run, BeforeTime: b.Time, AfterTime: a.Time,
			BeforeCommit: b.Commit, Commit: a.Commit, BeforeDuckDB: b.DuckDB, DuckDB: a.DuckDB, BeforeMedian: c.bm, AfterMedian: c.am,
			BeforeN: len(c.before), AfterN: len(c.after), P: c.p, Q: c.q, Direction: Faster,
		}
		if ratio, ci, ok := stats.BootstrapRatio(c.before, c.after, o.Resamples, o.Confidence); ok {
			cp.Ratio = ratio
			if ci != nil {
				l, h := ci.Lo, ci.Hi
				cp.RatioLo, cp.RatioHi = &l, &h
			}
		} else if c.bm > 0 {
			cp.Ratio = c.am / c.bm
		}
		if cp.Ratio > 1 {
			cp.Direction = Slower
		}
		out = append(out, cp)
	}
	return out
}

// judge sets the series' verdict from the part that starts at start (the points since the
// workload last changed).
func judge(s *Series, start int, o Options) {
	n := len(s.Points) - start
	since := ""
	if start > 0 {
		since = fmt.Sprintf(" since the workload changed at run %s", s.Points[start].Run)
	}
	if n < o.MinRuns {
		s.Verdict = verdict.Unknown
		s.Reason = fmt.Sprintf("%d %s%s: too few to decide (%d needed)", n, plural(n, "run", "runs"), since, o.MinRuns)
		return
	}
	var newest *ChangePoint
	for i := range s.ChangePoints {
		if s.ChangePoints[i].Index >= start {
			newest = &s.ChangePoints[i]
		}
	}
	switch {
	case newest == nil:
		s.Verdict = verdict.Pass
		s.Reason = fmt.Sprintf("no change point in %d runs%s", n, since)
	case newest.Direction == Slower:
		s.Verdict = verdict.Fail
		s.Reason = fmt.Sprintf("regression: %s slower from commit %s (run %s%s), not undone since",
			signedPct(newest.Change()), shortCommit(newest.Commit), newest.AfterRun, releaseSuffix(*newest))
	default:
		s.Verdict = verdict.Pass
		s.Reason = fmt.Sprintf("the newest change is %s faster, from commit %s (run %s%s)",
			signedPct(newest.Change()), shortCommit(newest.Commit), newest.AfterRun, releaseSuffix(*newest))
	}
}

// releaseSuffix is ", DuckDB 1.5.6 → 2.0.0" for a change point across releases, else "".
func releaseSuffix(c ChangePoint) string {
	if t := c.ReleaseText(); t != "" {
		return ", " + t
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// shortCommit abbreviates a commit to 12 characters (keeping a "-dirty" suffix), "-" when
// unknown.
func shortCommit(c string) string {
	if c == "" {
		return "-"
	}
	base, dirty := strings.CutSuffix(c, "-dirty")
	if len(base) > 12 {
		base = base[:12]
	}
	if dirty {
		base += "-dirty"
	}
	return base
}

func signedPct(v float64) string { return fmt.Sprintf("%+.1f%%", 100*v) }
