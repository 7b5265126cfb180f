-- config: materialized=table scope=year
-- New-hire terminations: the expected share of this year's hires leave between 30 and 270 days
-- after joining (never past the year's end), chosen by a draw keyed by employee and year (sorted
-- on the id and its draw alone; the chosen ids pick their rows afterwards).
CREATE OR REPLACE TABLE int_new_hire_terminations AS
WITH chosen AS (
    SELECT employee_id
    FROM {{ref "int_hiring_events"}}
    ORDER BY {{draw "employee_id" "nh_termination"}}, employee_id
    LIMIT (SELECT expected_nh_terminations FROM {{ref "int_workforce_needs"}})
)
SELECT
    h.employee_id,
    h.employee_ssn,
    'termination' AS event_type,
    {{.Year}} AS simulation_year,
    LEAST(
        h.effective_date + CAST(30 + {{hashkey "h.employee_id" "nh_term_day"}} % 240 AS INTEGER),
        DATE '{{.Year}}-12-31'
    ) AS effective_date,
    h.level_id,
    h.compensation_amount AS previous_compensation,
    h.compensation_amount,
    h.employee_age,
    0 AS employee_tenure,
    c.new_hire_termination_rate AS event_probability
FROM {{ref "int_hiring_events"}} h
CROSS JOIN {{ref "stg_simulation_config"}} c
WHERE h.employee_id IN (SELECT employee_id FROM chosen)
