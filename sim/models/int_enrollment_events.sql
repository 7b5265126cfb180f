-- config: materialized=table scope=year
-- Plan enrollment: people with a year of service who are not enrolled yet (and are still employed
-- on January 15) enrol with a probability by age and income segment, at a deferral rate drawn
-- from their age segment's deferral assumptions; some young enrollees still employed on June 15
-- opt out.
CREATE OR REPLACE TABLE int_enrollment_events AS
WITH eligible AS (
    SELECT
        c.*,
        t.effective_date AS termination_date,
        CASE WHEN c.current_age < 30 THEN 'young' WHEN c.current_age < 45 THEN 'mid'
             WHEN c.current_age < 60 THEN 'mature' ELSE 'senior' END AS age_segment,
        CASE WHEN c.current_compensation < 60000 THEN 'low' WHEN c.current_compensation < 120000 THEN 'moderate'
             WHEN c.current_compensation < 250000 THEN 'high' ELSE 'executive' END AS income_segment
    FROM {{ref "int_comp_by_year"}} c
    LEFT JOIN {{ref "int_termination_events"}} t USING (employee_id)
    WHERE c.current_tenure >= 1 AND NOT c.is_enrolled
      AND (t.effective_date IS NULL OR t.effective_date >= DATE '{{.Year}}-01-15')
),
scored AS (
    SELECT
        e.*,
        LEAST(0.95, a.enroll_multiplier * i.enroll_multiplier) AS enroll_probability,
        0.35 * a.optout_multiplier AS optout_probability
    FROM eligible e
    JOIN {{ref "stg_enrollment_rates"}} a ON a.segment_kind = 'age' AND a.segment = e.age_segment
    JOIN {{ref "stg_enrollment_rates"}} i ON i.segment_kind = 'income' AND i.segment = e.income_segment
),
enrolled AS (
    SELECT s.* EXCLUDE (deferral_draw), d.deferral_rate AS chosen_deferral_rate
    FROM (
        SELECT *, {{draw "employee_id" "deferral"}} AS deferral_draw
        FROM scored
        WHERE {{draw "employee_id" "enroll"}} < enroll_probability
    ) s
    -- The segment's rate whose cumulative shares [cum_lo, cum_hi) contain the draw.
    JOIN {{ref "stg_deferral_rates"}} d
        ON d.age_segment = s.age_segment AND s.deferral_draw >= d.cum_lo AND s.deferral_draw < d.cum_hi
)
SELECT employee_id, employee_ssn, 'enrollment' AS event_type, {{.Year}} AS simulation_year,
       DATE '{{.Year}}-01-15' AS effective_date, current_compensation AS compensation_amount,
       current_age AS employee_age, current_tenure AS employee_tenure, level_id, age_band, tenure_band,
       enroll_probability AS event_probability, chosen_deferral_rate AS employee_deferral_rate,
       'age=' || age_segment || ' income=' || income_segment AS event_details
FROM enrolled
UNION ALL
SELECT employee_id, employee_ssn, 'enrollment_change', {{.Year}}, DATE '{{.Year}}-06-15', current_compensation,
       current_age, current_tenure, level_id, age_band, tenure_band, optout_probability, CAST(0 AS DECIMAL(6, 4)), 'opt-out'
FROM enrolled
WHERE age_segment = 'young' AND {{draw "employee_id" "optout"}} < optout_probability
  AND (termination_date IS NULL OR termination_date >= DATE '{{.Year}}-06-15')
