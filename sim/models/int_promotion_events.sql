-- config: materialized=table scope=year
-- Promotions: eligible people (below the top level, at least a year of service, under 65) whose
-- draw falls under their hazard move up one level with a capped raise, effective February 1.
CREATE OR REPLACE TABLE int_promotion_events AS
SELECT
    c.employee_id,
    c.employee_ssn,
    'promotion' AS event_type,
    {{.Year}} AS simulation_year,
    DATE '{{.Year}}-02-01' AS effective_date,
    c.level_id AS from_level,
    c.level_id + 1 AS level_id,
    c.current_compensation AS previous_compensation,
    CAST(LEAST(
        c.current_compensation * 1.30,
        c.current_compensation + 500000,
        c.current_compensation * (1.15 + (hash('{{.Seed}}|' || c.employee_id || '|{{.Year}}|promo_pct') % 100) / 1000.0)
    ) AS DECIMAL(18, 2)) AS compensation_amount,
    c.current_age AS employee_age,
    c.current_tenure AS employee_tenure,
    c.age_band,
    c.tenure_band,
    h.promotion_rate AS event_probability
FROM {{ref "int_comp_by_year"}} c
JOIN {{ref "int_hazard_promotion"}} h
    ON h.year = {{.Year}} AND h.level_id = c.level_id AND h.age_band = c.age_band AND h.tenure_band = c.tenure_band
WHERE c.level_id < 5
  AND c.current_tenure >= 1
  AND c.current_age < 65
  AND {{draw "c.employee_id" "promotion"}} < h.promotion_rate
