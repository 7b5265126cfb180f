-- config: materialized=table scope=year
-- Promotions: eligible people (below the top level, at least a year of service, under 65, still
-- employed on February 1) whose draw falls under their hazard move up one level with a capped
-- raise, effective February 1. The raise applies to the salary in force on that date: when the
-- employee's merit raise is dated earlier in the year, it comes first (at the old level).
CREATE OR REPLACE TABLE int_promotion_events AS
WITH eligible AS (
    SELECT c.*, h.promotion_rate
    FROM {{ref "int_comp_by_year"}} c
    JOIN {{ref "int_hazard_promotion"}} h
        ON h.year = {{.Year}} AND h.level_id = c.level_id AND h.age_band = c.age_band AND h.tenure_band = c.tenure_band
    WHERE c.level_id < 5
      AND c.current_tenure >= 1
      AND c.current_age < 65
      AND {{draw "c.employee_id" "promotion"}} < h.promotion_rate
),
in_force AS (
    SELECT
        e.*,
        CASE WHEN r.raise_date < DATE '{{.Year}}-02-01'
             THEN {{capped_raise "e.current_compensation" "m.merit_rate + m.cola_rate"}}
             ELSE e.current_compensation
        END AS salary_in_force
    FROM eligible e
    LEFT JOIN {{ref "int_termination_events"}} t USING (employee_id)
    LEFT JOIN {{ref "int_raise_timing"}} r USING (employee_id)
    JOIN {{ref "int_hazard_merit"}} m
        ON m.year = {{.Year}} AND m.level_id = e.level_id AND m.age_band = e.age_band AND m.tenure_band = e.tenure_band
    CROSS JOIN {{ref "stg_simulation_config"}} cfg
    WHERE t.effective_date IS NULL OR t.effective_date >= DATE '{{.Year}}-02-01'
)
SELECT
    employee_id,
    employee_ssn,
    'promotion' AS event_type,
    {{.Year}} AS simulation_year,
    DATE '{{.Year}}-02-01' AS effective_date,
    level_id AS from_level,
    level_id + 1 AS level_id,
    salary_in_force AS previous_compensation,
    CAST(LEAST(
        salary_in_force * 1.30,
        salary_in_force + 500000,
        salary_in_force * (1.15 + ({{hashkey "employee_id" "promo_pct"}} % 100) / 1000.0)
    ) AS DECIMAL(18, 2)) AS compensation_amount,
    current_age AS employee_age,
    current_tenure AS employee_tenure,
    age_band,
    tenure_band,
    promotion_rate AS event_probability
FROM in_force
