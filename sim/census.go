package sim

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// CensusRow is one employee record of the generated census.
type CensusRow struct {
	EmployeeID        string
	SSN               string
	BirthDate         time.Time
	HireDate          time.Time
	TerminationDate   *time.Time
	GrossCompensation float64 // whole hundreds of dollars
	DeferralRate      float64 // 0 for non-participants, else 0.03–0.15
}

// census level bands (level mix 35/30/20/10/5 %, uniform compensation within the band).
var censusLevels = []struct {
	share    float64
	min, max float64
}{
	{0.35, 50000, 70000},
	{0.30, 65000, 90000},
	{0.20, 85000, 120000},
	{0.10, 110000, 180000},
	{0.05, 170000, 350000},
}

// duplicateShare is the share of employees that appear twice in the census (an older hire
// record), so staging's de-duplication has real work to do.
const duplicateShare = 0.005

// GenerateCensus returns a deterministic census of n employees for the year before startYear:
// ages ~ N(38, 10) clamped to 22–65, tenure ~ Exp(mean 5) clamped to 0–30 (and to age − 18),
// compensation uniform within the level's band rounded to $100 (paid pro rata for people hired
// during the census year), 13% terminated during the census
// year, 80% participating in the plan with a deferral rate of 3–15%.
func GenerateCensus(n int, seed int64, censusYear int) []CensusRow {
	rows := make([]CensusRow, 0, n+n/100)
	for r := range censusRows(n, seed, censusYear) {
		rows = append(rows, r)
	}
	return rows
}

// censusRows yields the rows of GenerateCensus one at a time, so that a census can be loaded
// without holding it in memory (a million rows are about 150 MB as CensusRow values).
func censusRows(n int, seed int64, censusYear int) iter.Seq[CensusRow] {
	return func(yield func(CensusRow) bool) {
		rng := rand.New(rand.NewPCG(uint64(seed), 0x6c6f636b62656e63)) // "lockbenc"
		yearEnd := time.Date(censusYear, 12, 31, 0, 0, 0, 0, time.UTC)
		for i := 1; i <= n; i++ {
			if !censusRow(rng, i, censusYear, yearEnd, yield) {
				return
			}
		}
	}
}

// censusRow draws employee i and yields it (and, for some, an older duplicate record).
func censusRow(rng *rand.Rand, i, censusYear int, yearEnd time.Time, yield func(CensusRow) bool) bool {
	u := rng.Float64()
	lvl := len(censusLevels) - 1
	for j, acc := 0, 0.0; j < len(censusLevels); j++ {
		acc += censusLevels[j].share
		if u < acc {
			lvl = j
			break
		}
	}
	band := censusLevels[lvl]
	age := clampF(38+10*rng.NormFloat64(), 22, 65)
	tenure := clampF(rng.ExpFloat64()*5, 0, math.Min(30, age-18))
	birth := yearEnd.AddDate(0, 0, -int(age*365.25))
	hire := yearEnd.AddDate(0, 0, -int(tenure*365.25))
	comp := math.Round((band.min+rng.Float64()*(band.max-band.min))/100) * 100
	if start := time.Date(censusYear, 1, 1, 0, 0, 0, 0, time.UTC); hire.After(start) {
		// Gross pay of someone hired during the census year covers only the days worked;
		// staging annualises it back.
		days := yearEnd.Sub(hire).Hours()/24 + 1
		comp = math.Round(comp*days/365/100) * 100
		comp = math.Max(comp, 100)
	}
	r := CensusRow{
		EmployeeID:        fmt.Sprintf("EMP_%06d", i),
		SSN:               fmt.Sprintf("SSN-%09d", 100000000+i),
		BirthDate:         birth,
		HireDate:          hire,
		GrossCompensation: comp,
	}
	if rng.Float64() < 0.13 {
		earliest := hire
		if start := time.Date(censusYear, 1, 1, 0, 0, 0, 0, time.UTC); earliest.Before(start) {
			earliest = start
		}
		span := int(yearEnd.Sub(earliest).Hours() / 24)
		t := earliest.AddDate(0, 0, rng.IntN(span+1))
		r.TerminationDate = &t
	}
	if rng.Float64() < 0.80 {
		r.DeferralRate = math.Round((0.03+rng.Float64()*0.12)*10000) / 10000
	}
	if !yield(r) {
		return false
	}
	if rng.Float64() < duplicateShare {
		old := r
		old.HireDate = hire.AddDate(-2, 0, 0)
		old.GrossCompensation = math.Round(comp*0.9/100) * 100
		return yield(old)
	}
	return true
}

func clampF(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// loadCensus replaces raw_census with rows, appended through DuckDB's appender as they come.
func loadCensus(ctx context.Context, conn *sql.Conn, rows iter.Seq[CensusRow]) error {
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TABLE raw_census (
		employee_id VARCHAR, employee_ssn VARCHAR, birth_date DATE, hire_date DATE,
		termination_date DATE, gross_compensation DOUBLE, deferral_rate DOUBLE)`); err != nil {
		return fmt.Errorf("create raw_census: %w", err)
	}
	return conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "raw_census")
		if err != nil {
			return fmt.Errorf("appender: %w", err)
		}
		for r := range rows {
			var term any
			if r.TerminationDate != nil {
				term = *r.TerminationDate
			}
			if err := app.AppendRow(r.EmployeeID, r.SSN, r.BirthDate, r.HireDate, term, r.GrossCompensation, r.DeferralRate); err != nil {
				app.Close()
				return fmt.Errorf("append census: %w", err)
			}
		}
		return app.Close()
	})
}

// CensusColumn is one column of raw_census, the table the census step writes.
type CensusColumn struct {
	Name     string
	Type     string // DuckDB type
	Required bool   // a value must be present in every row
}

// CensusColumns are the columns a census file (--census) must have: those of raw_census, so a
// census exported from a run (COPY raw_census TO 'census.csv' (HEADER)) reads back unchanged.
// Other columns in the file are ignored.
var CensusColumns = []CensusColumn{
	{"employee_id", "VARCHAR", true},
	{"employee_ssn", "VARCHAR", false},
	{"birth_date", "DATE", true},
	{"hire_date", "DATE", true},
	{"termination_date", "DATE", false},
	{"gross_compensation", "DOUBLE", true},
	{"deferral_rate", "DOUBLE", true},
}

// censusSource is the DuckDB table function that reads a census file, every value as text for
// CSV (so that a bad value can be named with its line) and as stored for Parquet.
func censusSource(path string) (string, bool) {
	q := "'" + strings.ReplaceAll(path, "'", "''") + "'"
	if strings.HasSuffix(strings.ToLower(path), ".parquet") {
		return "read_parquet(" + q + ")", false
	}
	return "read_csv(" + q + ", header = true, all_varchar = true)", true
}

// DedupRule is the record staging keeps of an employee id that appears more than once in the
// census: the rule of stg_census.sql (QUALIFY ROW_NUMBER() OVER (PARTITION BY employee_id ORDER
// BY hire_date DESC, gross_compensation DESC) = 1). Records tied on both are kept in no defined
// order: staging keeps any one of them.
const DedupRule = "the record with the latest hire_date, and of those the highest gross_compensation"

// CensusInfo describes a census file as staging will read it.
type CensusInfo struct {
	// Path is the file's absolute path.
	Path string `json:"path"`
	// Records is the number of records (data lines of a CSV, rows of a Parquet file).
	Records int `json:"records"`
	// Employees is the number of distinct employee ids: the census size, since staging keeps
	// one record per id (DedupRule).
	Employees int `json:"employees"`
	// DuplicateIDs is the number of employee ids with more than one record; Dropped is the
	// number of records staging drops because of them (Records - Employees).
	DuplicateIDs int `json:"duplicate_ids"`
	Dropped      int `json:"dropped"`
	// Ties is the number of duplicated ids whose best records are tied on hire_date and
	// gross_compensation, so that which of them staging keeps is not defined.
	Ties int `json:"ties"`
	// Duplicates are the first duplicated ids (at most MaxCensusDuplicates, in the order of
	// their first record), with the record staging keeps and those it drops.
	Duplicates []CensusDuplicate `json:"duplicates,omitempty"`
}

// CensusDuplicate is one employee id with several records in a census file. Records are named
// by their line in a CSV file (the header is line 1) or their 1-based row in a Parquet file.
type CensusDuplicate struct {
	EmployeeID string `json:"employee_id"`
	Kept       int    `json:"kept"`
	Dropped    []int  `json:"dropped"`
	// Tie is set when another record of the id has the kept one's hire_date and
	// gross_compensation: staging may keep that one instead.
	Tie bool `json:"tie,omitempty"`
}

// MaxCensusDuplicates bounds CensusInfo.Duplicates.
const MaxCensusDuplicates = 5

// InspectCensusFile makes sure a census file can be read and has every column of CensusColumns
// with a value of the right type (and a value at all where one is required) in every row, and
// describes it: its records, its employees and the duplicated employee ids staging will
// de-duplicate (DedupRule). It reads the file with an in-memory DuckDB and returns an
// InputError naming the file, the line (the row for Parquet) and the column of the first
// problem.
func InspectCensusFile(ctx context.Context, path string) (CensusInfo, error) {
	info := CensusInfo{Path: path}
	if st, err := os.Stat(path); err != nil {
		return info, &InputError{Path: path, Msg: "cannot read the census file: " + errors.Unwrap(err).Error()}
	} else if st.IsDir() {
		return info, &InputError{Path: path, Msg: "is a directory; --census takes a CSV or Parquet file"}
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return info, err
	}
	defer db.Close()
	src, isCSV := censusSource(path)
	rows, err := db.QueryContext(ctx, "SELECT column_name FROM (DESCRIBE SELECT * FROM "+src+")")
	if err != nil {
		return info, &InputError{Path: path, Msg: "DuckDB cannot read it as a census (CSV with a header line, or a .parquet file): " + firstLine(err.Error())}
	}
	have := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return info, err
		}
		have[c] = true
	}
	rows.Close()
	var missing []string
	for _, c := range CensusColumns {
		if !have[c.Name] {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		return info, &InputError{Path: path, Msg: fmt.Sprintf("missing column(s) %s; a census needs %s", strings.Join(missing, ", "), censusColumnList())}
	}
	// line turns a 1-based record number into what messages name: a CSV line or a Parquet row.
	line := func(rn int) int {
		if isCSV {
			return rn + 1 // the header is line 1
		}
		return rn
	}
	for _, c := range CensusColumns {
		bad := fmt.Sprintf("%q IS NOT NULL AND TRY_CAST(%[1]q AS %s) IS NULL", c.Name, c.Type)
		if c.Required {
			bad = fmt.Sprintf("%q IS NULL OR (%s)", c.Name, bad)
		}
		q := fmt.Sprintf("SELECT rn, CAST(%q AS VARCHAR) FROM (SELECT *, row_number() OVER () AS rn FROM %s) WHERE %s ORDER BY rn LIMIT 1", c.Name, src, bad)
		var rn int
		var v sql.NullString
		err := db.QueryRowContext(ctx, q).Scan(&rn, &v)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return info, &InputError{Path: path, Msg: "DuckDB cannot read it: " + firstLine(err.Error())}
		}
		msg := fmt.Sprintf("%q is not a %s", v.String, strings.ToLower(c.Type))
		if !v.Valid {
			msg = "a value is required"
		}
		if !isCSV {
			return info, &InputError{Path: path, Column: c.Name, Msg: msg + fmt.Sprintf(" (row %d)", rn)}
		}
		return info, &InputError{Path: path, Line: line(rn), Column: c.Name, Msg: msg}
	}
	if err := censusDuplicates(ctx, db, src, &info); err != nil {
		return info, &InputError{Path: path, Msg: "DuckDB cannot read it: " + firstLine(err.Error())}
	}
	for i := range info.Duplicates {
		d := &info.Duplicates[i]
		d.Kept = line(d.Kept)
		for j := range d.Dropped {
			d.Dropped[j] = line(d.Dropped[j])
		}
	}
	return info, nil
}

// censusRanked ranks the records of each employee id of a (checked) census source as staging
// does (DedupRule), numbering records in file order (rn) and counting each id's records (n) and
// the records tied with its kept one (tied).
const censusRanked = `WITH t AS (
	SELECT row_number() OVER () AS rn, CAST(employee_id AS VARCHAR) AS id,
	       TRY_CAST(hire_date AS DATE) AS hd, TRY_CAST(gross_compensation AS DOUBLE) AS gc
	FROM %s),
r AS (
	SELECT *, row_number() OVER (PARTITION BY id ORDER BY hd DESC, gc DESC, rn) AS k,
	       count(*) OVER (PARTITION BY id) AS n,
	       count(*) OVER (PARTITION BY id, hd, gc) AS same
	FROM t)
`

// censusDuplicates fills info's counts and its first duplicated ids.
func censusDuplicates(ctx context.Context, db *sql.DB, src string, info *CensusInfo) error {
	ranked := fmt.Sprintf(censusRanked, src)
	err := db.QueryRowContext(ctx, ranked+`SELECT count(*), count(*) FILTER (k = 1),
		count(*) FILTER (k = 1 AND n > 1), count(*) FILTER (k = 1 AND n > 1 AND same > 1) FROM r`).
		Scan(&info.Records, &info.Employees, &info.DuplicateIDs, &info.Ties)
	if err != nil {
		return err
	}
	info.Dropped = info.Records - info.Employees
	if info.DuplicateIDs == 0 {
		return nil
	}
	rows, err := db.QueryContext(ctx, ranked+fmt.Sprintf(`SELECT id, max(rn) FILTER (k = 1), list(rn ORDER BY rn) FILTER (k > 1),
		bool_or(k = 1 AND same > 1)
		FROM r WHERE n > 1 GROUP BY id ORDER BY min(rn) LIMIT %d`, MaxCensusDuplicates))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var d CensusDuplicate
		var dropped duckdb.Composite[[]int]
		if err := rows.Scan(&d.EmployeeID, &d.Kept, &dropped, &d.Tie); err != nil {
			return err
		}
		d.Dropped = dropped.Get()
		info.Duplicates = append(info.Duplicates, d)
	}
	return rows.Err()
}

func censusColumnList() string {
	var parts []string
	for _, c := range CensusColumns {
		parts = append(parts, c.Name+" "+c.Type)
	}
	return strings.Join(parts, ", ")
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// loadCensusFile replaces raw_census with the rows of a census file, in the file's order.
func loadCensusFile(ctx context.Context, conn *sql.Conn, path string) error {
	src, _ := censusSource(path)
	var cols []string
	for _, c := range CensusColumns {
		cols = append(cols, fmt.Sprintf("CAST(%q AS %s) AS %[1]s", c.Name, c.Type))
	}
	q := "CREATE OR REPLACE TABLE raw_census AS SELECT " + strings.Join(cols, ", ") + " FROM " + src
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("load census %s: %w", path, err)
	}
	return nil
}
