-- config: materialized=incremental scope=year unique_key=employee_id,simulation_year
-- The end-of-year state of everyone who worked during the year: the starting workforce with its
-- events applied in date order (terminations, promotions, raises, enrollment), plus the year's
-- hires, with compensation prorated over the periods between salary changes and the year's real
-- length (366 days in a leap year).
-- The year's events are read where they are used: materialising them once for both uses (DuckDB's
-- default for a CTE used twice) copied every column of every event.
WITH ev AS NOT MATERIALIZED (
    SELECT * FROM {{ref "fct_yearly_events"}} WHERE simulation_year = {{.Year}}
),
consolidated AS (
    -- One row per employee: each event type happens at most once per employee and year.
    SELECT
        employee_id,
        MAX(effective_date) FILTER (WHERE event_type = 'termination') AS termination_date,
        MAX(level_id) FILTER (WHERE event_type = 'promotion') AS promotion_level,
        MAX(effective_date) FILTER (WHERE event_type = 'promotion') AS promotion_date,
        MAX(compensation_amount) FILTER (WHERE event_type = 'promotion') AS promotion_salary,
        MAX(effective_date) FILTER (WHERE event_type = 'raise') AS raise_date,
        MAX(compensation_amount) FILTER (WHERE event_type = 'raise') AS raise_salary,
        MAX(effective_date) FILTER (WHERE event_type = 'enrollment') AS enrolled_on,
        MAX(employee_deferral_rate) FILTER (WHERE event_type = 'enrollment') AS enrolled_deferral_rate,
        COUNT(*) FILTER (WHERE event_type = 'enrollment_change') > 0 AS opted_out
    FROM ev
    GROUP BY employee_id
),
people AS (
    SELECT employee_id, employee_ssn, birth_date, hire_date, current_compensation, current_age,
           current_tenure, level_id, is_enrolled, enrollment_date, deferral_rate, FALSE AS is_new_hire
    FROM {{ref "int_comp_by_year"}} c
    -- A new hire's row replaces a starting row with the same id (ids are unique on either side).
    WHERE NOT EXISTS (SELECT 1 FROM ev WHERE ev.event_type = 'hire' AND ev.employee_id = c.employee_id)
    UNION ALL
    -- New hires: age is counted at the start of the year, as for everyone else (the census
    -- convention: age = years between the birth year and the last day of the previous year).
    SELECT employee_id, employee_ssn,
           make_date({{.Year}} - 1 - employee_age, 1, 1) + CAST({{hashkey "employee_id" "birth_day"}} % 365 AS INTEGER),
           effective_date, compensation_amount, employee_age, 0, level_id, FALSE, NULL, CAST(0 AS DECIMAL(6, 4)), TRUE
    FROM ev
    WHERE event_type = 'hire'
),
applied AS (
    SELECT
        d.*,
        c.termination_date,
        COALESCE(c.promotion_level, d.level_id) AS final_level,
        c.enrolled_on IS NOT NULL AND NOT COALESCE(c.opted_out, FALSE) AS newly_enrolled,
        c.enrolled_on,
        c.enrolled_deferral_rate,
        GREATEST(d.hire_date, DATE '{{.Year}}-01-01') AS period_start,
        COALESCE(c.termination_date, DATE '{{.Year}}-12-31') AS period_end,
        -- The year's salary changes in date order (a raise on a promotion's day after it; with one
        -- change only, it comes first).
        CASE WHEN c.raise_date IS NULL OR c.raise_date >= c.promotion_date THEN c.promotion_date ELSE c.raise_date END AS first_date,
        CASE WHEN c.raise_date IS NULL OR c.raise_date >= c.promotion_date THEN c.promotion_salary ELSE c.raise_salary END AS first_salary,
        CASE WHEN c.raise_date IS NULL OR c.raise_date >= c.promotion_date THEN c.raise_date ELSE c.promotion_date END AS second_date,
        CASE WHEN c.raise_date IS NULL OR c.raise_date >= c.promotion_date THEN c.raise_salary ELSE c.promotion_salary END AS second_salary
    FROM people d
    LEFT JOIN consolidated c USING (employee_id)
),
prorated AS (
    -- Pay over the periods between salary changes, each clipped to the days employed this year
    -- and rounded to the cent, over the year's real length.
    SELECT
        *,
        COALESCE(second_salary, first_salary, current_compensation) AS fye_compensation,
        CAST(current_compensation * GREATEST(0, LEAST(COALESCE(first_date - 1, period_end), period_end) - period_start + 1) / {{.YearDays}}.0 AS DECIMAL(18, 2))
        + COALESCE(CAST(first_salary * GREATEST(0, LEAST(COALESCE(second_date - 1, period_end), period_end) - GREATEST(first_date, period_start) + 1) / {{.YearDays}}.0 AS DECIMAL(18, 2)), 0)
        + COALESCE(CAST(second_salary * GREATEST(0, period_end - GREATEST(second_date, period_start) + 1) / {{.YearDays}}.0 AS DECIMAL(18, 2)), 0)
            AS prorated_compensation
    FROM applied
)
SELECT
    a.employee_id,
    a.employee_ssn,
    a.birth_date,
    a.hire_date,
    a.current_compensation,
    a.prorated_compensation AS prorated_annual_compensation,
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
FROM prorated a
