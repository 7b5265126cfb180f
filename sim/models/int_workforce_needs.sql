-- config: materialized=table scope=year
-- How many people the year needs: growth, expected terminations, hires and new-hire
-- terminations, from the starting headcount and the configured rates.
CREATE OR REPLACE TABLE int_workforce_needs AS
WITH s AS (
    SELECT COUNT(*) AS starting_workforce, SUM(current_compensation) AS starting_payroll
    FROM {{ref "int_comp_by_year"}}
)
SELECT
    {{.Year}} AS simulation_year,
    s.starting_workforce,
    s.starting_payroll,
    c.target_growth_rate,
    CAST(ROUND(s.starting_workforce * c.target_growth_rate) AS INTEGER) AS target_growth,
    CAST(ROUND(s.starting_workforce * c.total_termination_rate) AS INTEGER) AS expected_terminations,
    CAST(ROUND((target_growth + expected_terminations) / (1 - c.new_hire_termination_rate)) AS INTEGER) AS total_hires,
    CAST(ROUND(total_hires * c.new_hire_termination_rate) AS INTEGER) AS expected_nh_terminations,
    total_hires - expected_terminations - expected_nh_terminations AS net_change,
    CASE
        WHEN abs(net_change - target_growth) <= 2 THEN 'BALANCED'
        WHEN abs(net_change - target_growth) <= 0.01 * s.starting_workforce THEN 'MINOR_VARIANCE'
        ELSE 'SIGNIFICANT_VARIANCE'
    END AS balance_status
FROM s
CROSS JOIN {{ref "stg_simulation_config"}} c
