-- config: materialized=table scope=setup
-- Merit and COLA rates for every year, level, age band and tenure band. Lever names are matched
-- exactly as the levers spell them; years past the last lever or COLA row use the latest one
-- (an ASOF join), and a level without a lever falls back to its job level's average merit.
CREATE OR REPLACE TABLE int_hazard_merit AS
WITH years AS (
    SELECT UNNEST(range({{.StartYear}}, {{.EndYear}} + 1)) AS year
),
merit AS (
    SELECT fiscal_year, level_id, parameter_value AS merit_rate
    FROM {{ref "stg_params"}}
    WHERE event_type = 'RAISE' AND parameter_name = 'merit_base'
),
cola_levers AS (
    SELECT fiscal_year, level_id, parameter_value AS cola_lever
    FROM {{ref "stg_params"}}
    WHERE event_type = 'RAISE' AND parameter_name = 'cola_rate'
),
grid AS (
    SELECT y.year, l.level_id, l.avg_merit_rate, a.age_band, t.tenure_band
    FROM years y
    CROSS JOIN {{ref "seed_job_levels"}} l
    CROSS JOIN (SELECT age_band FROM {{ref "seed_termination_hazard_age"}}) a
    CROSS JOIN (SELECT tenure_band FROM {{ref "seed_termination_hazard_tenure"}}) t
)
SELECT
    g.year,
    g.level_id,
    g.age_band,
    g.tenure_band,
    COALESCE(m.merit_rate, g.avg_merit_rate)
        + CASE g.tenure_band WHEN '<2' THEN 0.005 WHEN '2-4' THEN 0.0025 ELSE 0 END AS merit_rate,
    COALESCE(c.cola_rate, 0.025) AS cola_rate,
    COALESCE(cl.cola_lever, 0) AS cola_lever
FROM grid g
ASOF LEFT JOIN merit m ON g.level_id = m.level_id AND g.year >= m.fiscal_year
ASOF LEFT JOIN {{ref "seed_cola_by_year"}} c ON g.year >= c.year
ASOF LEFT JOIN cola_levers cl ON g.level_id = cl.level_id AND g.year >= cl.fiscal_year
