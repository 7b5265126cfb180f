-- config: materialized=table scope=setup
-- COLA by year, typed. Its years also span the hazard tables' year axis in the original.
CREATE OR REPLACE TABLE stg_cola_by_year AS
SELECT CAST(year AS INTEGER) AS year, CAST(cola_rate AS DOUBLE) AS cola_rate
FROM {{ref "seed_cola_by_year"}}
