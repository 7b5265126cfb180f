-- config: materialized=incremental scope=year unique_key=simulation_year,level_id
-- Compensation and headcount growth by level against the previous year.
WITH cur AS (
    SELECT level_id, COUNT(*) AS headcount, SUM(prorated_annual_compensation) AS total_prorated_compensation,
           SUM(full_year_equivalent_compensation) / COUNT(*) AS avg_full_year_compensation
    FROM {{ref "fct_workforce_snapshot"}}
    WHERE simulation_year = {{.Year}} AND employment_status = 'active'
    GROUP BY level_id
),
prior AS (
{{- if .IsStartYear}}
    SELECT level_id, COUNT(*) AS headcount FROM {{ref "int_baseline_workforce"}} GROUP BY level_id
{{- else}}
    SELECT level_id, COUNT(*) AS headcount FROM {{prev "fct_workforce_snapshot"}}
    WHERE simulation_year = {{.PrevYear}} AND employment_status = 'active' GROUP BY level_id
{{- end}}
)
SELECT {{.Year}} AS simulation_year, cur.level_id, cur.headcount, cur.total_prorated_compensation,
       cur.avg_full_year_compensation, prior.headcount AS prior_headcount,
       cur.headcount / NULLIF(prior.headcount, 0) - 1 AS headcount_growth
FROM cur
LEFT JOIN prior USING (level_id)
