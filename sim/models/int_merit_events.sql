-- config: materialized=table scope=year
-- Merit and COLA raises for everyone with a year of service, applied to the post-promotion salary
-- and level, capped, on a date drawn from the raise-timing distribution (month by cumulative
-- share, then day).
CREATE OR REPLACE TABLE int_merit_events AS
WITH timing AS (
    SELECT month, SUM(share) OVER (ORDER BY month) - share AS lo, SUM(share) OVER (ORDER BY month) AS hi
    FROM {{ref "seed_raise_timing"}}
),
base AS (
    SELECT
        c.*,
        COALESCE(p.level_id, c.level_id) AS post_level,
        COALESCE(p.compensation_amount, c.current_compensation) AS post_salary,
        {{draw "c.employee_id" "raise_month"}} * (SELECT SUM(share) FROM {{ref "seed_raise_timing"}}) AS month_draw
    FROM {{ref "int_comp_by_year"}} c
    LEFT JOIN {{ref "int_promotion_events"}} p USING (employee_id)
    WHERE c.current_tenure >= 1
)
SELECT
    b.employee_id,
    b.employee_ssn,
    'raise' AS event_type,
    {{.Year}} AS simulation_year,
    make_date({{.Year}}, t.month, 1) + CAST(hash('{{.Seed}}|' || b.employee_id || '|{{.Year}}|raise_day') % 28 AS INTEGER) AS effective_date,
    b.post_level AS level_id,
    b.post_salary AS previous_compensation,
    CAST(LEAST(
        b.post_salary * (1 + cfg.max_raise_pct),
        b.post_salary + cfg.max_raise_amount,
        b.post_salary * (1 + h.merit_rate + h.cola_rate)
    ) AS DECIMAL(18, 2)) AS compensation_amount,
    b.current_age AS employee_age,
    b.current_tenure AS employee_tenure,
    b.age_band,
    b.tenure_band,
    h.merit_rate + h.cola_rate AS event_probability,
    'merit=' || round(h.merit_rate, 4) || ' cola=' || round(h.cola_rate, 4) AS event_details
FROM base b
JOIN {{ref "int_hazard_merit"}} h
    ON h.year = {{.Year}} AND h.level_id = b.post_level AND h.age_band = b.age_band AND h.tenure_band = b.tenure_band
JOIN timing t ON b.month_draw >= t.lo AND b.month_draw < t.hi
CROSS JOIN {{ref "seed_simulation_config"}} cfg
