-- config: materialized=incremental scope=year unique_key=employee_id,simulation_year
-- The end-of-year state of everyone who worked during the year: the starting workforce with its
-- events applied in date order (terminations, promotions, raises, enrollment), plus the year's
-- hires, with compensation prorated over the periods between salary changes and the year's real
-- length (366 days in a leap year).
WITH ev AS (
    SELECT * FROM {{ref "fct_yearly_events"}} WHERE simulation_year = {{.Year}}
),
consolidated AS (
    SELECT
        employee_id,
        MAX(CASE WHEN event_type = 'termination' THEN effective_date END) AS termination_date,
        MAX(CASE WHEN event_type = 'promotion' THEN level_id END) AS promotion_level,
        -- The salary after the year's last change: the latest dated, a raise after a promotion
        -- on the same day.
        arg_max(compensation_amount, date_diff('day', DATE '1970-01-01', effective_date) * 4
            + CASE event_type WHEN 'promotion' THEN 1 ELSE 2 END)
            FILTER (WHERE event_type IN ('promotion', 'raise')) AS last_salary,
        MAX(CASE WHEN event_type = 'enrollment' THEN effective_date END) AS enrolled_on,
        MAX(CASE WHEN event_type = 'enrollment' THEN employee_deferral_rate END) AS enrolled_deferral_rate,
        COUNT(CASE WHEN event_type = 'enrollment_change' THEN 1 END) > 0 AS opted_out
    FROM ev
    GROUP BY employee_id
),
people AS (
    SELECT employee_id, employee_ssn, birth_date, hire_date, current_compensation, current_age,
           current_tenure, level_id, is_enrolled, enrollment_date, deferral_rate, FALSE AS is_new_hire
    FROM {{ref "int_comp_by_year"}}
    UNION ALL
    -- New hires: age is counted at the start of the year, as for everyone else (the census
    -- convention: age = years between the birth year and the last day of the previous year).
    SELECT employee_id, employee_ssn,
           make_date({{.Year}} - 1 - employee_age, 1, 1) + CAST({{hashkey "employee_id" "birth_day"}} % 365 AS INTEGER),
           effective_date, compensation_amount, employee_age, 0, level_id, FALSE, NULL, CAST(0 AS DECIMAL(6, 4)), TRUE
    FROM ev
    WHERE event_type = 'hire'
),
deduped AS (
    SELECT * FROM people
    QUALIFY ROW_NUMBER() OVER (PARTITION BY employee_id ORDER BY is_new_hire DESC, current_compensation DESC) = 1
),
applied AS (
    SELECT
        d.*,
        c.termination_date,
        COALESCE(c.promotion_level, d.level_id) AS final_level,
        COALESCE(c.last_salary, d.current_compensation) AS fye_compensation,
        c.enrolled_on IS NOT NULL AND NOT COALESCE(c.opted_out, FALSE) AS newly_enrolled,
        GREATEST(d.hire_date, DATE '{{.Year}}-01-01') AS period_start,
        COALESCE(c.termination_date, DATE '{{.Year}}-12-31') AS period_end,
        c.enrolled_on,
        c.enrolled_deferral_rate
    FROM deduped d
    LEFT JOIN consolidated c USING (employee_id)
),
changes AS (
    SELECT employee_id, period_start AS change_date, current_compensation AS salary, 0 AS ord FROM applied
    UNION ALL
    SELECT employee_id, effective_date, compensation_amount,
           CASE event_type WHEN 'promotion' THEN 1 ELSE 2 END
    FROM ev
    WHERE event_type IN ('promotion', 'raise')
),
periods AS (
    SELECT
        ch.employee_id,
        ch.change_date,
        ch.salary,
        LEAD(ch.change_date) OVER (PARTITION BY ch.employee_id ORDER BY ch.change_date, ch.ord) AS next_change
    FROM changes ch
),
prorated AS (
    SELECT
        p.employee_id,
        SUM(CAST(p.salary * GREATEST(0,
            LEAST(COALESCE(p.next_change - 1, a.period_end), a.period_end) - GREATEST(p.change_date, a.period_start) + 1
        ) / {{.YearDays}}.0 AS DECIMAL(18, 2))) AS prorated_compensation
    FROM periods p
    JOIN applied a USING (employee_id)
    GROUP BY p.employee_id
)
SELECT
    a.employee_id,
    a.employee_ssn,
    a.birth_date,
    a.hire_date,
    a.current_compensation,
    COALESCE(pr.prorated_compensation, 0) AS prorated_annual_compensation,
    a.fye_compensation AS full_year_equivalent_compensation,
    a.current_age,
    a.current_tenure,
    a.final_level AS level_id,
    {{age_band "a.current_age"}} AS age_band,
    {{tenure_band "a.current_tenure"}} AS tenure_band,
    CASE WHEN a.termination_date IS NULL THEN 'active' ELSE 'terminated' END AS employment_status,
    a.termination_date,
    CASE WHEN a.termination_date IS NULL THEN NULL
         WHEN a.is_new_hire THEN 'new_hire_termination' ELSE 'voluntary' END AS termination_reason,
    CASE
        WHEN a.is_new_hire AND a.termination_date IS NULL THEN 'new_hire_active'
        WHEN a.is_new_hire THEN 'new_hire_termination'
        WHEN a.termination_date IS NULL THEN 'continuous_active'
        ELSE 'experienced_termination'
    END AS detailed_status_code,
    a.is_enrolled OR a.newly_enrolled AS is_enrolled,
    CASE WHEN a.is_enrolled THEN a.enrollment_date WHEN a.newly_enrolled THEN a.enrolled_on END AS enrollment_date,
    CASE WHEN a.is_enrolled THEN a.deferral_rate WHEN a.newly_enrolled THEN a.enrolled_deferral_rate ELSE a.deferral_rate END AS deferral_rate,
    {{.Year}} AS simulation_year,
    now() AS snapshot_created_at
FROM applied a
LEFT JOIN prorated pr USING (employee_id)
