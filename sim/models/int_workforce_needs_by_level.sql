-- config: materialized=table scope=year
-- Needs by job level: headcount, compensation statistics and cost roll-ups, and each level's
-- hiring quota (the level's share of all hires, rounded up).
CREATE OR REPLACE TABLE int_workforce_needs_by_level AS
WITH by_level AS (
    SELECT
        level_id,
        COUNT(*) AS headcount,
        SUM(current_compensation) AS total_compensation,
        ROUND(SUM(current_compensation) / COUNT(*), 2) AS avg_compensation,
        PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY current_compensation) AS median_compensation,
        -- The sample standard deviation from exact sums (in cents): a floating-point STDDEV_SAMP
        -- merges its threads' partial results in varying order and varies in the last digits.
        sqrt(CAST(COUNT(*) * SUM(CAST(current_compensation * 100 AS HUGEINT) * CAST(current_compensation * 100 AS HUGEINT))
                  - SUM(CAST(current_compensation * 100 AS HUGEINT)) * SUM(CAST(current_compensation * 100 AS HUGEINT)) AS DOUBLE)
             / NULLIF(COUNT(*) * (COUNT(*) - 1), 0)) / 100 AS stddev_compensation,
        COUNT(*) FILTER (WHERE current_tenure < 2) AS short_tenure_headcount
    FROM {{ref "int_comp_by_year"}}
    GROUP BY level_id
)
SELECT
    {{.Year}} AS simulation_year,
    l.level_id,
    COALESCE(b.headcount, 0) AS headcount,
    COALESCE(b.total_compensation, 0) AS total_compensation,
    COALESCE(b.avg_compensation, l.comp_base_salary) AS avg_compensation,
    b.median_compensation,
    b.stddev_compensation,
    CAST(CEIL(n.total_hires * l.hire_mix) AS INTEGER) AS hires_needed,
    ROUND(COALESCE(b.total_compensation, 0) * l.avg_merit_rate, 2) AS merit_cost,
    ROUND(CEIL(n.total_hires * l.hire_mix) * l.comp_base_salary * 0.20, 2) AS recruiting_cost,
    ROUND(CEIL(n.total_hires * l.hire_mix) * l.comp_base_salary * 0.25, 2) AS training_cost
FROM {{ref "stg_job_levels"}} l
CROSS JOIN {{ref "int_workforce_needs"}} n
LEFT JOIN by_level b USING (level_id)
