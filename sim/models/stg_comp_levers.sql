-- config: materialized=table scope=setup
-- Compensation levers, typed: one value per scenario, fiscal year, level, event type and
-- parameter name. Names are kept exactly as written: resolution matches them exactly.
CREATE OR REPLACE TABLE stg_comp_levers AS
SELECT
    CAST(scenario_id AS VARCHAR) AS scenario_id,
    CAST(fiscal_year AS INTEGER) AS fiscal_year,
    CAST(level_id AS INTEGER) AS level_id,
    CAST(event_type AS VARCHAR) AS event_type,
    CAST(parameter_name AS VARCHAR) AS parameter_name,
    CAST(parameter_value AS DOUBLE) AS parameter_value,
    CAST(priority AS INTEGER) AS priority
FROM {{ref "seed_comp_levers"}}
