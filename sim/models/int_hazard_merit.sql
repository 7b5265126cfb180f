-- config: materialized=table scope=setup
-- Merit and COLA rates for every year, level, age band and tenure band. Both come from the
-- effective levers (RAISE merit_base and RAISE cola_rate, matched exactly); a level without a
-- merit lever falls back to its job level's average merit, a year without a COLA lever to the
-- COLA-by-year table (the latest year at or before it). Short tenure adds a small merit bump.
CREATE OR REPLACE TABLE int_hazard_merit AS
WITH years AS (
    SELECT UNNEST(range({{.StartYear}}, {{.EndYear}} + 1)) AS year
),
merit AS (
    SELECT year, level_id, parameter_value AS merit_rate
    FROM {{ref "int_effective_parameters"}}
    WHERE event_type = 'RAISE' AND parameter_name = 'merit_base'
),
cola AS (
    SELECT year, level_id, parameter_value AS cola_rate
    FROM {{ref "int_effective_parameters"}}
    WHERE event_type = 'RAISE' AND parameter_name = 'cola_rate'
),
grid AS (
    SELECT y.year, l.level_id, l.avg_merit_rate, a.age_band, t.tenure_band
    FROM years y
    CROSS JOIN {{ref "stg_job_levels"}} l
    CROSS JOIN (SELECT age_band FROM {{ref "stg_termination_hazard_age"}}) a
    CROSS JOIN (SELECT tenure_band FROM {{ref "stg_termination_hazard_tenure"}}) t
),
rates AS (
    SELECT
        g.year,
        g.level_id,
        g.age_band,
        g.tenure_band,
        COALESCE(m.merit_rate, g.avg_merit_rate)
            + CASE g.tenure_band WHEN '<2' THEN 0.005 WHEN '2-4' THEN 0.0025 ELSE 0 END AS merit_rate,
        COALESCE(c.cola_rate, cy.cola_rate, 0) AS cola_rate
    FROM grid g
    LEFT JOIN merit m ON m.year = g.year AND m.level_id = g.level_id
    LEFT JOIN cola c ON c.year = g.year AND c.level_id = g.level_id
    ASOF LEFT JOIN {{ref "stg_cola_by_year"}} cy ON g.year >= cy.year
)
-- The raise events' description of their rates, spelled once per rate row instead of once per
-- raise.
SELECT *, 'merit=' || round(merit_rate, 4) || ' cola=' || round(cola_rate, 4) AS raise_details
FROM rates
