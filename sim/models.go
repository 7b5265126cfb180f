package sim

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"text/template"
)

//go:embed models/*.sql
var modelFS embed.FS

// Materialization is how a model's SQL is applied.
type Materialization string

// Materializations. A table model is a full CREATE OR REPLACE TABLE statement; an incremental
// model is a SELECT whose rows replace the year's rows of an accumulating table; a ddl model is
// run as written, once.
const (
	Table       Materialization = "table"
	Incremental Materialization = "incremental"
	DDL         Materialization = "ddl"
)

// Scope says how often a model runs.
type Scope string

// Scopes: once per run, or once per simulation year.
const (
	SetupScope Scope = "setup"
	YearScope  Scope = "year"
)

// Model is one SQL file of the simulation, like a dbt model.
type Model struct {
	Name         string
	Materialized Materialization
	Scope        Scope
	UniqueKey    []string
	// Duplicate marks models that the uncoordinated orchestration builds twice per year (the
	// real project rebuilt the previous-year helper and the events table a second time).
	Duplicate bool
	// Into is the table an incremental model writes (its own name unless `into=` says otherwise).
	Into   string
	Source string
	tmpl   *template.Template
}

// TemplateData is what a model's template sees.
type TemplateData struct {
	Year, PrevYear, StartYear, EndYear, CensusYear int
	IsStartYear                                    bool
	Seed                                           int64
	// YearDays is the length of Year in days (366 in a leap year).
	YearDays int
	// Scenario is the parameter scenario whose levers outrank the default ones.
	Scenario string
}

// Ref is one dependency a model's SQL declared: the table it reads and whether it is the previous
// year's build of that table.
type Ref struct {
	Name string
	Prev bool
}

// LoadModels reads and parses every embedded model.
func LoadModels() ([]*Model, error) {
	entries, err := fs.Glob(modelFS, "models/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(entries)
	var out []*Model
	for _, e := range entries {
		b, err := modelFS.ReadFile(e)
		if err != nil {
			return nil, err
		}
		m, err := ParseModel(strings.TrimSuffix(path.Base(e), ".sql"), string(b))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// ParseModel parses a model's source: a `-- config:` header line of key=value pairs
// (materialized, scope, unique_key, duplicate) followed by a text/template of SQL that calls
// ref "table" for same-year inputs and prev "table" for the previous year's build.
func ParseModel(name, src string) (*Model, error) {
	m := &Model{Name: name, Materialized: Table, Scope: YearScope, Source: src}
	first, _, _ := strings.Cut(src, "\n")
	if cfg, ok := strings.CutPrefix(strings.TrimSpace(first), "-- config:"); ok {
		for _, kv := range strings.Fields(cfg) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("model %s: config item %q is not key=value", name, kv)
			}
			switch k {
			case "materialized":
				switch Materialization(v) {
				case Table, Incremental, DDL:
					m.Materialized = Materialization(v)
				default:
					return nil, fmt.Errorf("model %s: materialized=%s: use table, incremental or ddl", name, v)
				}
			case "scope":
				switch Scope(v) {
				case SetupScope, YearScope:
					m.Scope = Scope(v)
				default:
					return nil, fmt.Errorf("model %s: scope=%s: use setup or year", name, v)
				}
			case "unique_key":
				m.UniqueKey = strings.Split(v, ",")
			case "duplicate":
				m.Duplicate = v == "true"
			case "into":
				m.Into = v
			default:
				return nil, fmt.Errorf("model %s: unknown config key %q (allowed: materialized, scope, unique_key, duplicate, into)", name, k)
			}
		}
	}
	if m.Into == "" {
		m.Into = name
	}
	if m.Materialized == Incremental && len(m.UniqueKey) == 0 {
		return nil, fmt.Errorf("model %s: an incremental model needs unique_key", name)
	}
	t, err := template.New(name).Funcs(placeholderFuncs).Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", name, err)
	}
	m.tmpl = t
	return m, nil
}

// placeholderFuncs lets templates parse before they are rendered with real functions.
var placeholderFuncs = template.FuncMap{
	"ref":          func(string) string { return "" },
	"prev":         func(string) string { return "" },
	"draw":         func(string, string) string { return "" },
	"hashkey":      func(string, string) string { return "" },
	"capped_raise": func(string, string) string { return "" },
	"age_band":     func(string) string { return "" },
	"tenure_band":  func(string) string { return "" },
}

// Render returns the model's SQL for one year and the refs it made.
func (m *Model) Render(d TemplateData) (string, []Ref, error) {
	var refs []Ref
	funcs := template.FuncMap{
		"ref": func(t string) string {
			refs = append(refs, Ref{Name: t})
			return t
		},
		"prev": func(t string) string {
			refs = append(refs, Ref{Name: t, Prev: true})
			return t
		},
		"draw":         func(id, tag string) string { return drawSQL(d.Seed, d.Year, id, tag) },
		"hashkey":      func(id, tag string) string { return hashKeySQL(d.Seed, d.Year, id, tag) },
		"capped_raise": cappedRaiseSQL,
		"age_band":     ageBandSQL,
		"tenure_band":  tenureBandSQL,
	}
	t, err := m.tmpl.Clone()
	if err != nil {
		return "", nil, err
	}
	var sb strings.Builder
	if err := t.Funcs(funcs).Execute(&sb, d); err != nil {
		return "", nil, fmt.Errorf("model %s: %w", m.Name, err)
	}
	return sb.String(), refs, nil
}

// hashKeySQL is a deterministic 64-bit hash keyed by seed, employee, year and a tag: DuckDB's
// hash of the four values (no string building per row), never random().
func hashKeySQL(seed int64, year int, idExpr, tag string) string {
	return fmt.Sprintf("hash(%d, %s, %d, '%s')", seed, idExpr, year, tag)
}

// drawSQL is a deterministic uniform draw in [0, 1) keyed by seed, employee, year and a tag.
func drawSQL(seed int64, year int, idExpr, tag string) string {
	return fmt.Sprintf("((%s %% 1000000) / 1000000.0)", hashKeySQL(seed, year, idExpr, tag))
}

// cappedRaiseSQL is salary raised by rate, capped by the run's maximum raise (a share and an
// amount), in cents. The model must join stg_simulation_config as cfg.
func cappedRaiseSQL(salary, rate string) string {
	return fmt.Sprintf("CAST(LEAST(%[1]s * (1 + cfg.max_raise_pct), %[1]s + cfg.max_raise_amount, %[1]s * (1 + %[2]s)) AS DECIMAL(18, 2))", salary, rate)
}

// ageBandSQL is the age band of expr, as the age_band_t enum of schema.sql.
func ageBandSQL(expr string) string {
	return fmt.Sprintf("CAST(CASE WHEN %[1]s < 25 THEN '<25' WHEN %[1]s < 35 THEN '25-34' WHEN %[1]s < 45 THEN '35-44' "+
		"WHEN %[1]s < 55 THEN '45-54' WHEN %[1]s < 65 THEN '55-64' ELSE '65+' END AS age_band_t)", expr)
}

// tenureBandSQL is the tenure band of expr, as the tenure_band_t enum of schema.sql.
func tenureBandSQL(expr string) string {
	return fmt.Sprintf("CAST(CASE WHEN %[1]s < 2 THEN '<2' WHEN %[1]s < 5 THEN '2-4' WHEN %[1]s < 10 THEN '5-9' "+
		"WHEN %[1]s < 20 THEN '10-19' ELSE '20+' END AS tenure_band_t)", expr)
}
