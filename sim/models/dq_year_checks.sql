-- config: materialized=incremental scope=year unique_key=simulation_year,check_name into=dq_results
-- Data-quality checks of the year: headcount continuity, growth against the target, duplicate
-- ids, compensation bounds and event volumes, one row per check.
WITH snap AS (
    SELECT * FROM {{ref "fct_workforce_snapshot"}} WHERE simulation_year = {{.Year}}
),
ev AS (
    SELECT * FROM {{ref "fct_yearly_events"}} WHERE simulation_year = {{.Year}}
),
start_count AS (
{{- if .IsStartYear}}
    SELECT COUNT(*) AS n FROM {{ref "int_baseline_workforce"}}
{{- else}}
    SELECT COUNT(*) AS n FROM {{prev "fct_workforce_snapshot"}} WHERE simulation_year = {{.PrevYear}} AND employment_status = 'active'
{{- end}}
),
counts AS (
    SELECT
        (SELECT n FROM start_count) AS active_start,
        (SELECT COUNT(*) FROM snap WHERE employment_status = 'active') AS active_end,
        COUNT(*) FILTER (WHERE event_type = 'hire') AS hires,
        COUNT(*) FILTER (WHERE event_category = 'experienced_termination') AS terminations,
        COUNT(*) FILTER (WHERE event_category = 'new_hire_termination') AS nh_terminations,
        COUNT(*) FILTER (WHERE event_type = 'promotion') AS promotions,
        COUNT(*) FILTER (WHERE event_type = 'raise') AS raises
    FROM ev
)
SELECT {{.Year}} AS simulation_year, 'continuity' AS check_name,
       CAST(active_end AS DOUBLE) AS observed,
       CAST(active_start - terminations + hires - nh_terminations AS DOUBLE) AS expected,
       active_end = active_start - terminations + hires - nh_terminations AS passed,
       'active(N-1) - terminations + hires - new-hire terminations = active(N)' AS details
FROM counts
UNION ALL
SELECT {{.Year}}, 'growth', active_end / active_start - 1, c.target_growth_rate,
       abs(active_end / active_start - 1 - c.target_growth_rate) <= 0.02, 'growth within 2 points of target'
FROM counts CROSS JOIN {{ref "seed_simulation_config"}} c
UNION ALL
SELECT {{.Year}}, 'duplicate_ids', CAST(COUNT(*) - COUNT(DISTINCT employee_id) AS DOUBLE), 0,
       COUNT(*) = COUNT(DISTINCT employee_id), 'one snapshot row per employee'
FROM snap
UNION ALL
SELECT {{.Year}}, 'compensation_bounds', CAST(COUNT(*) FILTER (
           WHERE full_year_equivalent_compensation <= 0 OR full_year_equivalent_compensation > 5000000) AS DOUBLE), 0,
       COUNT(*) FILTER (WHERE full_year_equivalent_compensation <= 0 OR full_year_equivalent_compensation > 5000000) = 0,
       'full-year compensation within (0, 5M]'
FROM snap
UNION ALL
SELECT {{.Year}}, 'event_volume', CAST(hires + terminations + nh_terminations + promotions + raises AS DOUBLE), NULL,
       hires > 0 AND raises > 0, 'hires and raises present'
FROM counts
