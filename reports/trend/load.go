package trend

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"lockbench/history"
	"lockbench/release"
	"lockbench/scenarios"
	"lockbench/vocab"
)

// MergedRun is one point in time of a trend: a run directory, or the shards of one sharded run
// merged (as `lockbench report` merges them).
type MergedRun struct {
	// ID is the run's ID; for merged shards, the first shard's (by shard index).
	ID string
	// IDs are the IDs of every run directory merged into this run (one unless sharded).
	IDs []string
	// Dirs are the run directories.
	Dirs []string
	// Shards are the shard expressions ("2/4") of the merged run directories; empty when the run
	// was not sharded.
	Shards []string
	// Time is when the run started (the earliest manifest time of its shards).
	Time time.Time
	// Commit is the commit under test ("" when the run did not record one).
	Commit string
	// Lockbench is lockbench's version and own commit, e.g. "0.1.0 (1a2b3c4d5e6f)".
	Lockbench string
	// Scenario is the scenario's name; Group the CI pipeline run ("" outside CI).
	Scenario, Group string
	// Workload maps each cell key to its workload identity; nil for runs recorded before
	// manifests had one (schema_version 1), whose cells all have an unknown identity.
	Workload map[string]string
	// Cells maps each cell key to its measured trials' timings.
	Cells map[string]*CellTimings
}

// CellTimings are the measured (non-warmup) trials of one cell in one run.
type CellTimings struct {
	// Measured counts the cell's non-warmup trials, whatever their outcome.
	Measured int
	// Wall, SQL and Overhead are the metrics of the trials whose outcome was ok, in seconds.
	Wall, SQL, Overhead []float64
	// DuckDB counts the measured trials by the DuckDB release that ran their workload
	// (history.Trial.WorkloadRelease: as recorded, else the cell's axis, else the manifest's).
	DuckDB map[string]int
}

// Releases returns the releases of the measured trials, oldest first.
func (t *CellTimings) Releases() []string {
	out := slices.Collect(maps.Keys(t.DuckDB))
	slices.SortFunc(out, release.Compare)
	return out
}

// Values returns the ok trials' values of metric ("wall", "sql" or "overhead").
func (t *CellTimings) Values(metric string) []float64 {
	switch vocab.Metric(metric) {
	case vocab.Wall:
		return t.Wall
	case vocab.SQL:
		return t.SQL
	default:
		return t.Overhead
	}
}

// Data is what Load read.
type Data struct {
	// Runs are the runs ordered by time (then ID).
	Runs []*MergedRun
	// Notes say what the reader should know about the input (runs without trials, torn last
	// lines); they never change a result.
	Notes []string
}

// dirRun is one run directory as trend uses it.
type dirRun struct {
	dir      string
	manifest history.Manifest
	scenario string
	cells    map[string]*CellTimings
}

// Load reads the run directories at or under paths (run directories, runs/, downloaded CI
// artifacts) with history.ReadRuns, decoding only the trials' timings, and merges the shards
// of each sharded run into one MergedRun (see mergeShards). Every problem with the input is a
// *history.InputError (exit code 2).
func Load(ctx context.Context, paths ...string) (*Data, error) {
	runs, err := history.ReadRuns(ctx, paths, history.ReadOptions{Search: true, TimingsOnly: true})
	if err != nil {
		return nil, err
	}
	data := &Data{}
	dirs := make([]*dirRun, len(runs))
	for i, r := range runs {
		data.Notes = append(data.Notes, r.Notes()...)
		d := &dirRun{dir: r.Dir, manifest: r.Manifest, scenario: r.Manifest.ScenarioName(), cells: map[string]*CellTimings{}}
		for _, t := range r.Trials {
			// A trial that failed for environmental reasons is not a result.
			if !t.Warmup && t.Outcome.Kind.Result() {
				d.add(t)
			}
		}
		dirs[i] = d
	}
	data.Runs = mergeShards(dirs)
	return data, nil
}

func (r *dirRun) add(t history.Trial) {
	c := r.cells[t.Cell]
	if c == nil {
		c = &CellTimings{DuckDB: map[string]int{}}
		r.cells[t.Cell] = c
	}
	c.Measured++
	if rel := t.WorkloadRelease(r.manifest); rel != "" {
		c.DuckDB[rel]++
	}
	if t.Outcome.Kind == vocab.OK {
		c.Wall = append(c.Wall, t.WallS)
		c.SQL = append(c.SQL, t.SQLS)
		c.Overhead = append(c.Overhead, t.OverheadS)
	}
}

// mergeShards turns run directories into runs. A directory recorded without --shard is a run
// of its own. Shards merge when they share the scenario, root seed, number of shards, commit
// under test and CI group (so shards of one CI pipeline come together, and different pipelines
// stay apart even on one commit); in time order, each shard joins the oldest such run that
// lacks its index, or starts a new one (a re-run of one job starts a new run rather than
// overwriting a shard).
func mergeShards(dirs []*dirRun) []*MergedRun {
	slices.SortStableFunc(dirs, func(a, b *dirRun) int {
		if c := a.manifest.CreatedAt.Compare(b.manifest.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.manifest.ID, b.manifest.ID)
	})
	type batch struct {
		run   *MergedRun
		have  map[int]bool
		first int // lowest shard index so far
	}
	open := map[string][]*batch{}
	var out []*MergedRun
	for _, d := range dirs {
		m := d.manifest
		k, n, err := scenarios.ParseShard(m.Shard)
		if m.Shard == "" || err != nil {
			r := newRun(d)
			out = append(out, r)
			continue
		}
		key := strings.Join([]string{d.scenario, strconv.FormatInt(m.RootSeed, 10), strconv.Itoa(n), m.Commit, m.Group}, "\x00")
		var into *batch
		for _, b := range open[key] {
			if !b.have[k] {
				into = b
				break
			}
		}
		if into == nil {
			into = &batch{run: newRun(d), have: map[int]bool{k: true}, first: k}
			open[key] = append(open[key], into)
			out = append(out, into.run)
			continue
		}
		into.have[k] = true
		r := into.run
		r.IDs = append(r.IDs, m.ID)
		r.Dirs = append(r.Dirs, d.dir)
		r.Shards = append(r.Shards, m.Shard)
		if k < into.first {
			into.first, r.ID = k, m.ID
		}
		if m.Workload != nil {
			if r.Workload == nil {
				r.Workload = map[string]string{}
			}
			for c, id := range m.Workload.Cells {
				r.Workload[c] = id
			}
		}
		for c, t := range d.cells {
			if have := r.Cells[c]; have != nil {
				have.Measured += t.Measured
				have.Wall = append(have.Wall, t.Wall...)
				have.SQL = append(have.SQL, t.SQL...)
				have.Overhead = append(have.Overhead, t.Overhead...)
				for rel, n := range t.DuckDB {
					have.DuckDB[rel] += n
				}
			} else {
				r.Cells[c] = t
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *MergedRun) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func newRun(d *dirRun) *MergedRun {
	m := d.manifest
	r := &MergedRun{
		ID: m.ID, IDs: []string{m.ID}, Dirs: []string{d.dir}, Time: m.CreatedAt, Commit: m.Commit,
		Lockbench: m.Versions.Lockbench, Scenario: d.scenario, Group: m.Group, Cells: d.cells,
	}
	if m.Versions.Commit != "" {
		r.Lockbench += " (" + m.Versions.Commit + ")"
	}
	if m.Shard != "" {
		r.Shards = []string{m.Shard}
	}
	if m.Workload != nil {
		r.Workload = make(map[string]string, len(m.Workload.Cells))
		for c, id := range m.Workload.Cells {
			r.Workload[c] = id
		}
	}
	return r
}
