-- config: materialized=table scope=year
-- New hires: each level's quota expanded into people (UNNEST of a range), numbered across the
-- year, with an age drawn from the new-hire age distribution and the level's average salary
-- times the effective HIRE new_hire_salary_adjustment lever (the configured default where a
-- level has none), jittered.
CREATE OR REPLACE TABLE int_hiring_events AS
WITH slots AS (
    SELECT level_id, avg_compensation, UNNEST(range(1, hires_needed + 1)) AS slot
    FROM {{ref "int_workforce_needs_by_level"}}
    WHERE hires_needed > 0
),
numbered AS (
    SELECT s.*, ROW_NUMBER() OVER (ORDER BY level_id, slot) AS seq
    FROM slots s
),
adjust AS (
    SELECT level_id, parameter_value AS factor
    FROM {{ref "int_effective_parameters"}}
    WHERE year = {{.Year}} AND event_type = 'HIRE' AND parameter_name = 'new_hire_salary_adjustment'
),
people AS (
    SELECT
        'NH_{{.Year}}_' || lpad(CAST(seq AS VARCHAR), 6, '0') AS employee_id,
        'SSN-NH{{.Year}}' || lpad(CAST(seq AS VARCHAR), 6, '0') AS employee_ssn,
        level_id,
        seq,
        avg_compensation
    FROM numbered
)
SELECT
    p.employee_id,
    p.employee_ssn,
    'hire' AS event_type,
    {{.Year}} AS simulation_year,
    DATE '{{.Year}}-01-01' + CAST({{hashkey "p.employee_id" "hire_day"}} % {{.YearDays}} AS INTEGER) AS effective_date,
    p.level_id,
    CAST(p.avg_compensation * COALESCE(a.factor, cfg.new_hire_salary_adjustment_default) * (0.9 + (p.seq % 10) * 0.02) AS DECIMAL(18, 2)) AS compensation_amount,
    g.age AS employee_age,
    0 AS employee_tenure,
    p.seq
FROM (SELECT *, {{draw "employee_id" "hire_age"}} AS age_draw FROM people) p
LEFT JOIN adjust a USING (level_id)
CROSS JOIN {{ref "stg_simulation_config"}} cfg
-- The age whose cumulative shares [cum_lo, cum_hi) contain the draw.
JOIN {{ref "stg_new_hire_age"}} g ON p.age_draw >= g.cum_lo AND p.age_draw < g.cum_hi
