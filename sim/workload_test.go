package sim

// Tests of the workload's data: every defect found by the audit of issue 8 and the four bugs of
// the original model (docs/workforce-model.md#four-bugs-of-the-original) has a test here that
// computes its expectation independently of the models (in Go, or by another query), and each
// was checked to fail with the defect put back; the comment on each test says how.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/access"
	"lockbench/trace"
	"lockbench/vocab"
)

// fixtureYears include a leap year (2028) and start after the levers' first year, so that a year
// without a lever row of its own (none here) and a leap year are both exercised.
var fixtureYears = []int{2026, 2027, 2028}

var (
	fixtureOnce sync.Once
	fixturePath string
	fixtureErr  error
)

// fixture runs the simulation once for the tests that only read its data, in sequential mode
// (the modes agree: TestEveryModeProducesIdenticalData), and returns a read-only handle on it.
func fixture(t *testing.T) *sql.DB {
	t.Helper()
	fixtureOnce.Do(func() {
		dir, err := os.MkdirTemp("", "lockbench-sim-fixture-")
		if err != nil {
			fixtureErr = err
			return
		}
		fixturePath = filepath.Join(dir, "sim.duckdb")
		_, fixtureErr = validRun(context.Background(), Config{DBPath: fixturePath, Mode: vocab.Sequential, Threads: 1,
			Coordination: true, Employees: 2500, Years: fixtureYears, Seed: 11})
	})
	require.NoError(t, fixtureErr)
	db, err := sql.Open("duckdb", DSN(fixturePath, 0, true))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// runSmall runs a small sequential simulation with the given changes and returns its database.
func runSmall(t *testing.T, change func(*Config)) (*sql.DB, *Result) {
	t.Helper()
	cfg := Config{DBPath: filepath.Join(t.TempDir(), "sim.duckdb"), Mode: vocab.Sequential, Threads: 1, Coordination: true,
		Employees: 1500, Years: []int{2025, 2026}, Seed: 5}
	if change != nil {
		change(&cfg)
	}
	res, err := validRun(context.Background(), cfg)
	require.NoError(t, err)
	db, err := sql.Open("duckdb", DSN(cfg.DBPath, 0, true))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db, res
}

func queryInt(t *testing.T, db *sql.DB, q string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, db.QueryRow(q, args...).Scan(&n), q)
	return n
}

func queryFloat(t *testing.T, db *sql.DB, q string, args ...any) float64 {
	t.Helper()
	var f float64
	require.NoError(t, db.QueryRow(q, args...).Scan(&f), q)
	return f
}

// writeParams writes CSV files (name -> content) into a fresh directory for --params.
func writeParams(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

// leversWith returns the embedded lever table with every row for which match is true given the
// value returned by set.
func leversWith(t *testing.T, set func(scenario, year, level, eventType, name, value string) string) string {
	t.Helper()
	b, err := seedFS.ReadFile("seeds/seed_comp_levers.csv")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i, l := range lines[1:] {
		f := strings.Split(l, ",")
		f[5] = set(f[0], f[1], f[2], f[3], f[4], f[5])
		lines[i+1] = strings.Join(f, ",")
	}
	return strings.Join(lines, "\n") + "\n"
}

// meanRaise is the mean raise share (new/previous - 1) of the year's raise events at a level that
// were not capped (caps are 50% and $250k).
func meanRaise(t *testing.T, db *sql.DB, year, level int) float64 {
	return queryFloat(t, db, `SELECT avg(compensation_amount / previous_compensation - 1) FROM fct_yearly_events
		WHERE event_type = 'raise' AND simulation_year = ? AND level_id = ?`, year, level)
}

// TestLeversApplyByExactName changes the COLA, merit and new-hire levers through --params and
// checks, from the events alone, that each change moves exactly the figures it should.
// Checked to fail: with int_hazard_merit taking COLA from the COLA-by-year table again, the COLA
// difference is 0; with the merit lever matched as 'raise' instead of 'RAISE', the merit
// difference is 0 (the original's case bug).
func TestLeversApplyByExactName(t *testing.T) {
	base, _ := runSmall(t, nil)
	levers := leversWith(t, func(scenario, year, level, et, name, v string) string {
		switch {
		case scenario == "default" && et == "RAISE" && name == "cola_rate":
			return "0.055" // +5 points everywhere
		case scenario == "default" && et == "RAISE" && name == "merit_base" && level == "2" && year == "2026":
			return "0.1279" // +10 points for level 2 in 2026 only
		case scenario == "default" && et == "HIRE" && name == "new_hire_salary_adjustment" && level == "1":
			return "1.2" // level 1 hires at 1.2 instead of 1.149
		}
		return v
	})
	changed, _ := runSmall(t, func(c *Config) { c.ParamsDir = writeParams(t, map[string]string{"seed_comp_levers.csv": levers}) })

	// COLA: +0.05 at a level whose merit lever did not change (level 1 in 2025 has no prior change).
	assert.InDelta(t, 0.05, meanRaise(t, changed, 2025, 1)-meanRaise(t, base, 2025, 1), 0.002, "COLA lever")
	assert.InDelta(t, 0.05, meanRaise(t, changed, 2026, 3)-meanRaise(t, base, 2026, 3), 0.002, "COLA lever")
	// Merit: level 2 in 2026 gains 10 more points; 2025 only the COLA's 5.
	assert.InDelta(t, 0.15, meanRaise(t, changed, 2026, 2)-meanRaise(t, base, 2026, 2), 0.002, "merit lever")
	assert.InDelta(t, 0.05, meanRaise(t, changed, 2025, 2)-meanRaise(t, base, 2025, 2), 0.002, "merit lever of another year")
	// New-hire salary adjustment: level-1 hires earn 1.2/1.149 times as much at the same seq.
	ratio := func(db *sql.DB) float64 {
		return queryFloat(t, db, `SELECT avg(compensation_amount) FROM fct_yearly_events WHERE event_type = 'hire' AND level_id = 1 AND simulation_year = 2025`)
	}
	assert.InDelta(t, 1.2/1.149, ratio(changed)/ratio(base), 0.001, "new-hire salary lever")
}

// TestScenarioIsAppliedAndRecorded checks that --scenario selects the scenario's levers (the
// embedded "baseline" raises level 1's 2026 merit from 3.77% to 4%) and that every event records
// the scenario applied. Checked to fail with parameter_scenario_id hard-coded to 'default'.
func TestScenarioIsAppliedAndRecorded(t *testing.T) {
	base, _ := runSmall(t, nil)
	scen, _ := runSmall(t, func(c *Config) { c.Scenario = "baseline" })
	for _, tc := range []struct {
		db   *sql.DB
		want string
	}{{base, "default"}, {scen, "baseline"}} {
		var ids []string
		rows, err := tc.db.Query("SELECT DISTINCT parameter_scenario_id FROM fct_yearly_events")
		require.NoError(t, err)
		for rows.Next() {
			var s string
			require.NoError(t, rows.Scan(&s))
			ids = append(ids, s)
		}
		rows.Close()
		assert.Equal(t, []string{tc.want}, ids)
	}
	assert.InDelta(t, 0.04-0.0377, meanRaise(t, scen, 2026, 1)-meanRaise(t, base, 2026, 1), 0.001)
	assert.InDelta(t, 0, meanRaise(t, scen, 2025, 1)-meanRaise(t, base, 2025, 1), 1e-9, "2025 has no baseline override")

	cfg := Config{DBPath: filepath.Join(t.TempDir(), "x.duckdb"), Mode: vocab.Sequential, Threads: 1, Employees: 100, Years: []int{2025}, Scenario: "nope"}
	_, err := cfg.Validate()
	require.Error(t, err)
	assert.True(t, IsInputError(err))
	assert.Contains(t, err.Error(), `"nope" is not a parameter scenario`)
	assert.Contains(t, err.Error(), "baseline, default")
}

// TestNoEventsAfterTermination counts, from the events table, promotions, raises and enrollment
// events dated after the same employee's termination in the same year. Checked to fail (907
// raises, 33 promotions, 68 enrollment events at 5,000 × 5 years) with the event models no
// longer joining the year's terminations.
func TestNoEventsAfterTermination(t *testing.T) {
	db := fixture(t)
	n := queryInt(t, db, `SELECT count(*) FROM fct_yearly_events e JOIN fct_yearly_events t
		ON t.employee_id = e.employee_id AND t.simulation_year = e.simulation_year AND t.event_type = 'termination'
		WHERE e.event_type IN ('promotion', 'raise', 'enrollment', 'enrollment_change') AND e.effective_date > t.effective_date`)
	assert.Zero(t, n)
	// The filter must not remove everything: people terminated late in the year still got their
	// earlier raises.
	assert.Positive(t, queryInt(t, db, `SELECT count(*) FROM fct_yearly_events e JOIN fct_yearly_events t
		ON t.employee_id = e.employee_id AND t.simulation_year = e.simulation_year AND t.event_type = 'termination'
		WHERE e.event_type = 'raise' AND e.effective_date <= t.effective_date`))
}

// salaryEvent is one salary change of an employee in a year, read back from the events table.
type salaryEvent struct {
	date     time.Time
	ord      int // promotion 1, raise 2 (a raise on a promotion's day comes after it)
	previous float64
	amount   float64
}

// TestProrationFromEvents recomputes every full-year employee's prorated pay in Go from the
// year's salary events (in date order, over the year's real length) and compares it with the
// snapshot; it also checks that each raise and promotion starts from the salary in force on its
// date. Checked to fail: with proration over 365 days, 2028 differs (leap year; 695 employees
// paid above their full-year salary at 5,000); with raises always applied to the post-promotion
// salary, January raises before the February promotion break the chain of salaries.
func TestProrationFromEvents(t *testing.T) {
	db := fixture(t)
	for _, year := range fixtureYears {
		events := map[string][]salaryEvent{}
		rows, err := db.Query(`SELECT employee_id, effective_date, event_type, CAST(previous_compensation AS DOUBLE), CAST(compensation_amount AS DOUBLE)
			FROM fct_yearly_events WHERE simulation_year = ? AND event_type IN ('promotion', 'raise')`, year)
		require.NoError(t, err)
		for rows.Next() {
			var id, typ string
			var e salaryEvent
			require.NoError(t, rows.Scan(&id, &e.date, &typ, &e.previous, &e.amount))
			e.ord = 2
			if typ == "promotion" {
				e.ord = 1
			}
			events[id] = append(events[id], e)
		}
		rows.Close()
		rows, err = db.Query(`SELECT employee_id, CAST(current_compensation AS DOUBLE), CAST(prorated_annual_compensation AS DOUBLE),
			CAST(full_year_equivalent_compensation AS DOUBLE)
			FROM fct_workforce_snapshot WHERE simulation_year = ? AND termination_date IS NULL AND hire_date < make_date(?, 1, 1)`, year, year)
		require.NoError(t, err)
		days := float64(time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC).YearDay())
		checked, chained := 0, 0
		for rows.Next() {
			var id string
			var start, prorated, fye float64
			require.NoError(t, rows.Scan(&id, &start, &prorated, &fye))
			evs := events[id]
			sort.Slice(evs, func(i, j int) bool {
				if !evs[i].date.Equal(evs[j].date) {
					return evs[i].date.Before(evs[j].date)
				}
				return evs[i].ord < evs[j].ord
			})
			from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
			salary, want := start, 0.0
			for _, e := range evs {
				// Each change starts from the salary in force on its date.
				if !assert.InDelta(t, salary, e.previous, 0.005, "%s %d: change on %s starts from the salary in force", id, year, e.date.Format(time.DateOnly)) {
					return
				}
				want += salary * e.date.Sub(from).Hours() / 24 / days
				from, salary = e.date, e.amount
				if len(evs) > 1 {
					chained++
				}
			}
			want += salary * (time.Date(year+1, 1, 1, 0, 0, 0, 0, time.UTC).Sub(from).Hours() / 24) / days
			// Each period is rounded to the cent.
			if !assert.InDelta(t, want, prorated, 0.02*float64(len(evs)+1), "%s %d: prorated pay", id, year) {
				return
			}
			assert.InDelta(t, salary, fye, 0.005, "%s %d: full-year salary is the last change", id, year)
			checked++
		}
		rows.Close()
		assert.Greater(t, checked, 1000, "year %d", year)
		assert.Positive(t, chained, "year %d has employees with a promotion and a raise", year)
	}
}

// TestNewEnrolleesGetADeferralRate checks that everyone enrolled at year end has a positive
// deferral rate and that new enrollees' rates are among their age segment's assumptions.
// Checked to fail (42% of enrolled actives at 0% by 2029) with enrollment leaving the rate at 0.
func TestNewEnrolleesGetADeferralRate(t *testing.T) {
	db := fixture(t)
	assert.Zero(t, queryInt(t, db, "SELECT count(*) FROM fct_workforce_snapshot WHERE is_enrolled AND NOT deferral_rate > 0"))
	assert.Positive(t, queryInt(t, db, "SELECT count(*) FROM fct_yearly_events WHERE event_type = 'enrollment'"))
	// Every new enrollee's rate is one of the rates the assumptions offer (read from the seed).
	assert.Zero(t, queryInt(t, db, `SELECT count(*) FROM fct_yearly_events e
		WHERE e.event_type = 'enrollment' AND NOT EXISTS (
			SELECT 1 FROM seed_deferral_rates d WHERE CAST(d.deferral_rate AS DECIMAL(6, 4)) = e.employee_deferral_rate)`))
	assert.Zero(t, queryInt(t, db, `SELECT count(*) FROM fct_workforce_snapshot s JOIN fct_yearly_events e USING (employee_id, simulation_year)
		WHERE e.event_type = 'enrollment' AND s.is_enrolled AND s.deferral_rate <> e.employee_deferral_rate`))
}

// TestAgesFollowTheCensusConvention checks every snapshot row in Go: age is the number of years
// from the birth year to the end of the previous year (the census's convention: the baseline's
// age is taken on the census year's last day), and continuing employees age exactly one year
// per year. Checked to fail: new hires born Jan 1 - age×365 days (one year younger than the
// convention); age or tenure advanced twice (the original's double increment).
func TestAgesFollowTheCensusConvention(t *testing.T) {
	db := fixture(t)
	rows, err := db.Query("SELECT employee_id, simulation_year, birth_date, current_age, detailed_status_code FROM fct_workforce_snapshot")
	require.NoError(t, err)
	defer rows.Close()
	bad := map[string]int{}
	n := 0
	for rows.Next() {
		var id, status string
		var year, age int
		var birth time.Time
		require.NoError(t, rows.Scan(&id, &year, &birth, &age, &status))
		if (year-1)-birth.Year() != age {
			bad[status]++
		}
		n++
	}
	require.NoError(t, rows.Err())
	assert.Empty(t, bad, "rows whose age disagrees with their birth year, by status")
	assert.Greater(t, n, 5000)
	// Aged once: the same person one year later is exactly one year older and one year longer in
	// service.
	assert.Zero(t, queryInt(t, db, `SELECT count(*) FROM fct_workforce_snapshot a JOIN fct_workforce_snapshot b
		ON b.employee_id = a.employee_id AND b.simulation_year = a.simulation_year + 1
		WHERE b.current_age <> a.current_age + 1 OR b.current_tenure <> a.current_tenure + 1`))
	assert.Positive(t, queryInt(t, db, `SELECT count(*) FROM fct_workforce_snapshot a JOIN fct_workforce_snapshot b
		ON b.employee_id = a.employee_id AND b.simulation_year = a.simulation_year + 1`))
}

// TestNoReenrollment checks that nobody enrolled at the end of a year (and who did not opt out)
// enrols again the next year. Checked to fail with int_comp_by_year dropping is_enrolled (the
// original's bug: everyone re-eligible every year).
func TestNoReenrollment(t *testing.T) {
	db := fixture(t)
	assert.Zero(t, queryInt(t, db, `SELECT count(*) FROM fct_workforce_snapshot s JOIN fct_yearly_events e
		ON e.employee_id = s.employee_id AND e.simulation_year = s.simulation_year + 1
		WHERE s.is_enrolled AND e.event_type = 'enrollment'`))
	// Enrolling twice needs an opt-out in between.
	assert.Zero(t, queryInt(t, db, `SELECT count(*) FROM (SELECT employee_id FROM fct_yearly_events
		WHERE event_type IN ('enrollment', 'enrollment_change') GROUP BY employee_id
		HAVING count(*) FILTER (WHERE event_type = 'enrollment') > 1 AND count(*) FILTER (WHERE event_type = 'enrollment_change') = 0)`))
}

// TestTerminationDrawIsKeyedByYear runs the termination model for two different years on the
// same starting population: with draws keyed by year the two sets of leavers mostly differ;
// without the year in the key (the original's bug) the same people sort first every year and
// the sets are identical. Checked to fail (overlap 1.0) with the year removed from the draw.
func TestTerminationDrawIsKeyedByYear(t *testing.T) {
	db := fixture(t)
	models, err := LoadModels()
	require.NoError(t, err)
	p, err := BuildPlan(Config{Years: fixtureYears, Coordination: true, Seed: 11}, models)
	require.NoError(t, err)
	sets := map[int]map[string]bool{}
	conn, err := db.Conn(context.Background())
	require.NoError(t, err)
	defer conn.Close()
	// The read-only handle cannot create tables: run the model's SELECT as a query instead.
	for _, y := range []int{2027, 2028} {
		n, ok := p.Node(fmt.Sprintf("int_termination_events@%d", y))
		require.True(t, ok)
		q := strings.Replace(n.SQL, "CREATE OR REPLACE TABLE int_termination_events AS", "", 1)
		rows, err := conn.QueryContext(context.Background(), "SELECT employee_id FROM ("+q+")")
		require.NoError(t, err)
		sets[y] = map[string]bool{}
		for rows.Next() {
			var id string
			require.NoError(t, rows.Scan(&id))
			sets[y][id] = true
		}
		rows.Close()
	}
	inter := 0
	for id := range sets[2027] {
		if sets[2028][id] {
			inter++
		}
	}
	union := len(sets[2027]) + len(sets[2028]) - inter
	require.Positive(t, len(sets[2027]))
	assert.Less(t, float64(inter)/float64(union), 0.6, "leavers of two years on one population overlap too much")
}

// TestFingerprintCountsMultiplicity changes a copy of a finished database in ways an XOR of row
// hashes cannot see, and in tables beyond the two fact tables. Checked to fail with bit_xor in
// place of the sum (a duplicated pair of rows leaves it unchanged).
func TestFingerprintCountsMultiplicity(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (several full runs): skipped by -short, run by CI")
	}
	fixture(t)
	ctx := context.Background()
	fingerprintAfter := func(t *testing.T, change string) string {
		// Copy the fixture with DuckDB itself (never by reading the file in a process that may
		// hold it: that would drop its lock).
		path := filepath.Join(t.TempDir(), "copy.duckdb")
		db, err := sql.Open("duckdb", path)
		require.NoError(t, err)
		defer db.Close()
		_, err = db.Exec(fmt.Sprintf("ATTACH '%s' AS src (READ_ONLY); COPY FROM DATABASE src TO copy; DETACH src", fixturePath))
		require.NoError(t, err)
		if change != "" {
			_, err = db.Exec(change)
			require.NoError(t, err)
		}
		fp, err := Fingerprint(ctx, db)
		require.NoError(t, err)
		return fp
	}
	orig := fingerprintAfter(t, "")
	for name, change := range map[string]string{
		"one row twice": "INSERT INTO fct_yearly_events SELECT * FROM fct_yearly_events LIMIT 1",
		"a pair of identical extra rows": `INSERT INTO fct_workforce_snapshot SELECT * FROM fct_workforce_snapshot LIMIT 1;
			INSERT INTO fct_workforce_snapshot SELECT * FROM fct_workforce_snapshot LIMIT 1`,
		"every row twice, as pairs": "INSERT INTO dq_results SELECT * FROM dq_results",
		"a check result changed":    "UPDATE dq_results SET observed = observed + 1 WHERE check_name = 'continuity'",
		"a mart row lost":           "DELETE FROM mart_comp_growth WHERE level_id = 3 AND simulation_year = 2027",
		"an intermediate changed":   "UPDATE int_hazard_merit SET merit_rate = merit_rate + 0.01 WHERE level_id = 1",
	} {
		t.Run(name, func(t *testing.T) {
			assert.NotEqual(t, orig, fingerprintAfter(t, change))
		})
	}
	// The same number of rows, but a different row twice: an XOR of row hashes cancels each pair
	// and cannot tell the two apart (nor either from no pair at all, but for the count).
	pair := func(offset int) string {
		return fmt.Sprintf(`INSERT INTO fct_yearly_events SELECT * FROM fct_yearly_events ORDER BY employee_id, simulation_year, event_sequence LIMIT 1 OFFSET %[1]d;
			INSERT INTO fct_yearly_events SELECT * FROM fct_yearly_events ORDER BY employee_id, simulation_year, event_sequence LIMIT 1 OFFSET %[1]d`, offset)
	}
	assert.NotEqual(t, fingerprintAfter(t, pair(0)), fingerprintAfter(t, pair(100)), "a pair of one row vs a pair of another")
	// Timestamps are not data: the same rows written at another time fingerprint the same.
	assert.Equal(t, orig, fingerprintAfter(t, "UPDATE fct_yearly_events SET created_at = now() + INTERVAL 1 DAY"))
}

// TestCensusRoundTrip exports a run's census with DuckDB's COPY and feeds it back with --census:
// the result is the same data, fingerprint for fingerprint.
func TestCensusRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (several full runs): skipped by -short, run by CI")
	}
	first, res := runSmall(t, nil)
	for _, ext := range []string{"csv", "parquet"} {
		t.Run(ext, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "census."+ext)
			opts := "(HEADER)"
			if ext == "parquet" {
				opts = "(FORMAT parquet)"
			}
			_, err := first.Exec(fmt.Sprintf("COPY raw_census TO '%s' %s", file, opts))
			require.NoError(t, err)
			_, again := runSmall(t, func(c *Config) { c.CensusPath = file; c.Employees = 10 })
			assert.Equal(t, res.Fingerprint, again.Fingerprint)
		})
	}
}

func TestBadParamsAndCensusAreInputErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"unknown file", map[string]string{"seed_nope.csv": "a\n1\n"}, "seed_nope.csv: not a parameter table"},
		{"missing column", map[string]string{"seed_simulation_config.csv": "target_growth_rate\n0.03\n"}, "seed_simulation_config.csv:1: column total_termination_rate: is missing"},
		{"extra column", map[string]string{"seed_cola_by_year.csv": "year,cola_rate,colour\n2025,0.02,red\n"}, "seed_cola_by_year.csv:1: column colour: is not a column of seed_cola_by_year"},
		{"bad value", map[string]string{"seed_cola_by_year.csv": "year,cola_rate\n2025,0.02\n2026,two\n"}, `seed_cola_by_year.csv:3: column cola_rate: "two" is not a number`},
		{"columns in another order are fine", map[string]string{"seed_cola_by_year.csv": "cola_rate,year\n0.02,2025\n"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadParams(writeParams(t, tc.files))
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.True(t, IsInputError(err))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	census := []struct {
		name, content, want string
	}{
		{"missing column", "employee_id,birth_date\nE1,1980-01-01\n", "missing column(s) employee_ssn, hire_date"},
		{"bad date", "employee_id,employee_ssn,birth_date,hire_date,termination_date,gross_compensation,deferral_rate\nE1,S1,1980-01-01,2010-01-01,,50000,0.05\nE2,S2,1980-13-01,2010-01-01,,50000,0.05\n",
			`census.csv:3: column birth_date: "1980-13-01" is not a date`},
		{"missing value", "employee_id,employee_ssn,birth_date,hire_date,termination_date,gross_compensation,deferral_rate\nE1,S1,1980-01-01,2010-01-01,,,0.05\n",
			"census.csv:2: column gross_compensation: a value is required"},
	}
	for _, tc := range census {
		t.Run("census "+tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "census.csv")
			require.NoError(t, os.WriteFile(file, []byte(tc.content), 0o644))
			_, err := InspectCensusFile(context.Background(), file)
			require.Error(t, err)
			assert.True(t, IsInputError(err))
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestBrokenCheckFailsTheRunInEveryMode makes the growth check impossible to pass (a negative
// tolerance, through --params) and checks that every mode and both coordination settings stop
// with a DQError naming the check, the year and the figures. Checked to fail with coordination
// on before validate_year existed (the run said ok).
func TestBrokenCheckFailsTheRunInEveryMode(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (several full runs): skipped by -short, run by CI")
	}
	params := writeParams(t, map[string]string{"seed_simulation_config.csv": "target_growth_rate,total_termination_rate,new_hire_termination_rate,max_raise_pct,max_raise_amount,new_hire_salary_adjustment_default,growth_tolerance\n0.03,0.12,0.25,0.50,250000,1.149,-1\n"})
	for _, mode := range vocab.Modes {
		for _, coord := range []bool{true, false} {
			if !coord && (mode == vocab.ParallelProcesses || mode == vocab.ProcessPerModel) && testing.Short() {
				continue
			}
			t.Run(fmt.Sprintf("%s/coordination=%v", mode, coord), func(t *testing.T) {
				cfg := smallConfig(t, mode, coord)
				cfg.Employees, cfg.Years, cfg.ParamsDir = 200, []int{2025}, params
				if mode == vocab.ParallelProcesses {
					r := access.DefaultRetry
					cfg.LockRetry = &r
				}
				_, err := validRun(context.Background(), cfg)
				var dq *DQError
				require.True(t, errors.As(err, &dq), "want a DQError, got %v", err)
				assert.Equal(t, "growth", dq.Check)
				assert.Equal(t, 2025, dq.Year)
				require.NotNil(t, dq.Observed)
				require.NotNil(t, dq.Expected)
				assert.InDelta(t, 0.03, *dq.Expected, 1e-9)
				assert.Contains(t, err.Error(), "data-quality check growth failed for 2025: observed 0.0")
			})
		}
	}
}

// TestEssentialWorkIsTheSameInBothCoordinationSettings runs both settings and compares the sets
// of essential model spans (name and year): the baseline and the candidate of the S031-04
// comparison do the same essential SQL and differ only in orchestration.
func TestEssentialWorkIsTheSameInBothCoordinationSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (several full runs): skipped by -short, run by CI")
	}
	essential := func(coord bool) map[string]int {
		cfg := smallConfig(t, vocab.Sequential, coord)
		cfg.Employees = 200
		res, err := validRun(context.Background(), cfg)
		require.NoError(t, err)
		set := map[string]int{}
		for _, s := range res.Spans {
			if s.Kind == trace.Model {
				set[fmt.Sprintf("%s@%d", s.Name, s.Year)]++
			}
		}
		return set
	}
	on, off := essential(true), essential(false)
	assert.Equal(t, on, off)
	assert.Greater(t, len(on), 50)
	for k, n := range on {
		assert.Equal(t, 1, n, "%s is built once as essential work", k)
	}
}

// TestStartHeadcountIsCountedIndependently checks that each year starts where the previous one
// ended, with both figures counted from different rows (the start from the year's own snapshot).
// Checked to fail with a snapshot that drops a continuing employee (the counts then differ).
func TestStartHeadcountIsCountedIndependently(t *testing.T) {
	db := fixture(t)
	ys, err := PerYear(context.Background(), db)
	require.NoError(t, err)
	require.Len(t, ys, len(fixtureYears))
	assert.Equal(t, queryInt(t, db, "SELECT count(*) FROM int_baseline_workforce"), ys[0].ActiveStart)
	for i := 1; i < len(ys); i++ {
		assert.Equal(t, ys[i-1].ActiveEnd, ys[i].ActiveStart, "year %d starts where %d ended", ys[i].Year, ys[i-1].Year)
	}
	for _, y := range ys {
		assert.Equal(t, y.ActiveEnd, y.ActiveStart-y.Terminations+y.Hires-y.NewHireTerminations, "continuity in %d", y.Year)
		assert.InDelta(t, 0.03, y.Growth, 0.01)
	}
}
