package trend

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/outcome"
	"lockbench/vocab"
)

// t0 is the time of the first synthetic run; run i starts i hours later.
var t0 = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)

// synthRun describes a run directory to write.
type synthRun struct {
	id      string
	at      time.Time
	commit  string
	shard   string
	group   string
	schema1 bool              // a version 1 manifest: no commit, group or workload identity
	ident   map[string]string // cell → workload identity (default "w1" for every cell)
	// cells maps a cell key to the overhead of its ok trials; wall = overhead + 1, sql = 1.
	cells map[string][]float64
	// failed adds non-ok measured trials per cell; every run also gets a warmup trial per cell
	// with an absurd value, which must never count.
	failed map[string]int
	// duckdb is the manifest's DuckDB version ("v2.0.0"); trialDuckDB the release the trials
	// record ("" for records written before trials recorded one).
	duckdb, trialDuckDB string
	// env adds measured trials per cell that failed for environmental reasons (not results).
	env map[string]int
}

// writeRun writes r as a run directory under root and returns its path.
func writeRun(t testing.TB, root string, r synthRun) string {
	t.Helper()
	dir := filepath.Join(root, r.at.Format("20060102T150405Z")+"-"+r.id)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	m := history.Manifest{
		SchemaVersion: history.SchemaVersion, ID: r.id, CreatedAt: r.at, RootSeed: 1, Shard: r.shard,
		Scenario: json.RawMessage(`{"name":"synthetic"}`), Versions: history.Versions{Lockbench: "0.1.0", Commit: "feedfacecafe", DuckDB: r.duckdb},
	}
	if r.schema1 {
		m.SchemaVersion = 1
	} else {
		m.Commit, m.Group = r.commit, r.group
		m.Workload = &history.WorkloadIdentity{Kind: "sim", Digest: "sha256:x", Cells: map[string]string{}}
		for c := range r.cells {
			id := "w1"
			if r.ident != nil && r.ident[c] != "" {
				id = r.ident[c]
			}
			m.Workload.Cells[c] = id
		}
	}
	require.NoError(t, history.WriteManifest(dir, m))
	// One write of the whole history (the appender's fsync per line is too slow for thousands
	// of synthetic trials); the format is the same.
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, cell := range slices.Sorted(maps.Keys(r.cells)) {
		xs := r.cells[cell]
		require.NoError(t, enc.Encode(history.Trial{Cell: cell, Warmup: true, Outcome: outcome.Outcome{Kind: vocab.OK}, WallS: 1e6, OverheadS: 1e6, SQLS: 1}))
		for i, x := range xs {
			require.NoError(t, enc.Encode(history.Trial{
				Cell: cell, Trial: i, Outcome: outcome.Outcome{Kind: vocab.OK},
				WallS: x + 1, SQLS: 1, OverheadS: x, StartedAt: r.at, DuckDB: r.trialDuckDB,
			}))
		}
		for i := range r.failed[cell] {
			require.NoError(t, enc.Encode(history.Trial{Cell: cell, Trial: len(xs) + i, Outcome: outcome.Outcome{Kind: vocab.Crash}, WallS: 99, OverheadS: 99}))
		}
		for i := range r.env[cell] {
			require.NoError(t, enc.Encode(history.Trial{Cell: cell, Trial: len(xs) + r.failed[cell] + i, Outcome: outcome.Outcome{Kind: vocab.Environment, Sub: vocab.SubDiskFull}}))
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, history.HistoryFile), b.Bytes(), 0o644))
	return dir
}

// noisy returns n trials around level with relative spread sd.
func noisy(rng *rand.Rand, n int, level, sd float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = level * (1 + sd*rng.NormFloat64())
	}
	return out
}

// series writes one run per level (run i at t0 + i hours, commit c<i>, id r<i>) with trials
// trials of cell around the level, and returns the root.
func series(t testing.TB, cell string, levels []float64, trials int, seed uint64) string {
	t.Helper()
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(seed, 1))
	for i, lv := range levels {
		writeRun(t, root, synthRun{
			id: fmt.Sprintf("r%03d", i), at: t0.Add(time.Duration(i) * time.Hour), commit: fmt.Sprintf("c%03d", i),
			cells: map[string][]float64{cell: noisy(rng, trials, lv, 0.02)},
		})
	}
	return root
}

// steps returns n levels: base, times factor from index at on.
func steps(n int, base float64, changes ...struct {
	at     int
	factor float64
}) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = base
		for _, c := range changes {
			if i >= c.at {
				out[i] = base * c.factor
			}
		}
	}
	return out
}

type change = struct {
	at     int
	factor float64
}

func analyze(t testing.TB, o Options, paths ...string) *Trend {
	t.Helper()
	data, err := Load(context.Background(), paths...)
	require.NoError(t, err)
	tr, err := Analyze(data, o)
	require.NoError(t, err)
	return tr
}

const cellA = "mode=threaded/threads=4/coordination=on/lock-retry=off/employees=2000/years=2025-2027/competitor=none/seed=1"
