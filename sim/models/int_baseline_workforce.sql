-- config: materialized=table scope=setup
-- The active workforce at the end of the census year: level from the compensation band that
-- contains each salary (a range join, falling back to level 1), age, tenure and their bands.
CREATE OR REPLACE TABLE int_baseline_workforce AS
WITH active AS (
    SELECT * FROM {{ref "stg_census"}} WHERE termination_date IS NULL
),
levels AS (
    SELECT a.employee_id, COALESCE(MIN(l.level_id), 1) AS level_id
    FROM active a
    LEFT JOIN {{ref "stg_job_levels"}} l
        ON a.annual_compensation >= l.min_compensation AND a.annual_compensation < l.max_compensation
    GROUP BY a.employee_id
)
SELECT
    a.employee_id,
    a.employee_ssn,
    a.birth_date,
    a.hire_date,
    a.annual_compensation AS current_compensation,
    date_diff('year', a.birth_date, DATE '{{.CensusYear}}-12-31') AS current_age,
    date_diff('year', a.hire_date, DATE '{{.CensusYear}}-12-31') AS current_tenure,
    lv.level_id,
    a.deferral_rate > 0 AS is_enrolled,
    CASE WHEN a.deferral_rate > 0 THEN a.eligibility_date END AS enrollment_date,
    a.deferral_rate
FROM active a
JOIN levels lv USING (employee_id)
