-- config: materialized=incremental scope=year unique_key=employee_id,simulation_year,event_sequence duplicate=true
-- Every event of the year in one table: the six event models stacked, sequenced per employee by
-- event priority and date, labelled with the parameter scenario the run applied.
WITH events AS (
    SELECT employee_id, employee_ssn, event_type, simulation_year, effective_date,
           'from level ' || from_level || ' to ' || level_id AS event_details,
           compensation_amount, previous_compensation, employee_age, employee_tenure, level_id,
           age_band, tenure_band, event_probability, NULL AS employee_deferral_rate, 'promotion' AS event_category
    FROM {{ref "int_promotion_events"}}
    UNION ALL
    SELECT employee_id, employee_ssn, event_type, simulation_year, effective_date, event_details,
           compensation_amount, previous_compensation, employee_age, employee_tenure, level_id,
           age_band, tenure_band, event_probability, NULL, 'raise'
    FROM {{ref "int_merit_events"}}
    UNION ALL
    SELECT employee_id, employee_ssn, event_type, simulation_year, effective_date, 'experienced',
           compensation_amount, previous_compensation, employee_age, employee_tenure, level_id,
           age_band, tenure_band, event_probability, NULL, 'experienced_termination'
    FROM {{ref "int_termination_events"}}
    UNION ALL
    SELECT employee_id, employee_ssn, event_type, simulation_year, effective_date, 'new hire seq ' || seq,
           compensation_amount, NULL, employee_age, employee_tenure, level_id,
           {{age_band "employee_age"}}, '<2', NULL, NULL, 'hiring'
    FROM {{ref "int_hiring_events"}}
    UNION ALL
    SELECT employee_id, employee_ssn, event_type, simulation_year, effective_date, 'new hire',
           compensation_amount, previous_compensation, employee_age, employee_tenure, level_id,
           {{age_band "employee_age"}}, '<2', event_probability, NULL, 'new_hire_termination'
    FROM {{ref "int_new_hire_terminations"}}
    UNION ALL
    SELECT employee_id, employee_ssn, event_type, simulation_year, effective_date, event_details,
           compensation_amount, NULL, employee_age, employee_tenure, level_id,
           age_band, tenure_band, event_probability, employee_deferral_rate, 'enrollment'
    FROM {{ref "int_enrollment_events"}}
)
SELECT
    e.*,
    ROW_NUMBER() OVER (
        PARTITION BY e.employee_id
        ORDER BY CASE e.event_type WHEN 'termination' THEN 1 WHEN 'hire' THEN 2 WHEN 'eligibility' THEN 3
                 WHEN 'enrollment' THEN 4 WHEN 'enrollment_change' THEN 5 WHEN 'promotion' THEN 6 ELSE 7 END,
                 e.effective_date
    ) AS event_sequence,
    now() AS created_at,
    '{{.Scenario}}' AS parameter_scenario_id,
    CASE WHEN e.compensation_amount IS NULL OR e.compensation_amount <= 0 THEN 'CHECK' ELSE 'VALID' END AS data_quality_flag
FROM events e
