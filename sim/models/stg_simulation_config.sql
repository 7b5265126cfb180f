-- config: materialized=table scope=setup
-- The run's rates and caps, typed: growth target, termination rates, raise caps, the default
-- new-hire salary adjustment and the growth check's tolerance.
CREATE OR REPLACE TABLE stg_simulation_config AS
SELECT
    CAST(target_growth_rate AS DOUBLE) AS target_growth_rate,
    CAST(total_termination_rate AS DOUBLE) AS total_termination_rate,
    CAST(new_hire_termination_rate AS DOUBLE) AS new_hire_termination_rate,
    CAST(max_raise_pct AS DOUBLE) AS max_raise_pct,
    CAST(max_raise_amount AS DOUBLE) AS max_raise_amount,
    CAST(new_hire_salary_adjustment_default AS DOUBLE) AS new_hire_salary_adjustment_default,
    CAST(growth_tolerance AS DOUBLE) AS growth_tolerance
FROM {{ref "seed_simulation_config"}}
