-- config: materialized=incremental scope=year unique_key=simulation_year,check_name into=dq_results
-- Data-quality checks of the year, one row per check with the observed and expected values.
-- Every check must pass: the run validates them after the year (and the uncoordinated
-- orchestration re-validates the whole history), failing with the check, the year and both
-- values.
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
        COUNT(*) FILTER (WHERE event_category = 'new_hire_termination') AS nh_terminations
    FROM ev
),
terminated AS (
    SELECT employee_id, effective_date AS termination_date FROM ev WHERE event_type = 'termination'
)
SELECT {{.Year}} AS simulation_year, 'continuity' AS check_name,
       CAST(active_end AS DOUBLE) AS observed,
       CAST(active_start - terminations + hires - nh_terminations AS DOUBLE) AS expected,
       active_end = active_start - terminations + hires - nh_terminations AS passed,
       'active(N-1) - terminations + hires - new-hire terminations = active(N)' AS details
FROM counts
UNION ALL
-- Headcounts are whole people: the plan's four rounded quantities allow 2 people of slack.
SELECT {{.Year}}, 'growth', active_end / active_start - 1, c.target_growth_rate,
       abs(active_end / active_start - 1 - c.target_growth_rate) <= c.growth_tolerance + 2.0 / active_start,
       'headcount growth within ' || round(100 * c.growth_tolerance, 2) || ' points (and 2 people) of the target'
FROM counts CROSS JOIN {{ref "stg_simulation_config"}} c
UNION ALL
SELECT {{.Year}}, 'hires_planned', CAST(hires AS DOUBLE), CAST(n.planned AS DOUBLE), hires = n.planned,
       'hires = the sum of the levels'' hiring quotas'
FROM counts CROSS JOIN (SELECT SUM(hires_needed) AS planned FROM {{ref "int_workforce_needs_by_level"}}) n
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
SELECT {{.Year}}, 'events_after_termination', CAST(COUNT(*) AS DOUBLE), 0, COUNT(*) = 0,
       'no promotion, raise or enrollment dated after the employee''s termination'
FROM ev e JOIN terminated t USING (employee_id)
WHERE e.event_type IN ('promotion', 'raise', 'enrollment', 'enrollment_change') AND e.effective_date > t.termination_date
UNION ALL
-- Salaries only rise during a year, so a full-year employee's prorated pay lies between the
-- start-of-year salary and the year-end salary (each period is rounded to the cent).
SELECT {{.Year}}, 'proration_bounds', CAST(COUNT(*) FILTER (
           WHERE prorated_annual_compensation < current_compensation - 0.05
              OR prorated_annual_compensation > full_year_equivalent_compensation + 0.05) AS DOUBLE), 0,
       COUNT(*) FILTER (WHERE prorated_annual_compensation < current_compensation - 0.05
              OR prorated_annual_compensation > full_year_equivalent_compensation + 0.05) = 0,
       'full-year employees: start salary <= prorated pay <= year-end salary'
FROM snap
WHERE hire_date < DATE '{{.Year}}-01-01' AND termination_date IS NULL
UNION ALL
SELECT {{.Year}}, 'age_convention',
       CAST(COUNT(*) FILTER (WHERE date_diff('year', birth_date, make_date({{.Year}} - 1, 12, 31)) <> current_age) AS DOUBLE), 0,
       COUNT(*) FILTER (WHERE date_diff('year', birth_date, make_date({{.Year}} - 1, 12, 31)) <> current_age) = 0,
       'age = years from the birth year to the end of the previous year, for everyone'
FROM snap
UNION ALL
SELECT {{.Year}}, 'enrolled_deferral', CAST(COUNT(*) FILTER (WHERE is_enrolled AND NOT deferral_rate > 0) AS DOUBLE), 0,
       COUNT(*) FILTER (WHERE is_enrolled AND NOT deferral_rate > 0) = 0,
       'everyone enrolled has a deferral rate'
FROM snap
UNION ALL
SELECT {{.Year}}, 'no_reenrollment', CAST(COUNT(*) AS DOUBLE), 0, COUNT(*) = 0,
       'no enrollment event for someone already enrolled at the start of the year'
FROM ev e JOIN {{ref "int_comp_by_year"}} c USING (employee_id)
WHERE e.event_type = 'enrollment' AND c.is_enrolled
