package trend

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // DuckDB reads the histories, in memory

	"lockbench/history"
	"lockbench/scenarios"
	"lockbench/vocab"
)

// InputError is an error in what trend was given to read (a missing path, a malformed manifest
// or history line, no run directory at all): bad input, exit code 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

func inputErr(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// Run is one point in time of a trend: a run directory, or the shards of one sharded run
// merged (as `lockbench report` merges them).
type Run struct {
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
	// Cells maps each cell key to its measured trials.
	Cells map[string]*Trials
}

// Trials are the measured (non-warmup) trials of one cell in one run.
type Trials struct {
	// Measured counts the cell's non-warmup trials, whatever their outcome.
	Measured int
	// Wall, SQL and Overhead are the metrics of the trials whose outcome was ok, in seconds.
	Wall, SQL, Overhead []float64
}

// Values returns the ok trials' values of metric ("wall", "sql" or "overhead").
func (t *Trials) Values(metric string) []float64 {
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
	Runs []*Run
	// Notes say what the reader should know about the input (runs without trials, torn last
	// lines); they never change a result.
	Notes []string
}

// Discover returns the run directories (directories with a manifest.json) at or under paths,
// each once, in path order. Symbolic links inside the folders (runs/latest) are not followed,
// so a run is not found twice. A path that does not exist, or under which there is no run
// directory, is an *InputError.
func Discover(paths ...string) ([]string, error) {
	if len(paths) == 0 {
		return nil, inputErr("no path given: name run directories or folders of them, e.g. runs/")
	}
	var out []string
	seen := map[string]bool{}
	add := func(dir string) {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			real = dir
		}
		if abs, err := filepath.Abs(real); err == nil {
			real = abs
		}
		if !seen[real] {
			seen[real] = true
			out = append(out, dir)
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, inputErr("%s: %v", p, errors.Unwrap(err))
		}
		if !info.IsDir() {
			return nil, inputErr("%s is not a directory: name a run directory (with %s) or a folder of them", p, history.ManifestFile)
		}
		if _, err := os.Stat(filepath.Join(p, history.ManifestFile)); err == nil {
			add(p) // a run directory, perhaps through a link such as runs/latest
			continue
		}
		root, err := filepath.EvalSymlinks(p)
		if err != nil {
			return nil, inputErr("%s: %v", p, err)
		}
		found := 0
		err = filepath.WalkDir(root, func(dir string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				return nil
			}
			if _, err := os.Stat(filepath.Join(dir, history.ManifestFile)); err == nil {
				add(dir)
				found++
				return fs.SkipDir
			}
			return nil
		})
		if err != nil {
			return nil, inputErr("%s: %v", p, err)
		}
		if found == 0 {
			return nil, inputErr("%s: no run directory (a directory with %s) at or under it", p, history.ManifestFile)
		}
	}
	return out, nil
}

// dirRun is one run directory as read.
type dirRun struct {
	dir      string
	manifest history.Manifest
	scenario string
	cells    map[string]*Trials
}

// Load discovers the run directories at or under paths (see Discover), reads their manifests,
// reads every history through an in-memory DuckDB (read_json over the NDJSON files: no
// database file is ever written, so concurrent CI jobs never contend for one), and merges the
// shards of each sharded run into one Run (see mergeShards). Every problem with the input is
// an *InputError.
func Load(ctx context.Context, paths ...string) (*Data, error) {
	dirs, err := Discover(paths...)
	if err != nil {
		return nil, err
	}
	runs := make([]*dirRun, len(dirs))
	for i, dir := range dirs {
		m, err := history.ReadManifest(dir)
		if err != nil {
			return nil, &InputError{Err: err}
		}
		runs[i] = &dirRun{dir: dir, manifest: m, scenario: scenarioName(m.Scenario), cells: map[string]*Trials{}}
	}
	data := &Data{}
	if err := readHistories(ctx, runs, data); err != nil {
		return nil, err
	}
	data.Runs = mergeShards(runs)
	return data, nil
}

func scenarioName(raw json.RawMessage) string {
	var s struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(raw, &s)
	return s.Name
}

// trialRow is the part of a history line trend reads.
type trialRow struct {
	cell                string
	ok                  bool
	wall, sqlS, overhed float64
}

func (r *dirRun) add(t trialRow) {
	c := r.cells[t.cell]
	if c == nil {
		c = &Trials{}
		r.cells[t.cell] = c
	}
	c.Measured++
	if t.ok {
		c.Wall = append(c.Wall, t.wall)
		c.SQL = append(c.SQL, t.sqlS)
		c.Overhead = append(c.Overhead, t.overhed)
	}
}

// readHistories fills every run's cells from its history.ndjson. Files that end in a torn line
// (a crash mid-write) or whose names DuckDB would read as a glob are decoded in Go, which drops
// the torn line as the harness does; all the others are read in one DuckDB query.
func readHistories(ctx context.Context, runs []*dirRun, data *Data) error {
	var viaDuck []int
	for i, r := range runs {
		path := filepath.Join(r.dir, history.HistoryFile)
		torn, err := endsTorn(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			data.Notes = append(data.Notes, fmt.Sprintf("%s has no %s: no trials recorded", r.dir, history.HistoryFile))
		case err != nil:
			return inputErr("%s: %v", path, err)
		case torn || strings.ContainsAny(path, "*?[{\\"):
			if err := readInGo(r); err != nil {
				return err
			}
			if torn {
				data.Notes = append(data.Notes, fmt.Sprintf("%s ends in a partial line (a crash mid-write); it was ignored", path))
			}
		default:
			viaDuck = append(viaDuck, i)
		}
	}
	if len(viaDuck) == 0 {
		return nil
	}
	return readInDuckDB(ctx, runs, viaDuck)
}

// endsTorn reports whether the file is not empty and does not end in a newline.
func endsTorn(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return false, err
	}
	if info.Size() == 0 {
		return false, nil
	}
	var b [1]byte
	if _, err := f.ReadAt(b[:], info.Size()-1); err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	return b[0] != '\n', nil
}

func readInGo(r *dirRun) error {
	ts, err := history.ReadTrials(r.dir)
	if err != nil {
		return &InputError{Err: err}
	}
	for _, t := range ts {
		if t.Warmup {
			continue
		}
		r.add(trialRow{cell: t.Cell, ok: t.Outcome.Kind == vocab.OK, wall: t.WallS, sqlS: t.SQLS, overhed: t.OverheadS})
	}
	return nil
}

// readInDuckDB reads the histories of runs[idx...] in one query of an in-memory DuckDB. A line
// that is not a trial (malformed JSON, no cell) comes back as a row without a cell; the file is
// then decoded in Go for an error that names the line.
func readInDuckDB(ctx context.Context, runs []*dirRun, idx []int) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return fmt.Errorf("open in-memory DuckDB: %w", err)
	}
	defer db.Close()
	byFile := make(map[string]*dirRun, len(idx))
	var list strings.Builder
	list.WriteByte('[')
	for n, i := range idx {
		path := filepath.Join(runs[i].dir, history.HistoryFile)
		byFile[path] = runs[i]
		if n > 0 {
			list.WriteByte(',')
		}
		list.WriteString(sqlString(path))
	}
	list.WriteByte(']')
	q := `SELECT filename, cell, coalesce(outcome.kind = 'ok', false), coalesce(wall_s, 0), coalesce(sql_s, 0), coalesce(overhead_s, 0)
FROM read_json(` + list.String() + `, format = 'newline_delimited', filename = true, ignore_errors = true,
	maximum_object_size = 268435456,
	columns = {cell: 'VARCHAR', warmup: 'BOOLEAN', outcome: 'STRUCT(kind VARCHAR)', wall_s: 'DOUBLE', sql_s: 'DOUBLE', overhead_s: 'DOUBLE'})
WHERE cell IS NULL OR NOT coalesce(warmup, false)`
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return inputErr("read histories: %v", err)
	}
	defer rows.Close()
	bad := map[*dirRun]bool{}
	var (
		file string
		cell sql.NullString
		t    trialRow
	)
	for rows.Next() {
		if err := rows.Scan(&file, &cell, &t.ok, &t.wall, &t.sqlS, &t.overhed); err != nil {
			return fmt.Errorf("read histories: %w", err)
		}
		r := byFile[file]
		if r == nil {
			return fmt.Errorf("read histories: DuckDB returned rows of an unexpected file %q", file)
		}
		if !cell.Valid || cell.String == "" {
			bad[r] = true
			continue
		}
		t.cell = cell.String
		r.add(t)
	}
	if err := rows.Err(); err != nil {
		return inputErr("read histories: %v", err)
	}
	for _, i := range idx {
		r := runs[i]
		if !bad[r] {
			continue
		}
		if _, err := history.ReadTrials(r.dir); err != nil {
			return &InputError{Err: err}
		}
		return inputErr("%s: a line is not a trial (no cell)", filepath.Join(r.dir, history.HistoryFile))
	}
	return nil
}

// sqlString quotes s as an SQL string literal.
func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// mergeShards turns run directories into runs. A directory recorded without --shard is a run
// of its own. Shards merge when they share the scenario, root seed, number of shards, commit
// under test and CI group (so shards of one CI pipeline come together, and different pipelines
// stay apart even on one commit); in time order, each shard joins the oldest such run that
// lacks its index, or starts a new one (a re-run of one job starts a new run rather than
// overwriting a shard).
func mergeShards(dirs []*dirRun) []*Run {
	slices.SortStableFunc(dirs, func(a, b *dirRun) int {
		if c := a.manifest.CreatedAt.Compare(b.manifest.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.manifest.ID, b.manifest.ID)
	})
	type batch struct {
		run   *Run
		have  map[int]bool
		first int // lowest shard index so far
	}
	open := map[string][]*batch{}
	var out []*Run
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
			} else {
				r.Cells[c] = t
			}
		}
	}
	slices.SortStableFunc(out, func(a, b *Run) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func newRun(d *dirRun) *Run {
	m := d.manifest
	r := &Run{
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
