package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"lockbench/vocab"
)

// Cell is one combination of matrix values.
type Cell struct {
	// Key names the cell: every axis as axis=value, in the order of vocab.Axes, joined with "/",
	// e.g. mode=threaded/threads=4/coordination=on/lock-retry=off/employees=5000/years=2025-2027/competitor=none/seed=1.
	// Keys are stable: they depend only on the cell's own values.
	Key string `json:"key"`
	// Mode is how the workload runs.
	Mode vocab.Mode `json:"mode"`
	// Threads is the number of connections (threaded) or concurrent workers
	// (parallel-processes); it is always 1 for sequential and process-per-model.
	Threads int `json:"threads"`
	// Coordination is whether the cross-year optimisations are on.
	Coordination bool `json:"coordination"`
	// LockRetry is whether opens that hit a lock conflict are retried with backoff.
	LockRetry bool `json:"lock_retry"`
	// Strategy is how the pipeline shares the file with its other users; it decides Mode and
	// LockRetry.
	Strategy vocab.Strategy `json:"strategy"`
	// Employees is the census size.
	Employees int `json:"employees"`
	// Years are the simulated years, strictly increasing.
	Years []int `json:"years"`
	// Competitor is the injected competitor.
	Competitor CompetitorSpec `json:"competitor"`
	// SeedLabel is the value of the seed axis: a label naming one generated data set.
	SeedLabel int `json:"seed_label"`
	// DuckDB is the DuckDB release the cell runs (a release.Known name), or vocab.DefaultValue for
	// the release lockbench links.
	DuckDB string `json:"duckdb,omitempty"`
	// StorageVersion is the storage_compatibility_version the cell's database file is created
	// with ("v1.5.0"), or vocab.DefaultValue.
	StorageVersion string `json:"storage_version,omitempty"`
	// Seed is the workload's data seed, DeriveSeed(root, DataKey()): cells that differ only in
	// how they run (mode, threads, coordination, lock-retry, competitor) get the same data, so
	// their fingerprints must agree.
	Seed int64 `json:"seed"`
	// Expect is the outcome the cell must show: an outcome kind, or several joined with "|"
	// when any of them is acceptable (see Accepts). It is "ok" unless an expectation group says
	// otherwise.
	Expect string `json:"expect"`
	// Values maps every axis to its canonical value, as in the key.
	Values map[string]string `json:"values"`
}

// Accepts reports whether outcome is one the cell expects.
func (c Cell) Accepts(outcome string) bool {
	return slices.Contains(strings.Split(c.Expect, "|"), outcome)
}

// DataKey is the part of the key that determines the workload's data: employees, years and
// the seed label. Cell seeds derive from it.
func (c Cell) DataKey() string {
	return fmt.Sprintf("employees=%s/years=%s/seed=%s", c.Values["employees"], c.Values["years"], c.Values["seed"])
}

// Cells returns the expanded cells, in matrix order (the first matrix axis varies slowest, then
// the cells that include entries added), with seeds derived from s.RootSeed.
func (s *Scenario) Cells() []Cell {
	out := make([]Cell, len(s.cells))
	for i, ic := range s.cells {
		out[i] = ic.cell(s.RootSeed)
	}
	return out
}

func (ic icell) cell(root int64) Cell {
	c := Cell{
		Key:            ic.key,
		Mode:           vocab.Mode(ic.vals[axMode].v.(string)),
		Threads:        ic.vals[axThreads].v.(int),
		Coordination:   ic.vals[axCoordination].v.(bool),
		LockRetry:      ic.vals[axLockRetry].v.(bool),
		Strategy:       vocab.Strategy(ic.vals[axStrategy].v.(string)),
		Employees:      ic.vals[axEmployees].v.(int),
		Years:          slices.Clone(ic.vals[axYears].v.([]int)),
		Competitor:     ic.vals[axCompetitor].v.(CompetitorSpec),
		SeedLabel:      ic.vals[axSeed].v.(int),
		DuckDB:         ic.vals[axDuckDB].v.(string),
		StorageVersion: ic.vals[axStorageVersion].v.(string),
		Expect:         ic.expect,
		Values:         make(map[string]string, numAxes),
	}
	for a := range numAxes {
		c.Values[vocab.Axes[a]] = ic.vals[a].canon
	}
	c.Seed = DeriveSeed(root, c.DataKey())
	return c
}
