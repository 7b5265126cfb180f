-- config: materialized=table scope=setup
-- The termination hazard's age multipliers, typed.
CREATE OR REPLACE TABLE stg_termination_hazard_age AS
SELECT CAST(age_band AS age_band_t) AS age_band, CAST(multiplier AS DOUBLE) AS multiplier
FROM {{ref "seed_termination_hazard_age"}}
