-- config: materialized=table scope=setup
-- The age distribution of new hires as cumulative shares [cum_lo, cum_hi), so that a uniform draw
-- picks exactly one age (each row's cum_lo is the previous row's cum_hi).
CREATE OR REPLACE TABLE stg_new_hire_age AS
WITH cum AS (
    SELECT CAST(age AS INTEGER) AS age, SUM(weight) OVER (ORDER BY age) / SUM(weight) OVER () AS cum_hi
    FROM {{ref "seed_new_hire_age"}}
)
SELECT age, LAG(cum_hi, 1, 0) OVER (ORDER BY age) AS cum_lo, cum_hi
FROM cum
