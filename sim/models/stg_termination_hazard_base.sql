-- config: materialized=table scope=setup
-- The termination hazard's base rate and level discount, typed.
CREATE OR REPLACE TABLE stg_termination_hazard_base AS
SELECT
    CAST(base_rate_for_new_hire AS DOUBLE) AS base_rate_for_new_hire,
    CAST(level_discount_factor AS DOUBLE) AS level_discount_factor,
    CAST(min_level_discount_multiplier AS DOUBLE) AS min_level_discount_multiplier
FROM {{ref "seed_termination_hazard_base"}}
