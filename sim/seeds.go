package sim

import (
	"context"
	"database/sql"
	"embed"
	"encoding/csv"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed seeds/*.csv
var seedFS embed.FS

// Seed is one embedded parameter table.
type Seed struct {
	Name    string
	Columns []string
	Rows    [][]string
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
		f, err := seedFS.Open(n)
		if err != nil {
			return nil, err
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("seed %s: %w", n, err)
		}
		if len(recs) < 2 {
			return nil, fmt.Errorf("seed %s: no rows", n)
		}
		out = append(out, Seed{Name: strings.TrimSuffix(path.Base(n), ".csv"), Columns: recs[0], Rows: recs[1:]})
	}
	return out, nil
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
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				b.WriteString(v)
			} else {
				b.WriteString("'" + strings.ReplaceAll(v, "'", "''") + "'")
			}
		}
		b.WriteByte(')')
	}
	fmt.Fprintf(&b, ") AS t(%s)", strings.Join(s.Columns, ", "))
	return b.String()
}

// loadSeeds creates every seed table in one transaction.
func loadSeeds(ctx context.Context, conn *sql.Conn, seeds []Seed) error {
	return inTx(ctx, conn, func(tx *sql.Tx) error {
		for _, s := range seeds {
			if _, err := tx.ExecContext(ctx, s.SQL()); err != nil {
				return fmt.Errorf("seed %s: %w", s.Name, err)
			}
		}
		return nil
	})
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
