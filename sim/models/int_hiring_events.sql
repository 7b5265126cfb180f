-- config: materialized=table scope=year
-- New hires: each level's quota expanded into people (UNNEST of a range), numbered across the
-- year, with an age drawn from the new-hire age distribution and a jittered level salary.
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
ages AS (
    SELECT age, SUM(weight) OVER (ORDER BY age) - weight AS lo, SUM(weight) OVER (ORDER BY age) AS hi
    FROM {{ref "seed_new_hire_age"}}
),
adjust AS (
    SELECT COALESCE(
        (SELECT max(parameter_value) FROM {{ref "stg_params"}} WHERE parameter_name = 'new_hire_salary_adjustment' AND fiscal_year = {{.Year}}),
        (SELECT new_hire_salary_adjustment_default FROM {{ref "seed_simulation_config"}})
    ) AS factor
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
    DATE '{{.Year}}-01-01' + CAST(hash('{{.Seed}}|' || p.employee_id || '|hire_day') % 365 AS INTEGER) AS effective_date,
    p.level_id,
    CAST(p.avg_compensation * a.factor * (0.9 + (p.seq % 10) * 0.02) AS DECIMAL(18, 2)) AS compensation_amount,
    g.age AS employee_age,
    0 AS employee_tenure,
    p.seq
FROM people p
CROSS JOIN adjust a
JOIN ages g ON {{draw "p.employee_id" "hire_age"}} >= g.lo AND {{draw "p.employee_id" "hire_age"}} < g.hi
