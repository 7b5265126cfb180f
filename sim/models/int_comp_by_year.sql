-- config: materialized=table scope=year
-- Start-of-year state of every employee with age and tenure bands, the job level's band and the
-- employee's position inside it.
CREATE OR REPLACE TABLE int_comp_by_year AS
SELECT
    p.employee_id,
    p.employee_ssn,
    p.birth_date,
    p.hire_date,
    p.current_compensation,
    p.current_age,
    p.current_tenure,
    p.level_id,
    {{age_band "p.current_age"}} AS age_band,
    {{tenure_band "p.current_tenure"}} AS tenure_band,
    l.min_compensation AS band_min,
    l.max_compensation AS band_max,
    PERCENT_RANK() OVER (PARTITION BY p.level_id ORDER BY p.current_compensation, p.employee_id) AS band_position,
    p.is_enrolled,
    p.enrollment_date,
    p.deferral_rate,
    {{.Year}} AS simulation_year
FROM {{ref "int_prev_year_active"}} p
JOIN {{ref "stg_job_levels"}} l USING (level_id)
