-- config: materialized=table scope=year
-- Experienced terminations: exactly the expected number, chosen by a weighted draw keyed by
-- employee and year (an exponential race: a higher hazard sorts earlier), dated within the year.
CREATE OR REPLACE TABLE int_termination_events AS
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
    h.termination_rate AS event_probability
FROM {{ref "int_comp_by_year"}} c
JOIN {{ref "int_hazard_termination"}} h
    ON h.year = {{.Year}} AND h.level_id = c.level_id AND h.age_band = c.age_band AND h.tenure_band = c.tenure_band
CROSS JOIN {{ref "int_workforce_needs"}} n
QUALIFY ROW_NUMBER() OVER (
    ORDER BY -ln(GREATEST({{draw "c.employee_id" "termination"}}, 1e-9)) / h.termination_rate, c.employee_id
) <= n.expected_terminations
