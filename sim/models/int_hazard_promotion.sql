-- config: materialized=table scope=setup
-- Promotion hazard for every year, level, age band and tenure band: base rate, dampened by level,
-- times the age and tenure multipliers. Level 5 cannot be promoted.
CREATE OR REPLACE TABLE int_hazard_promotion AS
SELECT
    y.year,
    l.level_id,
    a.age_band,
    t.tenure_band,
    CASE WHEN l.level_id >= 5 THEN 0.0
         ELSE b.base_rate * t.multiplier * a.multiplier * GREATEST(0, 1 - b.level_dampener_factor * (l.level_id - 1))
    END AS promotion_rate
FROM (SELECT UNNEST(range({{.StartYear}}, {{.EndYear}} + 1)) AS year) y
CROSS JOIN {{ref "stg_job_levels"}} l
CROSS JOIN {{ref "stg_promotion_hazard_age"}} a
CROSS JOIN {{ref "stg_promotion_hazard_tenure"}} t
CROSS JOIN {{ref "stg_promotion_hazard_base"}} b
