package sim

import (
	"context"
	"database/sql"
	"fmt"
)

// fingerprintSQL hashes every row of both fact tables (timestamps excluded) and combines the
// hashes with XOR, so the fingerprint does not depend on row order.
const fingerprintSQL = `
SELECT
    (SELECT count(*) FROM fct_yearly_events) AS events,
    (SELECT coalesce(bit_xor(hash(*COLUMNS(* EXCLUDE (created_at)))), 0) FROM fct_yearly_events) AS events_hash,
    (SELECT count(*) FROM fct_workforce_snapshot) AS snapshot,
    (SELECT coalesce(bit_xor(hash(*COLUMNS(* EXCLUDE (snapshot_created_at)))), 0) FROM fct_workforce_snapshot) AS snapshot_hash`

// Fingerprint returns an order-insensitive fingerprint of fct_yearly_events and
// fct_workforce_snapshot, computed in SQL (never by reading the file).
func Fingerprint(ctx context.Context, q execer) (string, error) {
	var events, snapshot int64
	var eh, sh uint64
	if err := q.QueryRowContext(ctx, fingerprintSQL).Scan(&events, &eh, &snapshot, &sh); err != nil {
		return "", fmt.Errorf("fingerprint: %w", err)
	}
	return fmt.Sprintf("ev%d-%016x/ws%d-%016x", events, eh, snapshot, sh), nil
}

const perYearSQL = `
WITH ev AS (
    SELECT simulation_year,
           count(*) FILTER (WHERE event_type = 'hire') AS hires,
           count(*) FILTER (WHERE event_category = 'experienced_termination') AS terminations,
           count(*) FILTER (WHERE event_category = 'new_hire_termination') AS nh_terminations,
           count(*) FILTER (WHERE event_type = 'promotion') AS promotions,
           count(*) FILTER (WHERE event_type = 'raise') AS raises
    FROM fct_yearly_events GROUP BY simulation_year
),
snap AS (
    SELECT simulation_year,
           count(*) FILTER (WHERE employment_status = 'active') AS active_end,
           CAST(sum(prorated_annual_compensation) AS DOUBLE) AS total_comp
    FROM fct_workforce_snapshot GROUP BY simulation_year
)
SELECT s.simulation_year, s.active_end, s.total_comp,
       coalesce(e.hires, 0), coalesce(e.terminations, 0), coalesce(e.nh_terminations, 0),
       coalesce(e.promotions, 0), coalesce(e.raises, 0),
       (SELECT target_growth_rate FROM seed_simulation_config)
FROM snap s LEFT JOIN ev e USING (simulation_year)
ORDER BY s.simulation_year`

// PerYear returns the per-year figures of the simulation in the database.
func PerYear(ctx context.Context, db *sql.DB) ([]YearStats, error) {
	var baseline int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM int_baseline_workforce").Scan(&baseline); err != nil {
		return nil, fmt.Errorf("per-year stats: %w", err)
	}
	rows, err := db.QueryContext(ctx, perYearSQL)
	if err != nil {
		return nil, fmt.Errorf("per-year stats: %w", err)
	}
	defer rows.Close()
	var out []YearStats
	prev := baseline
	for rows.Next() {
		var y YearStats
		if err := rows.Scan(&y.Year, &y.ActiveEnd, &y.TotalCompensation, &y.Hires, &y.Terminations,
			&y.NewHireTerminations, &y.Promotions, &y.Raises, &y.TargetGrowth); err != nil {
			return nil, err
		}
		y.ActiveStart = prev
		if prev > 0 {
			y.Growth = float64(y.ActiveEnd)/float64(prev) - 1
		}
		prev = y.ActiveEnd
		out = append(out, y)
	}
	return out, rows.Err()
}

// Inspect opens the database after a run and returns its fingerprint and per-year figures.
func Inspect(ctx context.Context, path string) (string, []YearStats, error) {
	db, err := sql.Open("duckdb", path)
	if err != nil {
		return "", nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	fp, err := Fingerprint(ctx, db)
	if err != nil {
		return "", nil, err
	}
	py, err := PerYear(ctx, db)
	return fp, py, err
}
