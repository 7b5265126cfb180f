-- config: materialized=table scope=setup
-- The month in which raises take effect, as cumulative shares [cum_lo, cum_hi), so that a uniform
-- draw picks exactly one month (each row's cum_lo is the previous row's cum_hi).
CREATE OR REPLACE TABLE stg_raise_timing AS
WITH cum AS (
    SELECT CAST(month AS INTEGER) AS month, SUM(share) OVER (ORDER BY month) / SUM(share) OVER () AS cum_hi
    FROM {{ref "seed_raise_timing"}}
)
SELECT month, LAG(cum_hi, 1, 0) OVER (ORDER BY month) AS cum_lo, cum_hi
FROM cum
