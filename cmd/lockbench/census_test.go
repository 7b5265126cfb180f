package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/sim"
)

// censusRecord is one line of the test's census file.
type censusRecord struct {
	id, ssn, hire string
	comp          int
	line          int // in the file: the header is line 1
}

// TestSimulateCensusWithDuplicates runs simulate on a census whose employee ids repeat. It
// prints the census size (distinct ids, not the default --employees), how many records staging
// drops, and for each duplicated id the line it keeps: the latest hire_date, then the highest
// gross_compensation. The expected figures are computed here from the records; the kept lines
// are also checked against what staging really kept (stg_census, by the record's unique SSN).
func TestSimulateCensusWithDuplicates(t *testing.T) {
	var recs []censusRecord
	add := func(id, hire string, comp int) {
		recs = append(recs, censusRecord{id: id, ssn: fmt.Sprintf("SSN-%03d", len(recs)+1), hire: hire, comp: comp, line: len(recs) + 2})
	}
	for i := 1; i <= 60; i++ {
		add(fmt.Sprintf("E%03d", i), fmt.Sprintf("%d-%02d-15", 2005+i%18, 1+i%12), 52000+700*i)
		switch i {
		case 5: // a later hire record follows: it wins
			add("E005", "2023-03-01", 50000)
		case 20: // an earlier hire record follows: the first wins
			add("E020", "2001-01-01", 99000)
		case 30: // two more records on the same latest hire date: the highest pay wins
			add("E030", "2022-06-01", 61000)
			add("E030", "2022-06-01", 64000)
		}
	}
	var b strings.Builder
	b.WriteString("employee_id,employee_ssn,birth_date,hire_date,termination_date,gross_compensation,deferral_rate\n")
	for i, r := range recs {
		fmt.Fprintf(&b, "%s,%s,%d-07-01,%s,,%d,%.2f\n", r.id, r.ssn, 1965+i%30, r.hire, r.comp, 0.03+0.01*float64(i%5))
	}
	dir := t.TempDir()
	census := filepath.Join(dir, "census.csv")
	require.NoError(t, os.WriteFile(census, []byte(b.String()), 0o644))

	// What staging must do, worked out from the records.
	byID := map[string][]censusRecord{}
	for _, r := range recs {
		byID[r.id] = append(byID[r.id], r)
	}
	type dup struct {
		kept    censusRecord
		dropped []int
	}
	dups := map[string]dup{}
	for id, rs := range byID {
		if len(rs) < 2 {
			continue
		}
		best := rs[0]
		for _, r := range rs[1:] {
			if r.hire > best.hire || (r.hire == best.hire && r.comp > best.comp) { // ISO dates sort as text
				best = r
			}
		}
		d := dup{kept: best}
		for _, r := range rs {
			if r != best {
				d.dropped = append(d.dropped, r.line)
			}
		}
		dups[id] = d
	}
	employees, dropped := len(byID), len(recs)-len(byID)
	require.Equal(t, 60, employees)
	require.Equal(t, 4, dropped)

	db := filepath.Join(dir, "sim.duckdb")
	code, out, stderr := lockbench(t, "simulate", "--census", census, "--db", db, "--years", "2025", "--threads", "2")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, out, fmt.Sprintf(", %d employees (census %s: %d records, %d duplicates dropped), seed", employees, census, len(recs), dropped))
	assert.NotContains(t, out, "5000 employees")
	assert.Contains(t, stderr, fmt.Sprintf("census %s: %d records, %d employees\n", census, len(recs), employees))
	assert.Contains(t, stderr, fmt.Sprintf("  %d employee ids appear more than once: staging drops %d records, keeping per id %s\n", len(dups), dropped, sim.DedupRule))
	ids := make([]string, 0, len(dups))
	for id := range dups {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		d := dups[id]
		lines := make([]string, len(d.dropped))
		for i, l := range d.dropped {
			lines[i] = fmt.Sprint(l)
		}
		assert.Contains(t, stderr, fmt.Sprintf("    %s: keeps line %d, drops line %s\n", id, d.kept.line, strings.Join(lines, ", ")))
	}
	assert.NotContains(t, stderr, "tied")

	// Staging kept exactly those records.
	conn, err := sql.Open("duckdb", sim.DSN(db, 0, true))
	require.NoError(t, err)
	defer conn.Close()
	var rows int
	require.NoError(t, conn.QueryRow("SELECT count(*) FROM stg_census").Scan(&rows))
	assert.Equal(t, employees, rows)
	for _, id := range ids {
		var ssn string
		require.NoError(t, conn.QueryRow("SELECT employee_ssn FROM stg_census WHERE employee_id = ?", id).Scan(&ssn))
		assert.Equal(t, dups[id].kept.ssn, ssn, "staging kept %s's record on line %d", id, dups[id].kept.line)
	}
}
