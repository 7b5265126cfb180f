-- config: materialized=table scope=year
-- Plan enrollment: people with a year of service who are not enrolled yet enrol with a
-- probability by age and income segment; some young enrollees opt out later in the year.
CREATE OR REPLACE TABLE int_enrollment_events AS
WITH eligible AS (
    SELECT
        c.*,
        CASE WHEN c.current_age < 30 THEN 'young' WHEN c.current_age < 45 THEN 'mid'
             WHEN c.current_age < 60 THEN 'mature' ELSE 'senior' END AS age_segment,
        CASE WHEN c.current_compensation < 60000 THEN 'low' WHEN c.current_compensation < 120000 THEN 'moderate'
             WHEN c.current_compensation < 250000 THEN 'high' ELSE 'executive' END AS income_segment
    FROM {{ref "int_comp_by_year"}} c
    WHERE c.current_tenure >= 1 AND NOT c.is_enrolled
),
scored AS (
    SELECT
        e.*,
        LEAST(0.95, a.enroll_multiplier * i.enroll_multiplier) AS enroll_probability,
        0.35 * a.optout_multiplier AS optout_probability
    FROM eligible e
    JOIN {{ref "seed_enrollment_rates"}} a ON a.segment_kind = 'age' AND a.segment = e.age_segment
    JOIN {{ref "seed_enrollment_rates"}} i ON i.segment_kind = 'income' AND i.segment = e.income_segment
),
enrolled AS (
    SELECT * FROM scored WHERE {{draw "employee_id" "enroll"}} < enroll_probability
)
SELECT employee_id, employee_ssn, 'enrollment' AS event_type, {{.Year}} AS simulation_year,
       DATE '{{.Year}}-01-15' AS effective_date, current_compensation AS compensation_amount,
       current_age AS employee_age, current_tenure AS employee_tenure, level_id, age_band, tenure_band,
       enroll_probability AS event_probability,
       'age=' || age_segment || ' income=' || income_segment AS event_details
FROM enrolled
UNION ALL
SELECT employee_id, employee_ssn, 'enrollment_change', {{.Year}}, DATE '{{.Year}}-06-15', current_compensation,
       current_age, current_tenure, level_id, age_band, tenure_band, optout_probability, 'opt-out'
FROM enrolled
WHERE age_segment = 'young' AND {{draw "employee_id" "optout"}} < optout_probability
