package harness

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"time"

	"lockbench/harness/competitor"
	"lockbench/history"
	"lockbench/sim"
	"lockbench/trace"
	"lockbench/vocab"
)

// yearsFinished returns, for every simulation year of the spans, the offset in seconds at which
// its essential work ended (the end of its last model span).
func yearsFinished(spans []trace.Span) map[int]float64 {
	out := map[int]float64{}
	for _, s := range spans {
		if s.Kind == trace.Model && s.Year != 0 && s.Error == "" && s.End > out[s.Year] {
			out[s.Year] = s.End
		}
	}
	return out
}

// newestFinished returns the newest year finished at offset at, or none.
func newestFinished(finished map[int]float64, at float64, none int) int {
	newest := none
	for y, end := range finished {
		if end <= at && y > newest {
			newest = y
		}
	}
	return newest
}

// summarizeCooperation turns the attempts of a trial's cooperating processes into the figures of
// history.Cooperation. Only attempts that began while the workload ran, between origin and
// origin+wall, count; finished gives the offset at which each year's work ended, firstYear the
// first simulated year.
func summarizeCooperation(strategy vocab.Strategy, kind vocab.CompetitorKind, processes int, attempts []competitor.Attempt, origin time.Time, wall float64, finished map[int]float64, firstYear int) *history.Cooperation {
	p := &history.Participants{Processes: processes, WaitMS: []float64{}}
	none := firstYear - 1
	sorted := slices.Clone(attempts)
	slices.SortStableFunc(sorted, func(a, b competitor.Attempt) int { return a.Start.Compare(b.Start) })
	for _, a := range sorted {
		if a.OK && a.Role == competitor.RoleWriter {
			p.RowsWritten++
		}
		at := a.Start.Sub(origin).Seconds()
		if at < 0 || at > wall {
			continue
		}
		p.Attempts++
		p.WaitMS = append(p.WaitMS, math.Round(a.WaitS*1e4)/10)
		switch {
		case a.OK:
			p.Successes++
		case a.Outcome == vocab.LockConflict:
			p.LockConflicts++
		default:
			p.OtherErrors++
		}
		if !a.OK && p.FirstError == "" {
			p.FirstError = a.Error
		}
		if !a.OK || a.Role != competitor.RoleViewer {
			continue
		}
		seen := a.Year
		if seen == 0 {
			seen = none
		}
		newest := newestFinished(finished, at, none)
		if seen > newest {
			p.Partial++
			p.StalenessYears = append(p.StalenessYears, 0)
			continue
		}
		p.StalenessYears = append(p.StalenessYears, newest-seen)
	}
	c := &history.Cooperation{Strategy: strategy}
	if kind == vocab.Viewers {
		c.Viewers = p
	} else {
		c.Writer = p
	}
	return c
}

// countKept counts the second writer's rows in the database at path after the trial (0 when its
// table is not there), opened read-only like every data check.
func countKept(ctx context.Context, path string) (int, error) {
	db, err := sql.Open("duckdb", sim.DSN(path, 0, true))
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var exists int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables()
		WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?`, competitor.CoopTable).Scan(&exists); err != nil {
		return 0, err
	}
	if exists == 0 {
		return 0, nil
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+competitor.CoopTable).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", competitor.CoopTable, err)
	}
	return n, nil
}

// cooperationOf sums up what the trial's stopped cooperating competitor measured during the
// workload (from origin, for wall seconds) and counts the second writer's rows left in db. A
// failure to count is noted, not fatal.
func cooperationOf(ctx context.Context, spec TrialSpec, comp *competitor.Running, origin time.Time, wall float64, spans []trace.Span, db string, note *string) *history.Cooperation {
	procs := 0
	for _, e := range comp.Events() {
		if e.Action == competitor.ActionCooperates {
			procs++
		}
	}
	first := 0
	if len(spec.Years) > 0 {
		first = spec.Years[0]
	}
	c := summarizeCooperation(strategyName(spec.Strategy), spec.Competitor.Kind, procs, comp.Attempts(), origin, wall, yearsFinished(spans), first)
	if c.Writer != nil {
		kept, err := countKept(ctx, db)
		if err != nil && *note == "" {
			*note = "counting the second writer's rows: " + err.Error()
		}
		c.Writer.RowsKept = kept
	}
	return c
}

// strategyName is the strategy as trials record it.
func strategyName(s vocab.Strategy) vocab.Strategy {
	if s == "" {
		return vocab.NoStrategy
	}
	return s
}
