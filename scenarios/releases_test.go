package scenarios

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/vocab"
)

// A competitor's duckdb option names the release its processes run: it shows in the cell key
// (only when given), in the manifest's JSON, and selectors match it exactly or by kind.
func TestCompetitorRelease(t *testing.T) {
	s, err := Parse("r.yaml", []byte(base+`matrix:
  duckdb: [1.5.6, 2.0]
  competitor:
    - none
    - {kind: reader-process, duckdb: 1.5}
    - {kind: viewers, count: 2, duckdb: v2.0.0}
    - {kind: second-writer, duckdb: default}
expect:
  - cells: {competitor: {kind: reader-process, duckdb: 1.5.6}}
    outcome: lock-conflict
`))
	require.NoError(t, err)
	cells := s.Cells()
	require.Len(t, cells, 8)
	var keys []string
	for _, c := range cells {
		if c.DuckDB == "1.5.6" {
			keys = append(keys, c.Values["competitor"])
		}
	}
	assert.Equal(t, []string{"none", "reader-process(duckdb=1.5.6)", "viewers(count=2;duckdb=2.0.0)", "second-writer"}, keys,
		"a release line is the newest release of it; default is the cell's release and not named")
	for _, c := range cells {
		assert.Equal(t, c.Competitor.Kind == vocab.ReaderProcess, c.Expect == "lock-conflict", c.Key)
		switch c.Competitor.Kind {
		case vocab.ReaderProcess:
			assert.Equal(t, "1.5.6", c.Competitor.DuckDB)
		case vocab.Viewers:
			assert.Equal(t, "2.0.0", c.Competitor.DuckDB)
		default:
			assert.Empty(t, c.Competitor.DuckDB)
		}
	}
	b, err := json.Marshal(cells[2].Competitor)
	require.NoError(t, err)
	assert.JSONEq(t, `{"kind":"reader-process","start":"before","duckdb":"1.5.6"}`, string(b))

	got, err := Filter(cells, "competitor=reader-process")
	require.NoError(t, err)
	assert.Len(t, got, 2, "a bare kind matches every release of it")
	got, err = Filter(cells, "competitor=viewers(count=2;duckdb=2.0.0)/duckdb=2.0.0")
	require.NoError(t, err)
	assert.Len(t, got, 1)
}

// duckdb-binaries maps releases (as the duckdb axis spells them) to paths, kept as written.
func TestDuckDBBinaries(t *testing.T) {
	s, err := Parse("b.yaml", []byte(base+`matrix: {duckdb: [1.5.6]}
duckdb-binaries:
  "1.5": bin/lockbench-1.5.6
  v2.0.0: /opt/lockbench
`))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"1.5.6": "bin/lockbench-1.5.6", "2.0.0": "/opt/lockbench"}, s.DuckDBBinaries)

	s, err = Parse("b.yaml", []byte(base+"matrix: {duckdb: [1.5.6]}\n"))
	require.NoError(t, err)
	assert.Nil(t, s.DuckDBBinaries)

	_, err = Parse("b.yaml", []byte(base+"matrix: {duckdb: [1.5.6]}\nduckdb-binaries: {1.5.6: a, \"1.5\": b}\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "duckdb-binaries: release 1.5.6 named twice")
}

// The upgrade matrix runs each mode on each release alone and mixed with a viewer and a
// writer on the other release, plus one cell that pins the 1.5 format under 2.0.0; its
// expectations say what each mixed pair gives, and its target compares the releases' threaded
// cells.
func TestUpgradeBuiltin(t *testing.T) {
	s, err := Load("upgrade")
	require.NoError(t, err)
	cells := s.Cells()
	require.Len(t, cells, 13)
	other := map[string]string{"1.5.6": "2.0.0", "2.0.0": "1.5.6"}
	seen := map[string]int{}
	for _, c := range cells {
		require.Contains(t, other, c.DuckDB, c.Key)
		assert.Contains(t, []vocab.Mode{vocab.Sequential, vocab.Threaded}, c.Mode, c.Key)
		comp := c.Competitor
		if comp.Kind == vocab.NoCompetitor {
			assert.Equal(t, "ok", c.Expect, c.Key)
			assert.Equal(t, vocab.DefaultValue, c.StorageVersion, c.Key)
			seen[string(c.Mode)+" alone"]++
			continue
		}
		assert.Equal(t, other[c.DuckDB], comp.DuckDB, "%s: the competitor runs the other release", c.Key)
		assert.Contains(t, []vocab.CompetitorKind{vocab.ReaderProcess, vocab.WriterProcess}, comp.Kind, c.Key)
		want := map[string]string{"2.0.0": "storage-format", "1.5.6": "lock-conflict"}[c.DuckDB]
		if c.StorageVersion == "v1.5.0" {
			assert.Equal(t, "2.0.0", c.DuckDB)
			want = "lock-conflict"
			seen["pinned"]++
		} else {
			seen[string(c.Mode)+" "+string(comp.Kind)]++
		}
		assert.Equal(t, want, c.Expect, c.Key)
	}
	assert.Equal(t, map[string]int{"sequential alone": 2, "threaded alone": 2, "sequential reader-process": 2, "threaded reader-process": 2,
		"sequential writer-process": 2, "threaded writer-process": 2, "pinned": 1}, seen)
	require.Len(t, s.Targets, 1)
	b, c := Sides(s.Targets[0], cells)
	require.Len(t, b, 1)
	require.Len(t, c, 1)
	assert.Equal(t, "1.5.6", b[0].DuckDB)
	assert.Equal(t, "2.0.0", c[0].DuckDB)
	assert.Equal(t, vocab.Threaded, b[0].Mode)
	assert.Equal(t, b[0].Seed, c[0].Seed, "both releases simulate the same data")
}
