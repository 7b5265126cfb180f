package sim

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/olekukonko/tablewriter"

	"lockbench/trace"
)

// WriteSummary writes what simulate prints after a run that succeeded: the per-year table, the
// run's settings and timing (wall, sql, overhead by span kind, fingerprint), and its
// parallelism bound with the models on the critical path.
func WriteSummary(w io.Writer, res *Result) {
	writeYears(w, res.PerYear)
	fmt.Fprintln(w)
	writeTiming(w, res)
	writeParallelism(w, res.Parallelism, res.Spans)
}

// writeYears writes the per-year table.
func writeYears(w io.Writer, years []YearStats) {
	t := tablewriter.NewTable(w)
	t.Header("Year", "Active start", "Active end", "Hires", "Terms", "NH terms", "Promotions", "Raises", "Growth", "Target", "Total comp")
	for _, y := range years {
		_ = t.Append(
			fmt.Sprint(y.Year), fmt.Sprint(y.ActiveStart), fmt.Sprint(y.ActiveEnd), fmt.Sprint(y.Hires),
			fmt.Sprint(y.Terminations), fmt.Sprint(y.NewHireTerminations), fmt.Sprint(y.Promotions), fmt.Sprint(y.Raises),
			fmt.Sprintf("%+.2f%%", 100*y.Growth), fmt.Sprintf("%.2f%%", 100*y.TargetGrowth), fmt.Sprintf("$%.1fM", y.TotalCompensation/1e6),
		)
	}
	_ = t.Render()
}

// writeTiming writes the run's settings, its wall, sql and overhead (by span kind) and its
// data's fingerprint.
func writeTiming(w io.Writer, res *Result) {
	cfg, s, fp := res.Config, res.Summary, res.Fingerprint
	coord := "on"
	if !cfg.Coordination {
		coord = "off"
	}
	census := ""
	if c := res.Census; c != nil {
		census = " (census " + c.Path
		if c.Dropped > 0 {
			census += fmt.Sprintf(": %d records, %d duplicates dropped", c.Records, c.Dropped)
		}
		census += ")"
	}
	employees := res.Employees
	if employees == 0 {
		employees = cfg.Employees // a Result not made by Run
	}
	fmt.Fprintf(w, "mode %s, threads %d, coordination %s, %d employees%s, seed %d\n", cfg.Mode, cfg.Threads, coord, employees, census, cfg.Seed)
	fmt.Fprintf(w, "wall      %8.3f s\nsql       %8.3f s\noverhead  %8.3f s (%.0f%% of wall)\n", s.Wall, s.SQL, s.Overhead, pct(s.Overhead, s.Wall))
	kinds := make([]string, 0, len(s.ByKind))
	for k := range s.ByKind {
		kinds = append(kinds, string(k))
	}
	sort.Slice(kinds, func(i, j int) bool { return s.ByKind[trace.Kind(kinds[i])] > s.ByKind[trace.Kind(kinds[j])] })
	for _, k := range kinds {
		fmt.Fprintf(w, "  %-10s %8.3f s\n", k, s.ByKind[trace.Kind(k)])
	}
	fmt.Fprintf(w, "fingerprint %s\n", fp)
}

// writeParallelism writes the run's parallelism bound and the models on its critical path.
func writeParallelism(w io.Writer, p trace.Parallelism, spans []trace.Span) {
	if p.CriticalPathS <= 0 {
		return
	}
	fmt.Fprintf(w, "\nparallelism: work %.3f s, critical path %.3f s: running steps at once can gain at most %.2f×", p.WorkS, p.CriticalPathS, p.Ratio)
	if p.Bound < p.Ratio {
		fmt.Fprintf(w, ", %.2f× with %d connection(s)", p.Bound, p.Width)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  this run: %.2f× (%.0f%% of the bound)\n", p.Achieved, 100*p.Achieved/p.Bound)
	// The critical path's time by model: the models worth speeding up.
	byModel := map[string]float64{}
	onPath := map[string]bool{}
	for _, id := range p.Path {
		onPath[id] = true
	}
	for _, s := range spans {
		id := s.Name
		if s.Year != 0 {
			id = fmt.Sprintf("%s@%d", s.Name, s.Year)
		}
		switch s.Kind {
		case trace.Model, trace.Recompute, trace.Validate, trace.Checkpoint:
			if onPath[id] {
				byModel[s.Name] += s.Duration()
			}
		}
	}
	names := make([]string, 0, len(byModel))
	for n := range byModel {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return byModel[names[i]] > byModel[names[j]] })
	var parts []string
	for i, n := range names {
		if i == 6 {
			parts = append(parts, fmt.Sprintf("%d more", len(names)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.3f s", n, byModel[n]))
	}
	fmt.Fprintf(w, "  critical path (%d steps) by model: %s\n", len(p.Path), strings.Join(parts, ", "))
}

// WriteSlowestOperators writes the top slowest operators of the DuckDB query profiles in dir
// (written by a run with Config.ProfileDir).
func WriteSlowestOperators(w io.Writer, dir string, top int) error {
	ops, err := ReadProfiles(dir)
	if err != nil {
		return err
	}
	total := 0.0
	for _, o := range ops {
		total += o.Seconds
	}
	fmt.Fprintf(w, "\nslowest operators (DuckDB's profiles in %s; %.3f s in all operators):\n", dir, total)
	for i, o := range ops {
		if i == top {
			break
		}
		fmt.Fprintf(w, "  %7.3f s  %-28s %-22s %10d rows  %s\n", o.Seconds, o.Step, o.Operator, o.Rows, o.Detail)
	}
	return nil
}

// Optimisations says which optimisations the configuration has on and lists the workload's
// DuckDB settings, in one line (simulate --verbose prints it).
func (c Config) Optimisations() string {
	coord := "coordination on (set-up built once, one database handle, year N validated after year N, predicate delete+insert, a year-state row instead of table copies)"
	if !c.Coordination {
		coord = "coordination off (the legacy costs: set-up rebuilt every year, a handle per step, full-history validation, delete-by-join, table copies)"
	}
	keys := make([]string, 0, len(Settings))
	for k := range Settings {
		keys = append(keys, k+"="+Settings[k])
	}
	sort.Strings(keys)
	return fmt.Sprintf("optimisations: %s; DuckDB settings: %s", coord, strings.Join(keys, ", "))
}

// pct is a as a percentage of b (0 when b is 0).
func pct(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return 100 * a / b
}
