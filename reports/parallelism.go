package reports

import (
	"slices"
	"strconv"
	"strings"

	"lockbench/stats"
	"lockbench/trace"
	"lockbench/verdict"
	"lockbench/vocab"
)

// ParallelismRow compares a cell that runs steps at once (threaded, parallel-processes) with its
// sequential sibling (the cell with the same values on every other axis but threads) and with
// the most running steps at once can give: the parallelism bound, work / critical path of the
// steps' measured times, capped by the cell's connections or workers.
type ParallelismRow struct {
	Cell string `json:"cell"`
	// Sequential is the sibling's key; empty when the report has none (then there is no speed-up).
	Sequential string `json:"sequential,omitempty"`
	// Speedup is median(sequential wall) / median(cell wall), with its bootstrap interval.
	Speedup   float64         `json:"speedup,omitempty"`
	SpeedupCI *stats.Interval `json:"speedup_ci,omitempty"`
	// WorkS and CriticalPathS are medians over trials, from the sequential sibling's trials when
	// there is one (their step times are not inflated by steps competing for the cores), else
	// from the cell's own.
	WorkS         float64 `json:"work_s"`
	CriticalPathS float64 `json:"critical_path_s"`
	// Bound is min(median work / critical path ratio, Width).
	Bound float64 `json:"bound"`
	Width int     `json:"width"`
	// Fraction is Speedup / Bound: how much of what parallelism could give the cell achieved.
	Fraction float64 `json:"fraction,omitempty"`
	// Path lists the models on the critical path, heaviest first, with their share of it.
	Path []string `json:"critical_path,omitempty"`
	Note string   `json:"note,omitempty"`
}

// parallelModes are the modes that run steps at once.
var parallelModes = []string{string(vocab.Threaded), string(vocab.ParallelProcesses)}

// buildParallelism builds a row for every cell in a parallel mode with ok trials that recorded
// their parallelism.
func buildParallelism(cells []*Cell, s verdict.Settings) []ParallelismRow {
	var out []ParallelismRow
	for _, c := range cells {
		if !slices.Contains(parallelModes, c.Params["mode"]) || len(c.parallelism) == 0 {
			continue
		}
		row := ParallelismRow{Cell: c.Key}
		row.Width, _ = strconv.Atoi(c.Params["threads"])
		source := c.parallelism
		if seq := sequentialSibling(cells, c); seq != nil {
			row.Sequential = seq.Key
			base, cand := seq.values(vocab.Wall), c.values(vocab.Wall)
			if ratio, ci, ok := stats.BootstrapRatio(base, cand, s.Resamples, s.Confidence); ok && ratio > 0 {
				row.Speedup = 1 / ratio
				if ci != nil {
					row.SpeedupCI = &stats.Interval{Lo: 1 / ci.Hi, Hi: 1 / ci.Lo, Level: ci.Level}
				}
			}
			if len(seq.parallelism) > 0 {
				source = seq.parallelism
			}
		} else {
			row.Note = "no sequential cell with the same other axes in this report: no speed-up"
		}
		var work, cp, ratio []float64
		for _, p := range source {
			work = append(work, p.WorkS)
			cp = append(cp, p.CriticalPathS)
			ratio = append(ratio, p.WorkS/p.CriticalPathS)
		}
		row.WorkS, row.CriticalPathS = stats.Median(work), stats.Median(cp)
		row.Bound = stats.Median(ratio)
		if row.Width > 0 {
			row.Bound = min(row.Bound, float64(row.Width))
		}
		if row.Speedup > 0 && row.Bound > 0 {
			row.Fraction = row.Speedup / row.Bound
		}
		row.Path = pathModels(source)
		out = append(out, row)
	}
	return out
}

// sequentialSibling returns the sequential cell whose values equal c's on every axis but mode and
// threads; failing that, also ignoring the strategy and lock-retry axes (a strategy sets the mode
// and the retry policy of the same work, so the matrix's sequential reference is its sibling).
func sequentialSibling(cells []*Cell, c *Cell) *Cell {
	for _, ignore := range [][]string{{"mode", "threads"}, {"mode", "threads", "strategy", "lock-retry"}} {
		for _, s := range cells {
			if s.Params["mode"] == string(vocab.Sequential) && sameExcept(s.Params, c.Params, ignore) {
				return s
			}
		}
	}
	return nil
}

// sameExcept reports whether a and b agree on every axis but those in ignore (an axis missing
// from one side counts as its default, "none" or "off", being absent).
func sameExcept(a, b map[string]string, ignore []string) bool {
	for _, m := range []map[string]string{a, b} {
		for k := range m {
			if slices.Contains(ignore, k) {
				continue
			}
			if a[k] != b[k] {
				return false
			}
		}
	}
	return true
}

// pathModels counts how often each model lies on the trials' critical paths (by step) and lists
// the most frequent ones, most frequent first.
func pathModels(ps []trace.Parallelism) []string {
	count := map[string]int{}
	total := 0
	for _, p := range ps {
		for _, id := range p.Path {
			name, _, _ := strings.Cut(id, "@")
			count[name]++
			total++
		}
	}
	names := make([]string, 0, len(count))
	for n := range count {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if count[a] != count[b] {
			return count[b] - count[a]
		}
		return strings.Compare(a, b)
	})
	if len(names) > 6 {
		names = names[:6]
	}
	return names
}
