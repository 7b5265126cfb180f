package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestContendedTablesAreWrittenEveryYear checks, from the model files' own configuration, that
// every contended table is one the simulation owns and writes in every simulated year: a
// renamed model or a table moved to the set-up step fails here, not in a competitor that
// silently writes nothing.
func TestContendedTablesAreWrittenEveryYear(t *testing.T) {
	models, err := LoadModels()
	require.NoError(t, err)
	yearly := map[string]bool{}
	for _, m := range models {
		if m.Scope != YearScope {
			continue
		}
		switch m.Materialized {
		case Table:
			yearly[m.Name] = true
		case Incremental:
			yearly[m.Into] = true
		}
	}
	owned, err := FingerprintedTables()
	require.NoError(t, err)
	tables := ContendedTables()
	require.NotEmpty(t, tables)
	for _, table := range tables {
		assert.True(t, yearly[table], "%s is written by a model of every year", table)
		assert.Contains(t, owned, table)
	}
	tables[0] = "changed"
	assert.NotEqual(t, "changed", ContendedTables()[0], "callers get a copy")
}
