-- config: materialized=table scope=setup
-- The promotion hazard's base rate and level dampener, typed.
CREATE OR REPLACE TABLE stg_promotion_hazard_base AS
SELECT CAST(base_rate AS DOUBLE) AS base_rate, CAST(level_dampener_factor AS DOUBLE) AS level_dampener_factor
FROM {{ref "seed_promotion_hazard_base"}}
