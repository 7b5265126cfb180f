-- config: materialized=table scope=year duplicate=true
-- The people who start the year: the baseline workforce in the first year, afterwards the
-- previous simulated year's active snapshot, older and longer in service by the years between
-- (added once, here only), at their full-year-equivalent compensation.
CREATE OR REPLACE TABLE int_prev_year_active AS
{{- if .IsStartYear}}
SELECT
    employee_id, employee_ssn, birth_date, hire_date, current_compensation,
    current_age, current_tenure, level_id, is_enrolled, enrollment_date, deferral_rate
FROM {{ref "int_baseline_workforce"}}
{{- else}}
SELECT
    employee_id,
    employee_ssn,
    birth_date,
    hire_date,
    full_year_equivalent_compensation AS current_compensation,
    current_age + ({{.Year}} - {{.PrevYear}}) AS current_age,
    current_tenure + ({{.Year}} - {{.PrevYear}}) AS current_tenure,
    level_id,
    is_enrolled,
    enrollment_date,
    deferral_rate
FROM {{prev "fct_workforce_snapshot"}}
WHERE simulation_year = {{.PrevYear}} AND employment_status = 'active'
{{- end}}
