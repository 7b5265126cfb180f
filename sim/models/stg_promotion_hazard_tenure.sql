-- config: materialized=table scope=setup
-- The promotion hazard's tenure multipliers, typed.
CREATE OR REPLACE TABLE stg_promotion_hazard_tenure AS
SELECT CAST(tenure_band AS tenure_band_t) AS tenure_band, CAST(multiplier AS DOUBLE) AS multiplier
FROM {{ref "seed_promotion_hazard_tenure"}}
