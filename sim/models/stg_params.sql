-- config: materialized=table scope=setup
-- Effective compensation parameters: for each fiscal year, level and parameter, the lever with the
-- highest priority wins (a scenario override outranks the default).
CREATE OR REPLACE TABLE stg_params AS
SELECT
    fiscal_year,
    level_id,
    event_type,
    parameter_name,
    parameter_value,
    scenario_id AS parameter_source,
    md5(fiscal_year || '|' || level_id || '|' || parameter_name) AS parameter_key
FROM {{ref "seed_comp_levers"}}
QUALIFY ROW_NUMBER() OVER (
    PARTITION BY fiscal_year, level_id, event_type, parameter_name
    ORDER BY priority DESC, scenario_id
) = 1
