package sim

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFingerprintScope covers a user's own file (every table), a file with every simulation
// table (those only, unless all), and a file with only some of them (every table).
func TestFingerprintScope(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("duckdb", filepath.Join(t.TempDir(), "s.duckdb"))
	require.NoError(t, err)
	defer db.Close()
	exec := func(q string) {
		t.Helper()
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err)
	}
	exec("CREATE TABLE mine (i INTEGER)")
	tables, scope, err := FingerprintScope(ctx, db, false)
	require.NoError(t, err)
	assert.Equal(t, ScopeAll, scope)
	assert.Equal(t, []string{"mine"}, tables)

	owned, err := FingerprintedTables()
	require.NoError(t, err)
	require.Greater(t, len(owned), 2)
	exec("CREATE TABLE " + owned[0] + " (i INTEGER)")
	_, scope, err = FingerprintScope(ctx, db, false)
	require.NoError(t, err)
	assert.Equal(t, ScopeAll, scope, "one simulation table is not a simulation file")

	for _, name := range owned[1:] {
		exec("CREATE TABLE " + name + " (i INTEGER)")
	}
	tables, scope, err = FingerprintScope(ctx, db, false)
	require.NoError(t, err)
	assert.Equal(t, ScopeSimulation, scope)
	assert.Equal(t, owned, tables)

	tables, scope, err = FingerprintScope(ctx, db, true)
	require.NoError(t, err)
	assert.Equal(t, ScopeAll, scope)
	assert.Len(t, tables, len(owned)+1)
}
