package reports

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"lockbench/history"
	"lockbench/scenarios"
	"lockbench/stats"
	"lockbench/trace"
	"lockbench/verdict"
	"lockbench/vocab"
)

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
	Outcome   vocab.Kind         `json:"outcome"`
	Sub       vocab.Sub          `json:"sub,omitempty"`
	Expected  string             `json:"expected"`
	Wall      float64            `json:"wall"`
	SQL       float64            `json:"sql"`
	Overhead  float64            `json:"overhead"`
	ByKind    map[string]float64 `json:"overhead_by_kind,omitempty"`
	HolderPID int                `json:"holder_pid,omitempty"`
	// HolderRole is who the harness found the holder to be: competitor, worker or other.
	HolderRole vocab.Role `json:"holder_role,omitempty"`
	Message    string     `json:"message,omitempty"`
}

// Cell is the statistics of one cell, pooled over every run.
type Cell struct {
	// Key is the cell key (mode=threaded/threads=4/...).
	Key string `json:"key"`
	// Label is the key reduced to the axes that vary between the report's cells.
	Label string `json:"label"`
	// Params are the cell's axis values.
	Params map[string]string `json:"params"`
	// DuckDB is the DuckDB release the cell's workload ran: the one its trials recorded (the
	// most frequent, should they differ), else the one its duckdb axis names, else the release
	// of the run's manifest versions.
	DuckDB string `json:"duckdb,omitempty"`
	// Competitors are the distinct releases the cell's competitor processes ran (as recorded,
	// else the release the competitor's axis value names, else the workload's).
	Competitors []history.CompetitorRelease `json:"competitor_releases,omitempty"`
	// Trials counts non-warmup trials, Warmups warmups, OK the non-warmup trials that were ok.
	Trials  int `json:"trials"`
	Warmups int `json:"warmups"`
	OK      int `json:"ok"`
	// Outcomes counts non-warmup trials by outcome kind.
	Outcomes []verdict.OutcomeCount `json:"outcomes"`
	// Expected is the outcome the cell's trials expect (ok unless they say otherwise).
	Expected string `json:"expected"`
	// Wall, Overhead and SQL summarize the ok non-warmup trials; nil when there are none.
	Wall     *stats.Summary `json:"wall,omitempty"`
	Overhead *stats.Summary `json:"overhead,omitempty"`
	SQL      *stats.Summary `json:"sql,omitempty"`
	// OverheadByKind is the median overhead per span kind.
	OverheadByKind []KindMedian `json:"overhead_by_kind,omitempty"`
	// Warnings are the cell's warnings.
	Warnings []Warning `json:"warnings,omitempty"`
	// Values are every trial of the cell, warmups included, in run and trial order.
	Values []TrialValues `json:"values"`

	samples     map[vocab.Metric][]stats.Observation // ok non-warmup values per metric
	releases    map[string]int                       // trials per release of the workload
	parallelism []trace.Parallelism                  // the parallelism bounds of the ok non-warmup trials
	timeline    *history.Trial                       // the trial shown in the HTML timeline
}

// Metric returns the summary of metric, or nil.
func (c *Cell) Metric(metric vocab.Metric) *stats.Summary {
	switch metric {
	case vocab.Wall:
		return c.Wall
	case vocab.Overhead:
		return c.Overhead
	case vocab.SQL:
		return c.SQL
	}
	return nil
}

// values returns the values of the cell's ok trials of metric.
func (c *Cell) values(metric vocab.Metric) []float64 { return stats.Values(c.samples[metric]) }

// kindOrder lists overhead span kinds in the order reports show them.
var kindOrder = []trace.Kind{trace.LockWait, trace.Spawn, trace.Open, trace.Close, trace.Recompute,
	trace.Validate, trace.Checkpoint, trace.Idle}

func trialParams(t history.Trial) map[string]string {
	if len(t.Params) > 0 {
		return maps.Clone(t.Params)
	}
	return vocab.ParseCellKey(t.Cell)
}

func expectedOf(t history.Trial) string {
	return cmp.Or(t.Expected, string(vocab.OK))
}

// buildCells pools the trials of runs (in canonical order) by cell key. Cells come in matrix
// order, then in the order their first trial appears. It returns the cells and the axis=value
// pairs they all share.
func buildCells(runs []history.Run, s verdict.Settings, sequential bool) ([]*Cell, string) {
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
				c = &Cell{Key: t.Cell, Params: trialParams(t), Expected: expectedOf(t), samples: map[vocab.Metric][]stats.Observation{}}
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
			if t.Outcome.Kind != vocab.OK {
				continue
			}
			c.OK++
			okTrials[c] = append(okTrials[c], t)
			if t.Parallelism != nil {
				c.parallelism = append(c.parallelism, *t.Parallelism)
			}
			for _, m := range []struct {
				metric vocab.Metric
				v      float64
			}{{vocab.Wall, t.WallS}, {vocab.Overhead, t.OverheadS}, {vocab.SQL, t.SQLS}} {
				c.samples[m.metric] = append(c.samples[m.metric], stats.Observation{Value: m.v, Run: id, Trial: t.Trial})
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
	assignReleases(cells, runs)
	shown := labelKeys(cells)
	labels, constant := scenarios.Labels(shown)
	for i, c := range cells {
		c.Label = labels[shown[i]]
		counts := map[vocab.Kind]int{}
		for _, v := range c.Values {
			if !v.Warmup {
				counts[v.Outcome]++
			}
		}
		c.Outcomes = verdict.CountOutcomes(counts)
		c.Wall = stats.SummarizeObservations(c.samples[vocab.Wall], s.Confidence)
		c.Overhead = stats.SummarizeObservations(c.samples[vocab.Overhead], s.Confidence)
		c.SQL = stats.SummarizeObservations(c.samples[vocab.SQL], s.Confidence)
		c.OverheadByKind = kindMedians(okTrials[c], kindVals[c])
		c.timeline = pickTimeline(c, runs)
		c.Warnings = cellWarnings(c, s, sequential)
	}
	return cells, constant
}

// verdictCells returns what package verdict needs of the cells.
func verdictCells(cells []*Cell) []verdict.Cell {
	out := make([]verdict.Cell, len(cells))
	for i, c := range cells {
		vc := verdict.Cell{Key: c.Key, Params: c.Params, Samples: map[vocab.Metric][]float64{}, Trials: make([]verdict.Trial, len(c.Values))}
		for m := range c.samples {
			vc.Samples[m] = c.values(m)
		}
		for j, v := range c.Values {
			vc.Trials[j] = verdict.Trial{Run: v.Run, Trial: v.Trial, Warmup: v.Warmup, Outcome: v.Outcome, Sub: v.Sub,
				HolderPID: v.HolderPID, HolderRole: v.HolderRole, Message: v.Message, Expected: v.Expected}
			if v.Outcome == vocab.OK {
				vc.Trials[j].Metrics = map[vocab.Metric]float64{vocab.Wall: v.Wall, vocab.SQL: v.SQL, vocab.Overhead: v.Overhead}
			}
		}
		out[i] = vc
	}
	return out
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
		out = append(out, KindMedian{Kind: k, Median: stats.Median(xs)})
	}
	return out
}

// pickTimeline returns the ok non-warmup trial with spans whose wall time is closest to the
// cell's median (the first such trial on ties); failing that, the first non-warmup trial with
// spans.
func pickTimeline(c *Cell, runs []history.Run) *history.Trial {
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
			if t.Outcome.Kind != vocab.OK || c.Wall == nil {
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

// cellWarnings returns the cell's warnings. A sequential run has no per-side floor of trials
// (its looks decide), so it gets no few-trials warning.
func cellWarnings(c *Cell, s verdict.Settings, sequential bool) []Warning {
	var ws []Warning
	add := func(code, format string, args ...any) {
		ws = append(ws, Warning{Cell: c.Key, Code: code, Message: fmt.Sprintf(format, args...)})
	}
	if failed := c.Trials - c.OK; failed > 0 && c.Expected == string(vocab.OK) {
		add("failed-trials", "%d of %d trials were not ok and are left out of the timing statistics", failed, c.Trials)
	}
	if len(c.releases) > 1 {
		var parts []string
		for _, r := range sortReleases(slices.Collect(maps.Keys(c.releases))) {
			parts = append(parts, fmt.Sprintf("%s (%d)", r, c.releases[r]))
		}
		add("mixed-releases", "the cell's trials ran different DuckDB releases: %s; its figures mix them (compare the runs with lockbench compare)", strings.Join(parts, ", "))
	}
	if c.OK == 0 {
		if c.Trials > 0 && c.Expected == string(vocab.OK) {
			add("no-ok-trials", "no ok trials: no timing statistics")
		}
		return ws
	}
	if c.OK < stats.MinTrialsForCI {
		add("no-interval", "no confidence interval for the medians: need >= %d ok trials at level %.2f, have %d (run %d more)",
			stats.MinTrialsForCI, s.Confidence, c.OK, stats.MinTrialsForCI-c.OK)
	} else if c.OK < s.MinTrials && !sequential {
		add("few-trials", "%d ok trials: targets need >= %d per side", c.OK, s.MinTrials)
	}
	// hyperfine's slow first run: the first timed trial is a high outlier of the wall time.
	if first := firstTimed(c); first != nil {
		for _, o := range c.Wall.Outliers {
			if o.Trial == first.Trial && o.Run == first.Run && o.Side == "high" {
				hint := "consider warmup trials"
				if c.Warmups > 0 {
					hint = "consider more warmup trials"
				}
				add("slow-first-trial", "the first trial took %s, much longer than the median %s; caches may have been cold (%s)",
					secs(o.Value), secs(c.Wall.Median), hint)
			}
		}
	}
	for _, m := range []vocab.Metric{vocab.Wall, vocab.Overhead} {
		sum := c.Metric(m)
		if sum.Bimodal {
			add("bimodal", "%s timings look bimodal (bimodality coefficient %.2f > 0.555 and a clear gap): the cell may mix two behaviours", m, sum.BimodalityCoefficient)
		}
		if len(sum.Outliers) > 0 {
			var ts []string
			for _, o := range sum.Outliers {
				ts = append(ts, fmt.Sprintf("#%d %s (%s)", o.Trial, secs(o.Value), strings.Join(o.Rules, ",")))
			}
			add("outliers", "%s: %d outlier(s), kept: %s", m, len(sum.Outliers), strings.Join(ts, "; "))
		}
	}
	return ws
}

// firstTimed returns the first non-warmup trial recorded for the cell when it was ok (the
// trial a cold cache slows), or nil.
func firstTimed(c *Cell) *stats.Observation {
	if len(c.samples[vocab.Wall]) == 0 {
		return nil
	}
	for _, v := range c.Values {
		if !v.Warmup {
			if v.Outcome != vocab.OK {
				return nil
			}
			return &stats.Observation{Run: v.Run, Trial: v.Trial}
		}
	}
	return nil
}
