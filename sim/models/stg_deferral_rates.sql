-- config: materialized=table scope=setup
-- The deferral rates new enrollees choose, by age segment, as cumulative shares [cum_lo, cum_hi)
-- so that a uniform draw picks exactly one (each row's cum_lo is the previous row's cum_hi).
CREATE OR REPLACE TABLE stg_deferral_rates AS
WITH cum AS (
    SELECT
        CAST(age_segment AS VARCHAR) AS age_segment,
        CAST(deferral_rate AS DECIMAL(6, 4)) AS deferral_rate,
        SUM(weight) OVER (PARTITION BY age_segment ORDER BY deferral_rate) / SUM(weight) OVER (PARTITION BY age_segment) AS cum_hi
    FROM {{ref "seed_deferral_rates"}}
)
SELECT age_segment, deferral_rate, LAG(cum_hi, 1, 0) OVER (PARTITION BY age_segment ORDER BY deferral_rate) AS cum_lo, cum_hi
FROM cum
