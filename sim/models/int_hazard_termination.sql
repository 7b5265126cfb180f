-- config: materialized=table scope=setup
-- Termination hazard for every year, level, age band and tenure band: base rate, discounted by
-- level (with a floor), times the age and tenure multipliers.
CREATE OR REPLACE TABLE int_hazard_termination AS
SELECT
    y.year,
    l.level_id,
    a.age_band,
    t.tenure_band,
    b.base_rate_for_new_hire
        * GREATEST(b.min_level_discount_multiplier, 1 - b.level_discount_factor * (l.level_id - 1))
        * a.multiplier * t.multiplier AS termination_rate
FROM (SELECT UNNEST(range({{.StartYear}}, {{.EndYear}} + 1)) AS year) y
CROSS JOIN {{ref "stg_job_levels"}} l
CROSS JOIN {{ref "stg_termination_hazard_age"}} a
CROSS JOIN {{ref "stg_termination_hazard_tenure"}} t
CROSS JOIN {{ref "stg_termination_hazard_base"}} b
