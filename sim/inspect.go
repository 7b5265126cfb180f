package sim

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

	"lockbench/access"
	"lockbench/vocab"
)

// TableFingerprint is the order-insensitive digest of one table: its row count and the sum
// (modulo 2^64) of a hash of every row. A sum counts multiplicity, so a duplicated row, two
// identical extra rows or a lost row all change it (XOR would cancel a pair).
type TableFingerprint struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
	Hash  string `json:"hash"`
	// Excluded lists the columns left out: timestamps, which differ from run to run.
	Excluded []string `json:"excluded,omitempty"`
}

// FingerprintTables digests each table in SQL (never by reading the file), all tables in one
// query. Columns of timestamp types are left out unless keepTimestamps is set.
func FingerprintTables(ctx context.Context, q execer, tables []string, keepTimestamps bool) ([]TableFingerprint, error) {
	type ref struct{ schema, name string }
	refs := make([]ref, len(tables))
	want := map[ref]int{}
	for i, t := range tables {
		r := ref{"main", t}
		if s, n, ok := strings.Cut(t, "."); ok {
			r = ref{s, n}
		}
		refs[i] = r
		want[r] = i
	}
	out := make([]TableFingerprint, len(tables))
	cols := make([][]string, len(tables))
	seen := make([]bool, len(tables))
	rows, err := q.QueryContext(ctx, `SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns()
		WHERE database_name = current_database() ORDER BY schema_name, table_name, column_index`)
	if err != nil {
		return nil, fmt.Errorf("fingerprint: %w", err)
	}
	for rows.Next() {
		var r ref
		var c, typ string
		if err := rows.Scan(&r.schema, &r.name, &c, &typ); err != nil {
			rows.Close()
			return nil, err
		}
		i, ok := want[r]
		if !ok {
			continue
		}
		seen[i] = true
		if !keepTimestamps && strings.HasPrefix(typ, "TIMESTAMP") {
			out[i].Excluded = append(out[i].Excluded, c)
			continue
		}
		cols[i] = append(cols[i], quoteIdent(c))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	parts := make([]string, len(tables))
	for i, t := range tables {
		if !seen[i] {
			return nil, fmt.Errorf("fingerprint %s: no such table", t)
		}
		out[i].Table = t
		rowHash := "0"
		if len(cols[i]) > 0 {
			rowHash = "hash(" + strings.Join(cols[i], ", ") + ")"
		}
		// The sum of row hashes modulo 2^64 (a HUGEINT sum cannot overflow).
		parts[i] = fmt.Sprintf("SELECT %d AS i, count(*) AS n, CAST(coalesce(sum(CAST(%s AS HUGEINT)), 0) %% 18446744073709551616 AS UBIGINT) AS h FROM %s.%s",
			i, rowHash, quoteIdent(refs[i].schema), quoteIdent(refs[i].name))
	}
	if len(parts) == 0 {
		return out, nil
	}
	rows, err = q.QueryContext(ctx, strings.Join(parts, " UNION ALL "))
	if err != nil {
		return nil, fmt.Errorf("fingerprint: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var n int64
		var sum uint64
		if err := rows.Scan(&i, &n, &sum); err != nil {
			return nil, err
		}
		out[i].Rows, out[i].Hash = n, fmt.Sprintf("%016x", sum)
	}
	return out, rows.Err()
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// CombineFingerprints folds table digests into one string: the counts of the two fact tables
// when present (for a reader's eye), then 16 hex digits of a SHA-256 over every table's name,
// rows and hash.
func CombineFingerprints(fps []TableFingerprint) string {
	h := sha256.New()
	var ev, ws int64 = -1, -1
	for _, f := range fps {
		fmt.Fprintf(h, "%s:%d:%s;", f.Table, f.Rows, f.Hash)
		switch f.Table {
		case "fct_yearly_events":
			ev = f.Rows
		case "fct_workforce_snapshot":
			ws = f.Rows
		}
	}
	sum := hex.EncodeToString(h.Sum(nil))[:16]
	if ev >= 0 && ws >= 0 {
		return fmt.Sprintf("ev%d/ws%d/%s", ev, ws, sum)
	}
	return fmt.Sprintf("t%d/%s", len(fps), sum)
}

// FingerprintedTables are the tables a simulation fingerprint covers: every table the simulation
// owns except the uncoordinated orchestration's checkpoint copies (orchestration state, not
// simulation data).
func FingerprintedTables() ([]string, error) {
	tables, err := fingerprintedTables()
	return slices.Clone(tables), err
}

// fingerprintedTables lists the tables once per process: they come from the embedded models
// alone, and every trial's data check asks for them.
var fingerprintedTables = sync.OnceValues(func() ([]string, error) {
	models, err := LoadModels()
	if err != nil {
		return nil, err
	}
	p, err := BuildPlan(Config{Years: []int{2000}, Coordination: true}, models)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range p.OwnedTables() {
		if !strings.HasPrefix(t, "ckpt_") {
			out = append(out, t)
		}
	}
	return out, nil
})

// Fingerprint returns the order-insensitive fingerprint of every table the simulation owns
// (FingerprintedTables), timestamps excluded, computed in SQL.
func Fingerprint(ctx context.Context, q execer) (string, error) {
	tables, err := FingerprintedTables()
	if err != nil {
		return "", err
	}
	fps, err := FingerprintTables(ctx, q, tables, false)
	if err != nil {
		return "", err
	}
	return CombineFingerprints(fps), nil
}

// UserTables lists the base tables of the database's every schema as schema.table, for
// fingerprinting a user's own file.
func UserTables(ctx context.Context, q execer) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT schema_name, table_name FROM duckdb_tables()
		WHERE database_name = current_database() AND NOT temporary ORDER BY schema_name, table_name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s, t string
		if err := rows.Scan(&s, &t); err != nil {
			return nil, err
		}
		if s == "main" {
			out = append(out, t)
		} else {
			out = append(out, s+"."+t)
		}
	}
	return out, rows.Err()
}

// Fingerprint scopes: which tables FingerprintScope chose.
const (
	ScopeSimulation = "simulation tables"
	ScopeAll        = "all tables"
)

// FingerprintScope returns the tables `lockbench fingerprint` digests in the database q: the
// simulation's own tables (FingerprintedTables, scope ScopeSimulation) when the file has every
// one of them and all is false, else every user table (UserTables, scope ScopeAll).
func FingerprintScope(ctx context.Context, q execer, all bool) (tables []string, scope string, err error) {
	tables, err = UserTables(ctx, q)
	if err != nil {
		return nil, "", err
	}
	if !all {
		if owned, err := FingerprintedTables(); err == nil && !slices.ContainsFunc(owned, func(t string) bool { return !slices.Contains(tables, t) }) {
			return owned, ScopeSimulation, nil
		}
	}
	return tables, ScopeAll, nil
}

const perYearSQL = `
WITH ev AS (
    SELECT simulation_year,
           count(*) FILTER (WHERE event_type = 'hire') AS hires,
           count(*) FILTER (WHERE event_category = 'experienced_termination') AS terminations,
           count(*) FILTER (WHERE event_category = 'new_hire_termination') AS nh_terminations,
           count(*) FILTER (WHERE event_type = 'promotion') AS promotions,
           count(*) FILTER (WHERE event_type = 'raise') AS raises
    FROM fct_yearly_events GROUP BY simulation_year
),
snap AS (
    SELECT simulation_year,
           count(*) FILTER (WHERE NOT starts_with(detailed_status_code, 'new_hire')) AS active_start,
           count(*) FILTER (WHERE employment_status = 'active') AS active_end,
           CAST(sum(prorated_annual_compensation) AS DOUBLE) AS total_comp
    FROM fct_workforce_snapshot GROUP BY simulation_year
)
SELECT s.simulation_year, s.active_start, s.active_end, s.total_comp,
       coalesce(e.hires, 0), coalesce(e.terminations, 0), coalesce(e.nh_terminations, 0),
       coalesce(e.promotions, 0), coalesce(e.raises, 0),
       (SELECT target_growth_rate FROM stg_simulation_config)
FROM snap s LEFT JOIN ev e USING (simulation_year)
ORDER BY s.simulation_year`

// PerYear returns the per-year figures of the simulation in the database. Each year's starting
// headcount is counted from that year's own snapshot (everyone who was there before the year's
// hires), independently of the previous year's ending headcount, so that a test of continuity
// between years compares two separate counts.
func PerYear(ctx context.Context, db *sql.DB) ([]YearStats, error) {
	rows, err := db.QueryContext(ctx, perYearSQL)
	if err != nil {
		return nil, fmt.Errorf("per-year stats: %w", err)
	}
	defer rows.Close()
	var out []YearStats
	for rows.Next() {
		var y YearStats
		if err := rows.Scan(&y.Year, &y.ActiveStart, &y.ActiveEnd, &y.TotalCompensation, &y.Hires, &y.Terminations,
			&y.NewHireTerminations, &y.Promotions, &y.Raises, &y.TargetGrowth); err != nil {
			return nil, err
		}
		if y.ActiveStart > 0 {
			y.Growth = float64(y.ActiveEnd)/float64(y.ActiveStart) - 1
		}
		out = append(out, y)
	}
	return out, rows.Err()
}

// FingerprintFile opens the database read-only after a run and returns its fingerprint (the
// harness's data check, which needs nothing else).
func FingerprintFile(ctx context.Context, path string) (string, error) {
	db, err := sql.Open("duckdb", DSN(path, 0, true))
	if err != nil {
		return "", fmt.Errorf("open %s: %w", path, err)
	}
	defer db.Close()
	return Fingerprint(ctx, db)
}

// Inspect opens the database read-only and returns its fingerprint and per-year figures. Like
// every read of finished data in lockbench, it never opens the file read-write, so it is never
// refused by, and never refuses, a reader of the file.
func Inspect(ctx context.Context, path string) (string, []YearStats, error) {
	return inspect(ctx, access.Access{Path: path, ReadOnly: true})
}

// resultAccess is how Run reads a finished run's data back for its summary: read-only, as a
// viewer that follows the run's strategy would (the queue's shared lock, the run's retry
// policy), on the file that holds the data. Under publish that is the pipeline's private file:
// the pipeline leaves the published path to its readers.
func (c *Config) resultAccess() access.Access {
	a := access.Access{Path: c.DBPath, ReadOnly: true, Queue: c.Strategy == vocab.Queue, Retry: c.LockRetry}
	if c.Strategy == vocab.Publish {
		a.Path = PrivatePath(c.DBPath)
	}
	return a
}

// inspect opens the database by the access rules a, always read-only, and returns its
// fingerprint and per-year figures.
func inspect(ctx context.Context, a access.Access) (string, []YearStats, error) {
	a.ReadOnly = true
	o, err := a.Open(ctx)
	if err != nil {
		return "", nil, fmt.Errorf("open %s: %w", a.Path, err)
	}
	defer o.Close()
	fp, err := Fingerprint(ctx, o.DB)
	if err != nil {
		return "", nil, err
	}
	py, err := PerYear(ctx, o.DB)
	return fp, py, err
}
