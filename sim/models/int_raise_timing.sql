-- config: materialized=table scope=year
-- When each employee with a year of service gets this year's merit raise: a month drawn from the
-- raise-timing distribution (cumulative shares), then a day of that month, both keyed by
-- employee and year. Promotions and raises both read it, so each raise applies to the salary in
-- force on its date.
CREATE OR REPLACE TABLE int_raise_timing AS
SELECT
    c.employee_id,
    make_date({{.Year}}, t.month, 1) + CAST({{hashkey "c.employee_id" "raise_day"}} % 28 AS INTEGER) AS raise_date
FROM (
    SELECT employee_id, {{draw "employee_id" "raise_month"}} AS month_draw
    FROM {{ref "int_comp_by_year"}}
    WHERE current_tenure >= 1
) c
-- The month whose cumulative shares [cum_lo, cum_hi) contain the draw: a range join against the
-- twelve months compares each draw with every month, where an ASOF join sorted all the draws.
JOIN {{ref "stg_raise_timing"}} t ON c.month_draw >= t.cum_lo AND c.month_draw < t.cum_hi
