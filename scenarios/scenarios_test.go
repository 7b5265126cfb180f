package scenarios

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/criteria"
	"lockbench/vocab"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test ./scenarios/ -update")
	assert.Equal(t, string(want), got)
}

func TestErrorGoldens(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "errors", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			s, err := Load(file)
			require.Error(t, err, "expected %s to be rejected", file)
			assert.Nil(t, s)
			var e *Error
			require.True(t, errors.As(err, &e), "error is %T, not *Error", err)
			assert.True(t, errors.Is(err, ErrInvalid))
			assert.Equal(t, file, e.File)
			assert.Positive(t, e.Line, "error has no line: %v", err)
			assert.Positive(t, e.Col, "error has no column: %v", err)
			assert.True(t, strings.HasPrefix(err.Error(), fmt.Sprintf("%s:%d:%d: ", file, e.Line, e.Col)))
			golden(t, filepath.Join("errors", name+".golden"), err.Error()+"\n")
		})
	}
}

func TestBuiltinsParse(t *testing.T) {
	infos := Builtins()
	var names []string
	for _, in := range infos {
		names = append(names, in.Name)
		assert.NotEmpty(t, in.Description, in.Name)
		assert.Positive(t, in.Cells, in.Name)
	}
	assert.Equal(t, []string{"full", "locks", "quick", "strategies", "upgrade"}, names)
	for _, in := range infos {
		s, err := Load(in.Name)
		require.NoError(t, err, in.Name)
		assert.Equal(t, "builtin:"+in.Name, s.Source)
		cells := s.Cells()
		assert.Len(t, cells, in.Cells)
		keys := map[string]bool{}
		for _, c := range cells {
			assert.False(t, keys[c.Key], "duplicate key %s", c.Key)
			keys[c.Key] = true
			for _, o := range strings.Split(c.Expect, "|") {
				assert.Contains(t, vocab.Kinds, vocab.Kind(o))
			}
		}
		for _, tg := range s.Targets {
			b, c := Sides(tg, cells)
			assert.NotEmpty(t, b, tg.Name)
			assert.NotEmpty(t, c, tg.Name)
			assert.GreaterOrEqual(t, s.Trials*len(b), 10, "target %s: baseline below the verdict floor", tg.Name)
			assert.GreaterOrEqual(t, s.Trials*len(c), 10, "target %s: candidate below the verdict floor", tg.Name)
		}
	}
	_, err := Load("nosuch")
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, `nosuch: no built-in matrix or file "nosuch"; allowed: full, locks, quick, strategies, upgrade, or a path to a YAML file`, err.Error())
}

func TestBuiltinContents(t *testing.T) {
	quick, err := Load(DefaultMatrix)
	require.NoError(t, err)
	assert.Len(t, quick.Cells(), 6)
	assert.Equal(t, 10, quick.Trials)
	assert.Equal(t, 1, quick.Warmup)
	require.Len(t, quick.Targets, 1)
	tg := quick.Targets[0]
	assert.Equal(t, criteria.Target{Name: "S031-04", Metric: "overhead", Reduction: 0.65,
		Baseline:  criteria.Selector{"mode": "process-per-model", "coordination": "off", "competitor": "none"},
		Candidate: criteria.Selector{"mode": "threaded", "coordination": "on", "competitor": "none"}}, tg)
	for _, c := range quick.Cells() {
		want := "ok"
		if c.Competitor.Kind == "reader-process" {
			want = "lock-conflict"
		}
		assert.Equal(t, want, c.Expect, c.Key)
		assert.Equal(t, c.Mode != "process-per-model", c.Coordination, c.Key)
	}

	full, err := Load("full")
	require.NoError(t, err)
	assert.Len(t, full.Cells(), 73)

	locks, err := Load("locks")
	require.NoError(t, err)
	cells := locks.Cells()
	assert.Len(t, cells, 38)
	for _, m := range vocab.Strings(vocab.Modes) {
		for _, k := range append([]vocab.CompetitorKind{vocab.NoCompetitor}, vocab.CompetitorKinds...) {
			comp := string(k)
			if k == vocab.ExecCompetitor || k.Cooperates() {
				continue // a user's command; the strategies matrix has the cooperating ones
			}
			got, err := Filter(cells, "mode="+m+"/competitor="+comp+"/lock-retry=off")
			require.NoError(t, err)
			assert.Len(t, got, 1, "%s × %s", m, comp)
		}
	}
}

func TestQuickKeysGolden(t *testing.T) {
	s, err := Load("quick")
	require.NoError(t, err)
	var b strings.Builder
	for _, c := range s.Cells() {
		fmt.Fprintf(&b, "%s seed=%d expect=%s\n", c.Key, c.Seed, c.Expect)
	}
	golden(t, "quick.keys.golden", b.String())
}

const base = `
defaults:
  employees: 100
  years: 2025-2026
`

func keysOf(cells []Cell, axes ...string) []string {
	var out []string
	for _, c := range cells {
		var parts []string
		for _, a := range axes {
			parts = append(parts, a+"="+c.Values[a])
		}
		out = append(out, strings.Join(parts, "/"))
	}
	return out
}

func TestExpansion(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		axes []string
		want []string
	}{
		{
			name: "product, first axis slowest",
			yaml: "matrix: {mode: [sequential, threaded], coordination: [on, off]}",
			axes: []string{"mode", "coordination"},
			want: []string{"mode=sequential/coordination=on", "mode=sequential/coordination=off", "mode=threaded/coordination=on", "mode=threaded/coordination=off"},
		},
		{
			name: "exclude drops partial matches",
			yaml: "matrix: {mode: [sequential, threaded], coordination: [on, off]}\nexclude: [{mode: sequential, coordination: off}]",
			axes: []string{"mode", "coordination"},
			want: []string{"mode=sequential/coordination=on", "mode=threaded/coordination=on", "mode=threaded/coordination=off"},
		},
		{
			name: "exclude may name a default axis",
			yaml: "matrix: {mode: [sequential, threaded]}\nexclude: [{employees: 100, mode: threaded}]",
			axes: []string{"mode"},
			want: []string{"mode=sequential"},
		},
		{
			name: "include extends matching combinations with a non-matrix axis",
			yaml: "matrix: {mode: [threaded, parallel-processes], competitor: [none, readers]}\ninclude: [{mode: parallel-processes, lock-retry: on}]",
			axes: []string{"mode", "competitor", "lock-retry"},
			want: []string{"mode=threaded/competitor=none/lock-retry=off", "mode=threaded/competitor=readers/lock-retry=off", "mode=parallel-processes/competitor=none/lock-retry=on", "mode=parallel-processes/competitor=readers/lock-retry=on"},
		},
		{
			name: "include without matrix axes extends every combination",
			yaml: "matrix: {mode: [threaded, sequential]}\ninclude: [{employees: 500}]",
			axes: []string{"mode", "employees"},
			want: []string{"mode=threaded/employees=500", "mode=sequential/employees=500"},
		},
		{
			name: "include contradicting a matrix value adds one cell",
			yaml: "matrix: {mode: [threaded], lock-retry: [off]}\ninclude: [{mode: threaded, lock-retry: on}]",
			axes: []string{"mode", "lock-retry"},
			want: []string{"mode=threaded/lock-retry=off", "mode=threaded/lock-retry=on"},
		},
		{
			name: "include of an excluded combination adds it back",
			yaml: "matrix: {mode: [sequential, threaded]}\nexclude: [{mode: sequential}]\ninclude: [{mode: sequential, employees: 200}]",
			axes: []string{"mode", "employees"},
			want: []string{"mode=threaded/employees=100", "mode=sequential/employees=200"},
		},
		{
			name: "later include overwrites values added by an earlier one",
			yaml: "matrix: {mode: [threaded]}\ninclude: [{threads: 2}, {mode: threaded, threads: 8}]",
			axes: []string{"mode", "threads"},
			want: []string{"mode=threaded/threads=8"},
		},
		{
			name: "threads collapse for single-connection modes",
			yaml: "matrix: {mode: [sequential, threaded], threads: [1, 4]}",
			axes: []string{"mode", "threads"},
			want: []string{"mode=sequential/threads=1", "mode=threaded/threads=1", "mode=threaded/threads=4"},
		},
		{
			name: "years forms",
			yaml: "matrix: {years: [2025, 2025-2027, [2025, 2027], \"2026+2028\"]}",
			axes: []string{"years"},
			want: []string{"years=2025", "years=2025-2027", "years=2025+2027", "years=2026+2028"},
		},
		{
			name: "booleans and competitor options",
			yaml: "matrix: {coordination: [true, off], competitor: [none, {kind: readers, count: 3, start: delay 2s}]}",
			axes: []string{"coordination", "competitor"},
			want: []string{"coordination=on/competitor=none", "coordination=on/competitor=readers(count=3;start=delay-2s)", "coordination=off/competitor=none", "coordination=off/competitor=readers(count=3;start=delay-2s)"},
		},
		{
			name: "a scalar matrix value is one value",
			yaml: "matrix: {mode: process-per-model, seed: [1, 2]}",
			axes: []string{"mode", "seed"},
			want: []string{"mode=process-per-model/seed=1", "mode=process-per-model/seed=2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(base+tt.yaml))
			require.NoError(t, err)
			assert.Equal(t, tt.want, keysOf(s.Cells(), tt.axes...))
		})
	}
}

func TestCellFields(t *testing.T) {
	s, err := Parse("t.yaml", []byte(`
workload: {kind: exec, command: "run --mode {mode} --threads {threads} --years {years} --db {db} -n {employees} --seed {seed} --coord {coordination} {{x}}"}
root-seed: 42
timeout: 90
defaults:
  mode: threaded
  threads: 3
  coordination: off
  employees: 250
  years: [2030, 2031]
  competitor: {kind: exec, command: "viewer {db}", start: year 2031}
  seed: 7
matrix:
  lock-retry: [on]
`))
	require.NoError(t, err)
	assert.Equal(t, int64(42), s.RootSeed)
	assert.Equal(t, "1m30s", s.Timeout.String())
	cells := s.Cells()
	require.Len(t, cells, 1)
	c := cells[0]
	assert.Equal(t, vocab.Threaded, c.Mode)
	assert.Equal(t, 3, c.Threads)
	assert.False(t, c.Coordination)
	assert.True(t, c.LockRetry)
	assert.Equal(t, 250, c.Employees)
	assert.Equal(t, []int{2030, 2031}, c.Years)
	assert.Equal(t, vocab.ExecCompetitor, c.Competitor.Kind)
	assert.Equal(t, Start{Kind: StartYear, Year: 2031}, c.Competitor.Start)
	assert.Equal(t, 7, c.SeedLabel)
	assert.Equal(t, DeriveSeed(42, "employees=250/years=2030-2031/seed=7"), c.Seed)
	assert.Regexp(t, `^mode=threaded/threads=3/coordination=off/lock-retry=on/employees=250/years=2030-2031/competitor=exec\(start=year-2031;cmd=[0-9a-f]{8}\)/seed=7$`, c.Key)
	assert.Equal(t, fmt.Sprintf("run --mode threaded --threads 3 --years 2030 2031 --db /tmp/x.db -n 250 --seed %d --coord off {x}", c.Seed),
		Expand(s.Workload.Command, c, "/tmp/x.db"))
	assert.Equal(t, "viewer /tmp/x.db", Expand(c.Competitor.Command, c, "/tmp/x.db"))
	assert.Equal(t, "ok", c.Expect)
	assert.True(t, c.Accepts("ok"))
	assert.False(t, c.Accepts("lock-conflict"))
}

func TestSeedsStable(t *testing.T) {
	s, err := Load("full")
	require.NoError(t, err)
	all := s.Cells()
	bySeed := map[string]int64{}
	for _, c := range all {
		assert.Equal(t, DeriveSeed(s.RootSeed, c.DataKey()), c.Seed)
		if prev, ok := bySeed[c.DataKey()]; ok {
			assert.Equal(t, prev, c.Seed, "cells with the same data must share a seed")
		}
		bySeed[c.DataKey()] = c.Seed
	}
	assert.Len(t, bySeed, 6, "3 sizes × 2 year spans")
	filtered, err := Filter(all, "mode=threaded/threads=8")
	require.NoError(t, err)
	for _, c := range filtered {
		assert.Equal(t, bySeed[c.DataKey()], c.Seed)
	}
	s.RootSeed = 2
	for _, c := range s.Cells() {
		assert.NotEqual(t, bySeed[c.DataKey()], c.Seed, "a new root seed gives new data")
	}
	assert.Equal(t, DeriveSeed(1, "k"), DeriveSeed(1, "k"))
	assert.NotEqual(t, DeriveSeed(1, "k"), DeriveSeed(2, "k"))
	assert.GreaterOrEqual(t, DeriveSeed(-5, "anything"), int64(0))
}

func TestShardUnion(t *testing.T) {
	s, err := Load("full")
	require.NoError(t, err)
	cells := s.Cells()
	for n := 1; n <= 7; n++ {
		seen := map[string]int{}
		for k := 1; k <= n; k++ {
			shard, err := Shard(cells, k, n)
			require.NoError(t, err)
			assert.InDelta(t, float64(len(cells))/float64(n), len(shard), 1, "shard %d/%d is unbalanced", k, n)
			for _, c := range shard {
				seen[c.Key]++
			}
			// The assignment does not depend on the input order.
			rev := slices.Clone(cells)
			slices.Reverse(rev)
			shard2, err := Shard(rev, k, n)
			require.NoError(t, err)
			assert.ElementsMatch(t, keys(shard), keys(shard2))
		}
		assert.Len(t, seen, len(cells), "n=%d: the union must be the full set", n)
		for key, times := range seen {
			assert.Equal(t, 1, times, "n=%d: %s is in %d shards", n, key, times)
		}
	}
	for _, bad := range [][2]int{{0, 3}, {4, 3}, {1, 0}} {
		_, err := Shard(cells, bad[0], bad[1])
		assert.ErrorIs(t, err, ErrInvalid)
	}
	k, n, err := ParseShard("2/5")
	require.NoError(t, err)
	assert.Equal(t, [2]int{2, 5}, [2]int{k, n})
	for _, bad := range []string{"", "0/2", "3/2", "a/b", "2"} {
		_, _, err := ParseShard(bad)
		assert.ErrorIs(t, err, ErrInvalid, bad)
	}
}

func TestSchedule(t *testing.T) {
	s, err := Load("quick")
	require.NoError(t, err)
	cells := s.Cells()
	slots := Schedule(cells, 4, 2, 99)
	require.Len(t, slots, len(cells)*6)

	// Warmups first, each cell exactly warmup times, then rounds of every cell once.
	for i, sl := range slots {
		assert.Equal(t, i < len(cells)*2, sl.Warmup, "slot %d", i)
	}
	for r := 0; r < 6; r++ {
		round := slots[r*len(cells) : (r+1)*len(cells)]
		var ks []string
		for _, sl := range round {
			ks = append(ks, sl.Cell.Key)
			want := r
			if r >= 2 {
				want = r - 2
			}
			assert.Equal(t, want, sl.Trial)
		}
		assert.ElementsMatch(t, keys(cells), ks, "round %d runs every cell once", r)
	}

	// Interleaved: rounds are not all in the same order.
	orders := map[string]bool{}
	for r := 2; r < 6; r++ {
		var ks []string
		for _, sl := range slots[r*len(cells) : (r+1)*len(cells)] {
			ks = append(ks, sl.Cell.Key)
		}
		orders[strings.Join(ks, " ")] = true
	}
	assert.Greater(t, len(orders), 1, "measured rounds should be shuffled")

	// Deterministic from the seed and independent of the input order.
	rev := slices.Clone(cells)
	slices.Reverse(rev)
	assert.Equal(t, slotKeys(slots), slotKeys(Schedule(rev, 4, 2, 99)))
	assert.NotEqual(t, slotKeys(slots), slotKeys(Schedule(cells, 4, 2, 100)))
	assert.Empty(t, Schedule(cells, 0, 0, 1))
}

func slotKeys(slots []Slot) []string {
	out := make([]string, len(slots))
	for i, s := range slots {
		out[i] = fmt.Sprintf("%s#%d/%v", s.Cell.Key, s.Trial, s.Warmup)
	}
	return out
}

func TestFilterAndMatches(t *testing.T) {
	s, err := Parse("t.yaml", []byte(base+`
matrix:
  mode: [sequential, threaded]
  coordination: [on, off]
  competitor: [none, readers, {kind: readers, count: 4}]
`))
	require.NoError(t, err)
	cells := s.Cells()
	require.Len(t, cells, 12)
	tests := []struct {
		expr string
		n    int
	}{
		{"", 12},
		{"mode=threaded", 6},
		{"mode=threaded,sequential", 12},
		{"mode=threaded/coordination=true", 3},
		{"coordination=off/competitor=readers", 4},
		{"competitor=readers(count=4)", 4},
		{"competitor=none,readers(count=4)", 8},
		{"years=2025-2026/employees=100", 12},
		{"mode=threaded/mode=sequential", 0},
		{cells[3].Key, 1},
	}
	for _, tt := range tests {
		got, err := Filter(cells, tt.expr)
		require.NoError(t, err, tt.expr)
		assert.Len(t, got, tt.n, tt.expr)
	}
	for expr, msg := range map[string]string{
		"colour=red":    `--filter: unknown axis "colour"; allowed: mode, threads, coordination, lock-retry, strategy, employees, years, competitor, seed, duckdb, storage-version`,
		"mode=fast":     `--filter: unknown mode "fast"; allowed: sequential, threaded, process-per-model, parallel-processes`,
		"mode":          `--filter: bad term "mode" in "mode"; allowed: axis=value terms joined with "/", alternatives joined with ",", e.g. mode=threaded,sequential/coordination=on`,
		"threads=0":     `--filter: threads must be from 1 to 1024, not 0; allowed: an integer from 1 to 1024`,
		"strategy=hope": `--filter: unknown strategy "hope"; allowed: none, parallel, single-process, retry, queue, publish, per-worker-files, read-only-attach`,
		"competitor=vs": `--filter: unknown competitor "vs"; allowed: none, reader-process, writer-process, readers, flapping-process, viewers, second-writer, stopped-holder, killed-holder, in-process-writer, exec (or a mapping {kind, count, period, start, command, duckdb})`,
	} {
		_, err := Filter(cells, expr)
		require.Error(t, err, expr)
		assert.ErrorIs(t, err, ErrInvalid)
		assert.Equal(t, msg, err.Error())
	}

	c := cells[0]
	assert.True(t, c.Matches(map[string]string{"mode": "sequential", "coordination": "true", "years": "2025-2026"}))
	assert.True(t, c.Matches(nil))
	assert.False(t, c.Matches(map[string]string{"mode": "threaded"}))
	assert.False(t, c.Matches(map[string]string{"colour": "red"}))
	assert.False(t, c.Matches(map[string]string{"threads": "many"}))
}

func TestExpectGroups(t *testing.T) {
	s, err := Parse("t.yaml", []byte(base+`
matrix:
  mode: [threaded, parallel-processes]
  competitor: [none, flapping-process]
expect:
  - cells: {competitor: flapping-process}
    outcome: [lock-conflict, ok]
  - cells: {mode: parallel-processes}
    outcome: lock-conflict
`))
	require.NoError(t, err)
	got := map[string]string{}
	for _, c := range s.Cells() {
		got[string(c.Mode)+"/"+string(c.Competitor.Kind)] = c.Expect
	}
	assert.Equal(t, map[string]string{
		"threaded/none":                       "ok",
		"threaded/flapping-process":           "ok|lock-conflict",
		"parallel-processes/none":             "lock-conflict",
		"parallel-processes/flapping-process": "lock-conflict",
	}, got)
	c, err := Filter(s.Cells(), "mode=threaded/competitor=flapping-process")
	require.NoError(t, err)
	assert.True(t, c[0].Accepts("ok"))
	assert.True(t, c[0].Accepts("lock-conflict"))
	assert.False(t, c[0].Accepts("mismatch"))
}

func TestEffective(t *testing.T) {
	s, err := Load("quick")
	require.NoError(t, err)
	s.RootSeed = 7
	b, err := s.Effective()
	require.NoError(t, err)
	var v struct {
		Name     string `json:"name"`
		RootSeed int64  `json:"root_seed"`
		Timeout  string `json:"timeout"`
		Cells    []struct {
			Key        string          `json:"key"`
			Seed       int64           `json:"seed"`
			Expect     string          `json:"expect"`
			Competitor json.RawMessage `json:"competitor"`
		} `json:"cells"`
		Targets []struct {
			Name           string   `json:"name"`
			BaselineCells  []string `json:"baseline_cells"`
			CandidateCells []string `json:"candidate_cells"`
		} `json:"targets"`
	}
	require.NoError(t, json.Unmarshal(b, &v))
	assert.Equal(t, "quick", v.Name)
	assert.Equal(t, int64(7), v.RootSeed)
	assert.Equal(t, "2m0s", v.Timeout)
	require.Len(t, v.Cells, 6)
	assert.Equal(t, s.Cells()[0].Seed, v.Cells[0].Seed)
	assert.JSONEq(t, `{"kind":"none","start":"before"}`, string(v.Cells[0].Competitor))
	require.Len(t, v.Targets, 1)
	assert.Equal(t, []string{"mode=process-per-model/threads=1/coordination=off/lock-retry=off/employees=2000/years=2025-2027/competitor=none/seed=1"}, v.Targets[0].BaselineCells)
	assert.Equal(t, []string{"mode=threaded/threads=4/coordination=on/lock-retry=off/employees=2000/years=2025-2027/competitor=none/seed=1"}, v.Targets[0].CandidateCells)
}

func TestFormatYears(t *testing.T) {
	for in, want := range map[string]string{"2025": "2025", "2025 2026": "2025-2026", "2025 2026 2027": "2025-2027", "2025 2027": "2025+2027", "2025 2026 2028": "2025+2026+2028"} {
		var ys []int
		for _, f := range strings.Fields(in) {
			var y int
			fmt.Sscan(f, &y)
			ys = append(ys, y)
		}
		assert.Equal(t, want, FormatYears(ys), in)
	}
}

func ExampleParse() {
	s, err := Parse("example.yaml", []byte(`
defaults: {employees: 2000, years: [2025, 2026, 2027]}
matrix:
  mode: [sequential, threaded]
  competitor: [none, reader-process]
expect:
  - cells: {competitor: reader-process}
    outcome: lock-conflict
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range s.Cells() {
		fmt.Println(c.Key, c.Expect)
	}
	// Output:
	// mode=sequential/threads=1/coordination=on/lock-retry=off/employees=2000/years=2025-2027/competitor=none/seed=1 ok
	// mode=sequential/threads=1/coordination=on/lock-retry=off/employees=2000/years=2025-2027/competitor=reader-process/seed=1 lock-conflict
	// mode=threaded/threads=4/coordination=on/lock-retry=off/employees=2000/years=2025-2027/competitor=none/seed=1 ok
	// mode=threaded/threads=4/coordination=on/lock-retry=off/employees=2000/years=2025-2027/competitor=reader-process/seed=1 lock-conflict
}

func ExampleParse_error() {
	_, err := Parse("bad.yaml", []byte("matrix:\n  mode: [threaded, turbo]\n"))
	fmt.Println(err)
	// Output:
	// bad.yaml:2:20: matrix.mode[1]: unknown mode "turbo"; allowed: sequential, threaded, process-per-model, parallel-processes
}

func TestStrategiesMatrix(t *testing.T) {
	s, err := Load("strategies")
	require.NoError(t, err)
	cells := s.Cells()
	require.Len(t, cells, len(vocab.Strategies)*3+1, "every strategy × 3 competitor sets, and the sequential reference")
	seen := map[string]int{}
	for _, c := range cells {
		seen[string(c.Strategy)+" × "+string(c.Competitor.Kind)]++
		assert.Equal(t, c.Strategy != "none", strings.Contains(c.Key, "/strategy="+string(c.Strategy)+"/"), c.Key)
		if c.Strategy == "none" {
			assert.Equal(t, vocab.Sequential, c.Mode)
			assert.Equal(t, vocab.NoCompetitor, c.Competitor.Kind)
			assert.Equal(t, "ok", c.Expect)
			continue
		}
		st, err := vocab.ParseStrategy(string(c.Strategy))
		require.NoError(t, err)
		assert.Equal(t, st.Mode(), c.Mode, "the strategy decides the mode of %s", c.Key)
		assert.Equal(t, c.Strategy == "retry", c.LockRetry, c.Key)
		assert.Equal(t, 2, c.Threads)
		want := "ok"
		switch {
		case c.Strategy == "parallel":
			want = "lock-conflict"
		case (c.Strategy == "single-process" || c.Strategy == "read-only-attach") && c.Competitor.Kind != "none":
			want = "ok|lock-conflict"
		}
		assert.Equal(t, want, c.Expect, c.Key)
		if c.Competitor.Kind == "viewers" {
			assert.Equal(t, 3, c.Competitor.Count)
			assert.Equal(t, 200*time.Millisecond, c.Competitor.Period)
		}
	}
	for _, st := range vocab.Strategies {
		for _, comp := range []string{"none", "viewers", "second-writer"} {
			assert.Equal(t, 1, seen[string(st)+" × "+comp], "%s × %s", st, comp)
		}
	}
	assert.Equal(t, 1, seen["none × none"], "the sequential reference")
	// Every cell simulates the same data.
	for _, c := range cells {
		assert.Equal(t, cells[0].Seed, c.Seed, c.Key)
	}
}

func TestStrategyKeysAndErrors(t *testing.T) {
	s, err := Parse("s.yaml", []byte(base+"matrix: {strategy: [none, publish], competitor: [viewers, {kind: second-writer, period: 1s}]}"))
	require.NoError(t, err)
	var keys []string
	for _, c := range s.Cells() {
		keys = append(keys, c.Key)
	}
	assert.Equal(t, []string{
		"mode=threaded/threads=4/coordination=on/lock-retry=off/employees=100/years=2025-2026/competitor=viewers/seed=1",
		"mode=threaded/threads=4/coordination=on/lock-retry=off/employees=100/years=2025-2026/competitor=second-writer(period=1s)/seed=1",
		"mode=threaded/threads=4/coordination=on/lock-retry=off/strategy=publish/employees=100/years=2025-2026/competitor=viewers/seed=1",
		"mode=threaded/threads=4/coordination=on/lock-retry=off/strategy=publish/employees=100/years=2025-2026/competitor=second-writer(period=1s)/seed=1",
	}, keys)
	got, err := Filter(s.Cells(), "strategy=publish/competitor=viewers")
	require.NoError(t, err)
	assert.Len(t, got, 1)

	for src, msg := range map[string]string{
		"matrix: {strategy: [hope]}": `s.yaml:1:21: matrix.strategy[0]: unknown strategy "hope"; allowed: none, parallel, single-process, retry, queue, publish, per-worker-files, read-only-attach`,
		"workload: {kind: exec, command: \"run {db}\"}\nmatrix: {strategy: [queue]}": `s.yaml:2:21: cell mode=parallel-processes/threads=4/coordination=on/lock-retry=off/strategy=queue/employees=1000/years=2025-2027/competitor=none/seed=1: strategy queue applies to the sim workload; an exec command shares the file its own way; allowed: strategy: none with an exec workload`,
		"matrix: {competitor: [{kind: second-writer, count: 2}]}":                    `s.yaml:1:52: matrix.competitor[0]: count applies only to readers and viewers, not second-writer; allowed: count with kind readers or viewers`,
	} {
		_, err := Parse("s.yaml", []byte(src))
		require.Error(t, err, src)
		assert.Equal(t, msg, err.Error(), src)
	}
}
func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"90s", 90 * time.Second, ""},
		{"1m30s", 90 * time.Second, ""},
		{"500ms", 500 * time.Millisecond, ""},
		{"90", 90 * time.Second, ""},
		{" 24h ", 24 * time.Hour, ""},
		{"0", 0, "not positive"},
		{"-1s", 0, "not positive"},
		{"-99999999999999999999", 0, "not positive"},
		{"25h", 0, "longer than 24h"},
		{"86401", 0, "longer than 24h"},
		{"9223372037", 0, "longer than 24h"},
		{"99999999999999999999", 0, "longer than 24h"},
		{"soon", 0, `bad duration "soon"`},
		{"", 0, "empty duration"},
	}
	for _, tc := range tests {
		d, err := ParseDuration(tc.in)
		if tc.err != "" {
			assert.ErrorContains(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, d, tc.in)
	}
}

func TestLabels(t *testing.T) {
	tests := []struct {
		name   string
		keys   []string
		labels map[string]string
		common string
	}{
		{"none", nil, map[string]string{}, ""},
		{"one key keeps everything", []string{"mode=threaded/threads=4"}, map[string]string{"mode=threaded/threads=4": "mode=threaded threads=4"}, ""},
		{"varying and constant axes",
			[]string{"mode=threaded/threads=4/lock-retry=off/employees=2000", "mode=sequential/threads=1/lock-retry=off/employees=2000", "mode=threaded/threads=8/lock-retry=off/employees=2000"},
			map[string]string{
				"mode=threaded/threads=4/lock-retry=off/employees=2000":   "mode=threaded threads=4",
				"mode=sequential/threads=1/lock-retry=off/employees=2000": "mode=sequential threads=1",
				"mode=threaded/threads=8/lock-retry=off/employees=2000":   "mode=threaded threads=8",
			},
			"lock-retry=off employees=2000"},
		{"an axis some keys lack varies", []string{"mode=a/x=1", "mode=b"}, map[string]string{"mode=a/x=1": "mode=a x=1", "mode=b": "mode=b"}, ""},
		{"duplicates count once", []string{"a=1/b=2", "a=1/b=2"}, map[string]string{"a=1/b=2": "a=1 b=2"}, ""},
		{"competitor options stay whole", []string{"mode=threaded/competitor=readers(count=3;start=delay-2s)", "mode=threaded/competitor=none"},
			map[string]string{"mode=threaded/competitor=readers(count=3;start=delay-2s)": "competitor=readers(count=3;start=delay-2s)", "mode=threaded/competitor=none": "competitor=none"},
			"mode=threaded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			labels, common := Labels(tc.keys)
			assert.Equal(t, tc.labels, labels)
			assert.Equal(t, tc.common, common)
		})
	}
}

func TestMatrixSizeCap(t *testing.T) {
	// 1024 threads × 1000 seeds would be a million cells: refused before any is built.
	threads := make([]string, vocab.MaxThreads)
	for i := range threads {
		threads[i] = fmt.Sprint(i + 1)
	}
	seeds := make([]string, 1000)
	for i := range seeds {
		seeds[i] = fmt.Sprint(i)
	}
	src := fmt.Sprintf("matrix:\n  threads: [%s]\n  seed: [%s]\n", strings.Join(threads, ", "), strings.Join(seeds, ", "))
	_, err := Parse("big.yaml", []byte(src))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "big.yaml:1:1: the matrix expands to threads 1024 × seed 1000 = 1024000 cells")
	assert.Contains(t, err.Error(), "at most 100000 cells")
	// Include entries count too: a product at the cap plus one entry is refused.
	_, err = Parse("inc.yaml", []byte(fmt.Sprintf("matrix:\n  threads: [%s]\n  seed: [%s]\ninclude:\n  - {mode: sequential}\n",
		strings.Join(threads[:100], ", "), strings.Join(seeds, ", "))))
	assert.ErrorContains(t, err, "= 100001 cells (with 1 include entries)")
}
