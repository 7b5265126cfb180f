-- config: materialized=table scope=year
-- Experienced terminations: exactly the expected number, chosen by a weighted draw keyed by
-- employee and year (an exponential race: a higher hazard sorts earlier), dated within the year.
-- The race is sorted on the employee id and its key alone, and the chosen ids pick their rows
-- afterwards: sorting whole rows (or a window over all of them, which runs on one thread) cost
-- twice as much.
CREATE OR REPLACE TABLE int_termination_events AS
WITH hazard AS (
    SELECT c.*, h.termination_rate
    FROM {{ref "int_comp_by_year"}} c
    JOIN {{ref "int_hazard_termination"}} h
        ON h.year = {{.Year}} AND h.level_id = c.level_id AND h.age_band = c.age_band AND h.tenure_band = c.tenure_band
),
chosen AS (
    SELECT employee_id
    FROM hazard
    ORDER BY -ln(GREATEST({{draw "employee_id" "termination"}}, 1e-9)) / termination_rate, employee_id
    LIMIT (SELECT expected_terminations FROM {{ref "int_workforce_needs"}})
)
SELECT
    c.employee_id,
    c.employee_ssn,
    'termination' AS event_type,
    {{.Year}} AS simulation_year,
    DATE '{{.Year}}-01-01' + CAST({{hashkey "c.employee_id" "term_day"}} % {{.YearDays}} AS INTEGER) AS effective_date,
    c.level_id,
    c.current_compensation AS previous_compensation,
    c.current_compensation AS compensation_amount,
    c.current_age AS employee_age,
    c.current_tenure AS employee_tenure,
    c.age_band,
    c.tenure_band,
    c.termination_rate AS event_probability
FROM hazard c
WHERE c.employee_id IN (SELECT employee_id FROM chosen)
