package sim

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"lockbench/internal/exitcode"
)

//go:embed seeds/*.csv
var seedFS embed.FS

// Seed is one parameter table: an embedded CSV, or a user's replacement of it (--params).
type Seed struct {
	Name    string
	Columns []string
	// Numeric says, per column, whether every value is a number (the embedded seed decides).
	Numeric []bool
	Rows    [][]string
	// Source is where the rows came from: "embedded" or the replacement file's path.
	Source string
}

// InputError is bad input from the user (a parameter file, a census file, a scenario name): it
// names the file and, where it applies, the line and column, and says what to fix. Commands
// map it to exit code 2.
type InputError struct {
	Path   string
	Line   int // 1-based; 0 when the error is about the whole file
	Column string
	Msg    string
}

// ExitCode is exitcode.Usage: the file was the user's, and nothing was changed.
func (e *InputError) ExitCode() exitcode.Code { return exitcode.Usage }

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ": column %s", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// IsInputError reports whether err is (or wraps) bad input from the user.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// LoadSeeds reads every embedded parameter CSV.
func LoadSeeds() ([]Seed, error) {
	names, err := fs.Glob(seedFS, "seeds/*.csv")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Seed
	for _, n := range names {
		b, err := seedFS.ReadFile(n)
		if err != nil {
			return nil, err
		}
		recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			return nil, fmt.Errorf("seed %s: %w", n, err)
		}
		if len(recs) < 2 {
			return nil, fmt.Errorf("seed %s: no rows", n)
		}
		s := Seed{Name: strings.TrimSuffix(path.Base(n), ".csv"), Columns: recs[0], Rows: recs[1:], Source: "embedded"}
		s.Numeric = make([]bool, len(s.Columns))
		for j := range s.Columns {
			s.Numeric[j] = true
			for _, r := range s.Rows {
				if _, err := strconv.ParseFloat(r[j], 64); err != nil {
					s.Numeric[j] = false
					break
				}
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// LoadParams returns the embedded seeds with every CSV file in dir replacing the seed of the same
// name (dir "" means the embedded seeds alone). A replacement must have exactly the seed's
// columns (in any order) and a number wherever the seed has numbers; anything else is an
// InputError naming the file, line and column.
func LoadParams(dir string) ([]Seed, error) {
	seeds, err := LoadSeeds()
	if err != nil || dir == "" {
		return seeds, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &InputError{Path: dir, Msg: fmt.Sprintf("cannot read the parameter directory: %v", errors.Unwrap(err))}
	}
	byName := map[string]int{}
	var names []string
	for i, s := range seeds {
		byName[s.Name] = i
		names = append(names, s.Name+".csv")
	}
	for _, e := range entries {
		file := filepath.Join(dir, e.Name())
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		i, ok := byName[strings.TrimSuffix(e.Name(), ".csv")]
		if !ok || !strings.HasSuffix(e.Name(), ".csv") {
			return nil, &InputError{Path: file, Msg: "not a parameter table of the simulation; the files it can replace are " + strings.Join(names, ", ")}
		}
		f, err := os.Open(file)
		if err != nil {
			return nil, &InputError{Path: file, Msg: fmt.Sprintf("cannot read it: %v", errors.Unwrap(err))}
		}
		s, err := readReplacement(f, file, seeds[i])
		f.Close()
		if err != nil {
			return nil, err
		}
		seeds[i] = s
	}
	return seeds, nil
}

// readReplacement reads a user's CSV for seed base, checking columns and values.
func readReplacement(r io.Reader, file string, base Seed) (Seed, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err == io.EOF {
		return Seed{}, &InputError{Path: file, Msg: "the file is empty; it needs a header line: " + strings.Join(base.Columns, ",")}
	}
	if err != nil {
		return Seed{}, csvInputError(file, err)
	}
	pos := map[string]int{}
	for j, c := range header {
		c = strings.TrimSpace(c)
		if _, dup := pos[c]; dup {
			return Seed{}, &InputError{Path: file, Line: 1, Column: c, Msg: "appears twice in the header"}
		}
		pos[c] = j
	}
	order := make([]int, len(base.Columns))
	for k, c := range base.Columns {
		j, ok := pos[c]
		if !ok {
			return Seed{}, &InputError{Path: file, Line: 1, Column: c, Msg: "is missing; the header must be: " + strings.Join(base.Columns, ",")}
		}
		order[k] = j
		delete(pos, c)
	}
	for c := range pos {
		return Seed{}, &InputError{Path: file, Line: 1, Column: c, Msg: "is not a column of " + base.Name + "; the header must be: " + strings.Join(base.Columns, ",")}
	}
	out := base
	out.Rows = nil
	out.Source = file
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Seed{}, csvInputError(file, err)
		}
		line, _ := cr.FieldPos(0)
		row := make([]string, len(base.Columns))
		for k, j := range order {
			v := strings.TrimSpace(rec[j])
			if base.Numeric[k] {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
					return Seed{}, &InputError{Path: file, Line: line, Column: base.Columns[k], Msg: fmt.Sprintf("%q is not a number", v)}
				}
			}
			row[k] = v
		}
		out.Rows = append(out.Rows, row)
	}
	if len(out.Rows) == 0 {
		return Seed{}, &InputError{Path: file, Msg: "has a header but no rows"}
	}
	return out, nil
}

func csvInputError(file string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &InputError{Path: file, Line: pe.Line, Msg: pe.Err.Error()}
	}
	return &InputError{Path: file, Msg: err.Error()}
}

// SQL renders the seed as a CREATE OR REPLACE TABLE over a VALUES list. Numbers stay exact
// decimal literals; everything else is a quoted string.
func (s Seed) SQL() string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE OR REPLACE TABLE %s AS SELECT * FROM (VALUES ", s.Name)
	for i, r := range s.Rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j, v := range r {
			if j > 0 {
				b.WriteString(", ")
			}
			if f, err := strconv.ParseFloat(v, 64); err == nil && s.Numeric[j] {
				// The shortest form that reads back as the same double: safe SQL for any
				// spelling ParseFloat accepted (hexadecimal, a leading +).
				fmt.Fprintf(&b, "CAST(%s AS DOUBLE)", strconv.FormatFloat(f, 'g', -1, 64))
			} else {
				b.WriteString("'" + strings.ReplaceAll(v, "'", "''") + "'")
			}
		}
		b.WriteByte(')')
	}
	fmt.Fprintf(&b, ") AS t(%s)", strings.Join(s.Columns, ", "))
	return b.String()
}

// loadSeed creates one seed table.
func loadSeed(ctx context.Context, conn *sql.Conn, s Seed) error {
	if _, err := conn.ExecContext(ctx, s.SQL()); err != nil {
		return fmt.Errorf("seed %s: %w", s.Name, err)
	}
	return nil
}

// inTx runs f in a transaction on conn, rolling back on any error so the connection never goes
// back to the pool inside a transaction.
func inTx(ctx context.Context, conn *sql.Conn, f func(*sql.Tx) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// DefaultScenario is the parameter scenario of the levers that apply unless another is chosen.
const DefaultScenario = "default"

// Scenarios lists the parameter scenarios the lever table defines, sorted.
func Scenarios(seeds []Seed) []string {
	set := map[string]bool{}
	for _, s := range seeds {
		if s.Name != "seed_comp_levers" {
			continue
		}
		col := slices.Index(s.Columns, "scenario_id")
		for _, r := range s.Rows {
			set[r[col]] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkScenario makes sure name is a scenario of the lever table (and safe to quote in SQL).
func checkScenario(seeds []Seed, name, paramsDir string) error {
	known := Scenarios(seeds)
	if slices.Contains(known, name) && strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == "" {
		return nil
	}
	where := "the embedded seed_comp_levers"
	if paramsDir != "" {
		where = "seed_comp_levers (with " + paramsDir + ")"
	}
	return &InputError{Path: "--scenario", Msg: fmt.Sprintf("%q is not a parameter scenario of %s; use one of: %s", name, where, strings.Join(known, ", "))}
}
