-- config: materialized=table scope=setup
-- Census staging: deduplicate employee rows (the latest hire record wins) and annualise the
-- compensation of people hired during the census year, in cents (exact: sums of it do not
-- depend on the order DuckDB's threads add them in).
CREATE OR REPLACE TABLE stg_census AS
SELECT
    employee_id,
    employee_ssn,
    birth_date,
    hire_date,
    termination_date,
    CAST(CASE
        WHEN hire_date > DATE '{{.CensusYear}}-01-01'
            THEN gross_compensation * 365.0 / GREATEST(1, DATE '{{.CensusYear}}-12-31' - hire_date + 1)
        ELSE gross_compensation
    END AS DECIMAL(18, 2)) AS annual_compensation,
    deferral_rate,
    hire_date + INTERVAL 30 DAY AS eligibility_date
FROM {{ref "raw_census"}}
QUALIFY ROW_NUMBER() OVER (PARTITION BY employee_id ORDER BY hire_date DESC, gross_compensation DESC) = 1
