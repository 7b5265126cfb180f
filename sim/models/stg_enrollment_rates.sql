-- config: materialized=table scope=setup
-- Enrollment and opt-out multipliers by age and income segment, typed.
CREATE OR REPLACE TABLE stg_enrollment_rates AS
SELECT
    CAST(segment_kind AS VARCHAR) AS segment_kind,
    CAST(segment AS VARCHAR) AS segment,
    CAST(enroll_multiplier AS DOUBLE) AS enroll_multiplier,
    CAST(optout_multiplier AS DOUBLE) AS optout_multiplier
FROM {{ref "seed_enrollment_rates"}}
