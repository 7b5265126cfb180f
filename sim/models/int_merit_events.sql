-- config: materialized=table scope=year
-- Merit and COLA raises for everyone with a year of service who is still employed on the raise
-- date, capped. The raise applies to the salary and level in force on its date: after a
-- promotion dated on or before it, the promoted salary and level; otherwise the start-of-year
-- salary and level (and then the promotion builds on the raise).
CREATE OR REPLACE TABLE int_merit_events AS
WITH eligible AS (
    SELECT
        c.*,
        r.raise_date,
        p.effective_date IS NOT NULL AND r.raise_date >= p.effective_date AS after_promotion,
        p.level_id AS promoted_level,
        p.compensation_amount AS promoted_salary
    FROM {{ref "int_comp_by_year"}} c
    JOIN {{ref "int_raise_timing"}} r USING (employee_id)
    LEFT JOIN {{ref "int_promotion_events"}} p USING (employee_id)
    LEFT JOIN {{ref "int_termination_events"}} t USING (employee_id)
    WHERE t.effective_date IS NULL OR t.effective_date >= r.raise_date
),
based AS (
    SELECT
        e.*,
        CASE WHEN after_promotion THEN promoted_level ELSE level_id END AS raise_level,
        CASE WHEN after_promotion THEN promoted_salary ELSE current_compensation END AS raise_base
    FROM eligible e
)
SELECT
    b.employee_id,
    b.employee_ssn,
    'raise' AS event_type,
    {{.Year}} AS simulation_year,
    b.raise_date AS effective_date,
    b.raise_level AS level_id,
    b.raise_base AS previous_compensation,
    {{capped_raise "b.raise_base" "h.merit_rate + h.cola_rate"}} AS compensation_amount,
    b.current_age AS employee_age,
    b.current_tenure AS employee_tenure,
    b.age_band,
    b.tenure_band,
    h.merit_rate + h.cola_rate AS event_probability,
    h.raise_details AS event_details
FROM based b
JOIN {{ref "int_hazard_merit"}} h
    ON h.year = {{.Year}} AND h.level_id = b.raise_level AND h.age_band = b.age_band AND h.tenure_band = b.tenure_band
CROSS JOIN {{ref "stg_simulation_config"}} cfg
