-- config: materialized=table scope=setup
-- Job levels with their compensation bands, merit and promotion rates, hiring mix and base
-- salary, typed.
CREATE OR REPLACE TABLE stg_job_levels AS
SELECT
    CAST(level_id AS INTEGER) AS level_id,
    CAST(level_name AS VARCHAR) AS level_name,
    CAST(min_compensation AS DECIMAL(18, 2)) AS min_compensation,
    CAST(max_compensation AS DECIMAL(18, 2)) AS max_compensation,
    CAST(avg_merit_rate AS DOUBLE) AS avg_merit_rate,
    CAST(promotion_probability AS DOUBLE) AS promotion_probability,
    CAST(hire_mix AS DOUBLE) AS hire_mix,
    CAST(comp_base_salary AS DECIMAL(18, 2)) AS comp_base_salary
FROM {{ref "seed_job_levels"}}
