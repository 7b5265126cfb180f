package harness

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/sim"
)

func identityOf(t *testing.T, src string) *history.WorkloadIdentity {
	t.Helper()
	s := parse(t, src)
	id, err := WorkloadIdentity(s, s.Cells())
	require.NoError(t, err)
	return id
}

func TestWorkloadIdentity(t *testing.T) {
	base := identityOf(t, tinyScenario)
	assert.Equal(t, "sim", base.Kind)
	assert.Equal(t, sim.Digest(), base.Digest, "the sim workload is its models and seeds")
	require.Len(t, base.Cells, 3)
	assert.Equal(t, base, identityOf(t, tinyScenario), "stable")

	// What only judges the work leaves it alone: trials, warmup, timeout, expectations, targets.
	judged := identityOf(t, tinyScenario+`
expect:
  - cells: {mode: sequential}
    outcome: [ok, lock-conflict]
targets:
  - {name: t, metric: wall, baseline: {mode: process-per-model}, candidate: {mode: threaded}, reduction: 0.1}
`)
	assert.Equal(t, base.Cells, judged.Cells)

	// A different census size is different work for every cell.
	bigger := identityOf(t, `
name: tiny
workload: sim
trials: 2
defaults: {employees: 300, years: [2025, 2026], threads: 2}
matrix:
  mode: [sequential, threaded, process-per-model]
`)
	require.Len(t, bigger.Cells, 3)
	for key, id := range bigger.Cells {
		assert.NotContains(t, base.Cells, key, "the key changed with the census")
		assert.Len(t, id, 16)
	}

	// A different root seed changes every cell's data seed, so its identity, not its key.
	reseeded := identityOf(t, tinyScenario+"\nroot-seed: 99\n")
	for key, id := range base.Cells {
		require.Contains(t, reseeded.Cells, key)
		assert.NotEqual(t, id, reseeded.Cells[key], key)
	}

	// An exec workload is identified by its command template.
	execA := identityOf(t, "name: e\nworkload: {kind: exec, command: './run.sh --db {db}'}\nmatrix: {mode: [sequential]}\n")
	execB := identityOf(t, "name: e\nworkload: {kind: exec, command: './run.sh --fast --db {db}'}\nmatrix: {mode: [sequential]}\n")
	assert.Equal(t, "exec", execA.Kind)
	assert.NotEqual(t, execA.Digest, execB.Digest)
	for key, id := range execA.Cells {
		assert.NotEqual(t, id, execB.Cells[key])
	}
}

// A new run's manifest records the commit under test, the group and the workload identity.
func TestManifestRecordsProvenance(t *testing.T) {
	s := parse(t, tinyScenario)
	r, err := prepare(context.Background(), Options{
		Scenario: s, ScenarioYAML: []byte(tinyScenario), RunsDir: t.TempDir(), Shard: "2/3",
		Commit: "0123abcd", CommitSource: "GITHUB_SHA", Group: "github:99",
	})
	require.NoError(t, err)
	m, err := history.ReadManifest(r.Dir)
	require.NoError(t, err)
	assert.Equal(t, history.SchemaVersion, m.SchemaVersion)
	assert.Equal(t, "0123abcd", m.Commit)
	assert.Equal(t, "GITHUB_SHA", m.CommitSource)
	assert.Equal(t, "github:99", m.Group)
	require.NotNil(t, m.Workload)
	assert.Equal(t, sim.Digest(), m.Workload.Digest)
	require.Len(t, m.Workload.Cells, len(r.Cells), "only the shard's cells")
	for _, c := range r.Cells {
		assert.Contains(t, m.Workload.Cells, c.Key)
	}
}

// The release lockbench links is not part of a cell's identity, so a trend across an upgrade
// of it stays one series: a cell that names no DuckDB release (or names "default") has the
// same key and identity whichever release runs it, and what is hashed says "default", never the
// linked release. A cell that names a release is another cell.
func TestWorkloadIdentityLeavesTheLinkedReleaseOut(t *testing.T) {
	base := identityOf(t, tinyScenario)
	withAxis := func(v string) string {
		return strings.Replace(tinyScenario, "  threads: 2\n", "  threads: 2\n  duckdb: "+v+"\n", 1)
	}
	assert.Equal(t, base, identityOf(t, withAxis("default")))
	for key := range base.Cells {
		assert.NotContains(t, key, "duckdb")
	}
	for _, c := range parse(t, tinyScenario).Cells() {
		b, err := json.Marshal(c)
		require.NoError(t, err)
		assert.Contains(t, string(b), `"duckdb":"default"`, "the identity hashes the axis value, not the linked release")
	}
	named := identityOf(t, withAxis("1.5.6"))
	require.Len(t, named.Cells, len(base.Cells))
	for key := range named.Cells {
		assert.Contains(t, key, "duckdb=1.5.6")
		assert.NotContains(t, base.Cells, key)
	}
}
