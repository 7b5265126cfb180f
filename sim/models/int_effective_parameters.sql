-- config: materialized=table scope=setup
-- Effective compensation levers for every simulation year, level and lever. Levers are matched
-- by their exact event type and name. For each fiscal year the run's parameter scenario
-- (--scenario) outranks the default scenario, then the higher priority wins; a year without a
-- lever row of its own uses the latest earlier one (an ASOF join). The scenario that supplied
-- each value is kept as parameter_source.
CREATE OR REPLACE TABLE int_effective_parameters AS
WITH resolved AS (
    SELECT fiscal_year, level_id, event_type, parameter_name, parameter_value, scenario_id AS parameter_source
    FROM {{ref "stg_comp_levers"}}
    WHERE scenario_id IN ('default', '{{.Scenario}}')
    QUALIFY ROW_NUMBER() OVER (
        PARTITION BY fiscal_year, level_id, event_type, parameter_name
        ORDER BY scenario_id = '{{.Scenario}}' DESC, priority DESC
    ) = 1
),
levers AS (
    SELECT DISTINCT level_id, event_type, parameter_name FROM resolved
),
years AS (
    SELECT UNNEST(range({{.StartYear}}, {{.EndYear}} + 1)) AS year
)
SELECT y.year, l.level_id, l.event_type, l.parameter_name, r.parameter_value, r.parameter_source
FROM years y
CROSS JOIN levers l
ASOF JOIN resolved r
    ON r.level_id = l.level_id AND r.event_type = l.event_type AND r.parameter_name = l.parameter_name
   AND y.year >= r.fiscal_year
