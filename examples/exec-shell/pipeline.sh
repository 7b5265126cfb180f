#!/bin/sh
# A small payroll pipeline written the way many teams write theirs: a shell script that runs a
# DuckDB client once per step on one database file. It is not lockbench: lockbench only starts
# it (the exec workload), reads the spans it writes to $LOCKBENCH_TRACE, and classifies what it
# prints when it fails.
#
# usage: pipeline.sh --db FILE [--employees N] [--years "2025 2026"] [--seed S]
#
# Steps, each one client process: load (a CSV of departments, N generated employees), one
# payroll step per year (that year's raises, then the payroll by department), validate (row
# counts and headcounts; a failed check stops the pipeline with exit status 1).
#
# The client is $DUCKDB (default: duckdb-sql, built from ./duckdb-sql); it must run the SQL on
# its standard input against the file named by its last argument, stop at the first error, exit
# non-zero then, and print the last statement's rows. `DUCKDB='duckdb -bail -csv -noheader'`
# should do the same with the DuckDB CLI (not tested here: the CLI is not installed).
set -eu

DUCKDB=${DUCKDB:-duckdb-sql}
here=$(cd "$(dirname "$0")" && pwd)
db= employees=1000 years=2025 seed=1
while [ $# -gt 0 ]; do
	case $1 in
	--db) db=$2 ;;
	--employees) employees=$2 ;;
	--years) years=$2 ;;
	--seed) seed=$2 ;;
	*)
		echo "pipeline.sh: unknown argument $1; usage: pipeline.sh --db FILE [--employees N] [--years \"2025 2026\"] [--seed S]" >&2
		exit 2
		;;
	esac
	shift 2
done
if [ -z "$db" ]; then
	echo "pipeline.sh: --db FILE is required" >&2
	exit 2
fi
case $employees$seed in *[!0-9-]*)
	echo "pipeline.sh: --employees and --seed take integers" >&2
	exit 2
	;;
esac

# sql_string quotes $1 as an SQL string literal.
sql_string() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }

# Spans are offsets in seconds from the pipeline's start.
t0=$(date +%s%N)
offset() {
	d=$(($(date +%s%N) - t0))
	printf '%d.%09d' $((d / 1000000000)) $((d % 1000000000))
}

# step KIND NAME YEAR runs the SQL on standard input with the client and records a span of
# KIND (model: the pipeline's essential work; validate: its checks).
step() {
	kind=$1 name=$2 year=$3 status=0
	start=$(offset)
	$DUCKDB "$db" || status=$?
	end=$(offset)
	if [ -n "${LOCKBENCH_TRACE:-}" ]; then
		err=
		if [ "$status" -ne 0 ]; then err=",\"error\":\"exit status $status\""; fi
		printf '{"kind":"%s","name":"%s","year":%d,"worker":0,"start_s":%s,"end_s":%s%s}\n' \
			"$kind" "$name" "$year" "$start" "$end" "$err" >>"$LOCKBENCH_TRACE"
	fi
	return "$status"
}

first=${years%% *}
step model load "$first" <<SQL
CREATE OR REPLACE TABLE departments AS
SELECT * FROM read_csv($(sql_string "$here/data/departments.csv"), header = true);
CREATE OR REPLACE TABLE employees AS
SELECT range + 1 AS employee_id,
       (hash(range, $seed) % (SELECT count(*) FROM departments))::INTEGER + 1 AS department_id,
       (40000 + hash(range, $seed, 'salary') % 80000)::DECIMAL(12, 2) AS salary
FROM range($employees);
CREATE OR REPLACE TABLE payroll (year INTEGER, department VARCHAR, headcount BIGINT, total_salary DECIMAL(18, 2));
SQL

nyears=0
for year in $years; do
	nyears=$((nyears + 1))
	step model "payroll-$year" "$year" <<SQL
UPDATE employees SET salary = round(employees.salary * (1 + d.raise_pct / 100), 2)
FROM departments d WHERE d.department_id = employees.department_id;
INSERT INTO payroll
SELECT $year, d.name, count(*), sum(e.salary)
FROM employees e JOIN departments d USING (department_id)
GROUP BY d.name;
SELECT 'payroll ' || year, sum(headcount), sum(total_salary) FROM payroll WHERE year = $year GROUP BY year;
SQL
done

step validate validate "$first" <<SQL
SELECT CASE
  WHEN (SELECT count(*) FROM employees) <> $employees
    THEN error('validate: employees has ' || (SELECT count(*) FROM employees) || ' rows, expected $employees')
  WHEN (SELECT count(DISTINCT year) FROM payroll) <> $nyears
    THEN error('validate: payroll has ' || (SELECT count(DISTINCT year) FROM payroll) || ' years, expected $nyears')
  WHEN EXISTS (SELECT 1 FROM payroll GROUP BY year HAVING sum(headcount) <> $employees)
    THEN error('validate: a year''s payroll headcount is not $employees')
  ELSE 'validate: ok, $employees employees, $nyears years'
END;
SQL
