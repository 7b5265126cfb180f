package reports

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/outcome"
	"lockbench/stats"
	"lockbench/verdict"
	"lockbench/vocab"
)

// formatError is DuckDB 1.5.6's refusal of a file DuckDB 2.0.0 created, verbatim (from
// `lockbench fingerprint` of a 1.5.6 build on a 2.0.0 file).
const formatError = "IO Error: Trying to read a database file with version number 69, but we can only read versions between 64 and 68. " +
	"The database file was created with a newer version of DuckDB.  Newer DuckDB version might introduce backward incompatible changes " +
	"(possibly guarded by compatibility settings)."

// sameData is the fingerprint every release must give for the synthetic data set.
const sameData = "ev1200/ws900/0123456789abcdef"

// relCell is a synthetic cell of an upgrade matrix.
type relCell struct {
	mode       string
	duckdb     string // the duckdb axis value; "" runs the default release (the manifest's)
	pinned     string // the storage-version axis value; "" for the default format
	competitor string // a competitor kind; "" for none
	compDuckDB string // the competitor's release
	keyOnly    bool   // the trials do not record their releases: only the key and manifest tell
	n          int
	wall       float64 // the centre of the wall times
	fp         string  // the fingerprint of ok trials ("" for sameData)
	storage    int     // the file's storage version at the end
	// trial, when set, shapes trial i (its outcome, note, cooperation).
	trial func(i int, t *history.Trial)
}

// manifestRelease is the release of the synthetic runner (its manifest's Versions.DuckDB).
const manifestRelease = "2.0.0"

func (c relCell) params() map[string]string {
	threads := "4"
	if c.mode == string(vocab.Sequential) {
		threads = "1"
	}
	comp := string(vocab.NoCompetitor)
	if c.competitor != "" {
		comp = c.competitor + "(duckdb=" + c.compDuckDB + ")"
	}
	p := map[string]string{"mode": c.mode, "threads": threads, "coordination": "on", "lock-retry": "off",
		"employees": "1000", "years": "2025-2027", "competitor": comp, "seed": "1"}
	if c.duckdb != "" {
		p["duckdb"] = c.duckdb
	}
	if c.pinned != "" {
		p["storage-version"] = c.pinned
	}
	return p
}

func (c relCell) key() string {
	p := c.params()
	var parts []string
	for _, a := range vocab.Axes {
		if v, ok := p[a]; ok {
			parts = append(parts, a+"="+v)
		}
	}
	return strings.Join(parts, "/")
}

// release is the release the cell's workload runs.
func (c relCell) release() string {
	if c.duckdb != "" {
		return c.duckdb
	}
	return manifestRelease
}

// walls returns the cell's wall times: its centre with a ±4% jitter from a fixed seed.
func (c relCell) walls(seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := make([]float64, c.n)
	for i := range out {
		out[i] = c.wall * (1 + 0.04*(2*rng.Float64()-1))
	}
	return out
}

func (c relCell) trials(seed uint64) []history.Trial {
	var out []history.Trial
	for i, w := range c.walls(seed) {
		t := history.Trial{Cell: c.key(), Trial: i + 1, Params: c.params(), Seed: 4242, Outcome: outcome.Outcome{Kind: vocab.OK},
			WallS: w, SQLS: 0.7 * w, OverheadS: 0.3 * w, Fingerprint: cmpOr(c.fp, sameData), StorageVersion: c.storage}
		if !c.keyOnly {
			t.DuckDB, t.Driver = c.release(), "v2.x"
			if c.competitor != "" {
				t.Competitors = []history.CompetitorRelease{{Kind: c.competitor, Role: "competitor", DuckDB: c.compDuckDB}}
			}
		}
		if c.trial != nil {
			c.trial(i, &t)
		}
		if t.Outcome.Kind != vocab.OK {
			t.Fingerprint = ""
		}
		out = append(out, t)
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func relRuns(cells []relCell) []history.Run {
	run := history.Run{Dir: "runs/upgrade", Manifest: history.Manifest{ID: "up1", RootSeed: 7,
		CreatedAt: time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC),
		Versions:  history.Versions{Lockbench: "v0.1.0", Commit: "abc1234", Go: "go1.26.0", DuckDB: "v" + manifestRelease, Driver: "v2.20000.0"},
		Host:      history.Host{CPU: "Synthetic CPU @ 3.00GHz", Cores: 2, MemBytes: 8 << 30, OS: "linux", Kernel: "6.8.0"},
		Releases:  []string{"1.5.6", "2.0.0"}}}
	for i, c := range cells {
		run.Trials = append(run.Trials, c.trials(uint64(i+1))...)
	}
	return []history.Run{run}
}

// Trial shapers.
func storageFormatTrial(_ int, t *history.Trial) {
	t.Outcome = outcome.Outcome{Kind: vocab.StorageFormat, Sub: vocab.SubTooNew, Message: formatError, StorageVersion: 69,
		ReaderMaxStorage: 68, OpenerDuckDB: "1.5.6"}
	t.Expected = string(vocab.StorageFormat)
}

func competitorDidNotStart(_ int, t *history.Trial) {
	t.Outcome = outcome.Outcome{Kind: vocab.Error, Message: "competitor did not start: holder 4242: " + formatError}
	t.Expected = string(vocab.Error)
}

func writerFailsOnFormat(_ int, t *history.Trial) {
	t.Cooperation = &history.Cooperation{Strategy: vocab.NoStrategy, Writer: &history.Participants{Processes: 1, Attempts: 20,
		OtherErrors: 20, FirstError: formatError}}
}

func writerWorks(_ int, t *history.Trial) {
	t.Cooperation = &history.Cooperation{Strategy: vocab.NoStrategy, Writer: &history.Participants{Processes: 1, Attempts: 20,
		Successes: 20, RowsWritten: 20, RowsKept: 20}}
}

// errorTrial: the pipeline failed for a reason that is not the format.
func errorTrial(_ int, t *history.Trial) {
	t.Outcome = outcome.Outcome{Kind: vocab.Error, Message: "Catalog Error: Table with name x does not exist!"}
	t.Expected = string(vocab.Error)
}

func lockConflictTrial(_ int, t *history.Trial) {
	t.Outcome = outcome.Outcome{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, HolderPID: 7, HolderRole: vocab.RoleCompetitor}
	t.Expected = string(vocab.LockConflict)
}

const (
	seq = string(vocab.Sequential)
	thr = string(vocab.Threaded)
	rd  = string(vocab.ReaderProcess)
	sw  = string(vocab.SecondWriter)
)

// upgradeCells mirror `bench -m upgrade`: both modes alone on each release (2.0.0 threaded 20%
// faster), a reader and a second writer on the other release, and a 2.0.0 file pinned to the
// v1.5.0 format with a 1.5.6 reader.
func upgradeCells() []relCell {
	return []relCell{
		{mode: seq, duckdb: "1.5.6", n: 10, wall: 10, storage: 64},
		{mode: seq, keyOnly: true, n: 10, wall: 10, storage: 69}, // the default release, told by the manifest
		{mode: thr, duckdb: "1.5.6", n: 10, wall: 5, storage: 64},
		{mode: thr, n: 10, wall: 4, storage: 69},
		{mode: thr, competitor: rd, compDuckDB: "1.5.6", n: 5, wall: 4, storage: 69, trial: storageFormatTrial},
		{mode: thr, duckdb: "1.5.6", competitor: rd, compDuckDB: "2.0.0", keyOnly: true, n: 5, wall: 5, storage: 64},
		{mode: thr, competitor: sw, compDuckDB: "1.5.6", n: 5, wall: 4, storage: 69, trial: writerFailsOnFormat},
		{mode: thr, duckdb: "1.5.6", competitor: sw, compDuckDB: "2.0.0", n: 5, wall: 5, storage: 64, trial: writerWorks},
		{mode: thr, pinned: "v1.5.0", competitor: rd, compDuckDB: "1.5.6", n: 5, wall: 4, storage: 68},
	}
}

func upgradeReport(t *testing.T) *Report {
	t.Helper()
	r, err := Build(relRuns(upgradeCells()), Options{})
	require.NoError(t, err)
	return r
}

// medianOf is the median, computed here without package stats.
func medianOf(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func TestCellsKnowTheirRelease(t *testing.T) {
	r := upgradeReport(t)
	cells := upgradeCells()
	for _, c := range cells {
		rc := r.Cell(c.key())
		require.NotNil(t, rc, c.key())
		assert.Equal(t, c.release(), rc.DuckDB, "%s: from the trials, the key, or the manifest", c.key())
		assert.Contains(t, rc.Label, "duckdb="+c.release(), "every label names its release, the default cells' too")
		if c.competitor != "" {
			require.Len(t, rc.Competitors, 1, c.key())
			assert.Equal(t, c.compDuckDB, rc.Competitors[0].DuckDB, "from the trials or, failing them, the competitor's key")
			assert.Equal(t, c.competitor, rc.Competitors[0].Kind)
		}
	}
	// Labels stay unique although a default cell now shows the release it ran.
	seen := map[string]bool{}
	for _, c := range r.Cells {
		assert.False(t, seen[c.Label], "label %q twice", c.Label)
		seen[c.Label] = true
	}
	// A report of one release is unchanged: no section, no answer, labels without the axis.
	one, err := Build(goldenRuns(t), goldenOptions())
	require.NoError(t, err)
	assert.Nil(t, one.Releases)
	assert.Nil(t, one.Upgrade)
	for _, c := range one.Cells {
		assert.Equal(t, "1.5.6", c.DuckDB, "the manifest's v1.5.6")
		assert.NotContains(t, c.Label, "duckdb")
	}
}

func TestLabelKeys(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		rels []string
		want []string
	}{
		{"no cell names a release", []string{"mode=a", "mode=b"}, []string{"2.0.0", "2.0.0"}, []string{"mode=a", "mode=b"}},
		{"every cell names one", []string{"mode=a/duckdb=1.5.6", "mode=a/duckdb=2.0.0"}, []string{"1.5.6", "2.0.0"},
			[]string{"mode=a/duckdb=1.5.6", "mode=a/duckdb=2.0.0"}},
		{"the default cell gets its release, in axis order", []string{"mode=a/seed=1/storage-version=v1.5.0", "mode=a/seed=1/duckdb=1.5.6"},
			[]string{"2.0.0", "1.5.6"}, []string{"mode=a/seed=1/duckdb=2.0.0/storage-version=v1.5.0", "mode=a/seed=1/duckdb=1.5.6"}},
		{"unless two cells would look alike", []string{"mode=a", "mode=a/duckdb=2.0.0"}, []string{"2.0.0", "2.0.0"},
			[]string{"mode=a", "mode=a/duckdb=2.0.0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cells []*Cell
			for i, k := range tc.keys {
				cells = append(cells, &Cell{Key: k, DuckDB: tc.rels[i]})
			}
			assert.Equal(t, tc.want, labelKeys(cells))
		})
	}
}

func TestReleaseReportCompareRunsPairs(t *testing.T) {
	r := upgradeReport(t)
	rc := r.Releases
	require.NotNil(t, rc)
	assert.Equal(t, []string{"1.5.6", "2.0.0"}, rc.Releases)
	assert.Equal(t, DefaultThreshold, rc.Threshold)
	// Two pairs: each mode alone. Mixed cells are arrangements, not the same cell on another
	// release, so the 2.0.0 pipeline with a 1.5.6 reader is not compared with the 1.5.6 pipeline
	// with a 2.0.0 reader.
	require.Len(t, rc.Pairs, 2)
	cells := upgradeCells()
	for i, want := range []struct{ base, next relCell }{{cells[0], cells[1]}, {cells[2], cells[3]}} {
		p := rc.Pairs[i]
		assert.Equal(t, want.base.key(), p.Base)
		assert.Equal(t, want.next.key(), p.Cell)
		assert.Equal(t, "1.5.6", p.BaseRelease)
		assert.Equal(t, "2.0.0", p.NewRelease)
		assert.Equal(t, DataIdentical, p.Data)
		assert.NotContains(t, p.Label, "duckdb", "the pair's label leaves the release out")
		// The ratio of medians, computed here.
		bw, nw := want.base.walls(uint64(2*i+1)), want.next.walls(uint64(2*i+2))
		assert.InDelta(t, medianOf(nw)/medianOf(bw), p.Wall.Ratio, 1e-12)
		require.NotNil(t, p.Wall.PAdj)
		assert.Equal(t, 10, p.Wall.BaseN)
	}
	assert.Equal(t, verdict.ChangeNone, rc.Pairs[0].WallClass, "sequential: the same speed")
	assert.Equal(t, verdict.ChangeImproved, rc.Pairs[1].WallClass, "threaded: 2.0.0 20% faster")
	assert.Less(t, rc.Pairs[1].Wall.ChangeCI.Hi, -DefaultThreshold)
	// Holm: the adjusted p-values are at least the raw ones.
	for _, p := range rc.Pairs {
		assert.GreaterOrEqual(t, *p.Wall.PAdj, *p.Wall.P)
	}
	require.Len(t, rc.Data, 1)
	d := rc.Data[0]
	assert.Equal(t, DataIdentical, d.Status)
	assert.Equal(t, "employees=1000 years=2025-2027 seed=1", d.Data)
	// Every ok trial fingerprinted: 1.5.6 has 10+10+5+5+... ok trials; count them here.
	want := map[string]int{}
	for _, c := range cells {
		for _, tr := range c.trials(0) {
			if tr.Outcome.Kind == vocab.OK {
				want[c.release()]++
			}
		}
	}
	got := map[string]int{}
	for _, f := range d.Fingerprints {
		assert.Equal(t, sameData, f.Fingerprint)
		got[f.Release] += f.Trials
	}
	assert.Equal(t, want, got)
	assert.Equal(t, verdict.Pass, r.Verdict)
}

func TestDataThatDiffersAcrossReleasesFails(t *testing.T) {
	cells := []relCell{
		{mode: thr, duckdb: "1.5.6", n: 6, wall: 5},
		{mode: thr, duckdb: "2.0.0", n: 6, wall: 5, fp: "ev1200/ws901/fedcba9876543210"},
	}
	r, err := Build(relRuns(cells), Options{})
	require.NoError(t, err)
	require.NotNil(t, r.Releases)
	assert.Equal(t, DataDiffers, r.Releases.Pairs[0].Data)
	require.Len(t, r.Releases.Data, 1)
	assert.Equal(t, DataDiffers, r.Releases.Data[0].Status)
	assert.Equal(t, verdict.Fail, r.Verdict, "the implicit expectations pass, but the data differs")
	require.NotNil(t, r.Upgrade)
	assert.Equal(t, DataDiffers, r.Upgrade.Data)
	var codes []string
	for _, w := range r.Warnings {
		codes = append(codes, w.Code)
	}
	assert.Contains(t, codes, "release-data")
	text := string(render(t, func(w io.Writer) error { return WriteText(w, r) }))
	for _, want := range []string{"DATA DIFFERS ACROSS DUCKDB RELEASES", "│ DIFFERS", "Data: DIFFERS across releases",
		"1.5.6 gave " + sameData + " (6 trials), 2.0.0 gave ev1200/ws901/fedcba9876543210 (6 trials)"} {
		assert.Contains(t, text, want)
	}
	md := string(render(t, func(w io.Writer) error { return WriteMarkdown(w, r) }))
	assert.Contains(t, md, "**DIFFERS: employees=1000 years=2025-2027 seed=1")
}

func TestFormatFailureFindsEveryProcess(t *testing.T) {
	tests := []struct {
		name   string
		trial  history.Trial
		result string
		format bool
	}{
		{"the trial's outcome", history.Trial{Outcome: outcome.Outcome{Kind: vocab.StorageFormat, Sub: vocab.SubTooNew}}, "storage-format too-new", true},
		{"a competitor that did not start", history.Trial{Outcome: outcome.Outcome{Kind: vocab.Error, Message: "competitor did not start: " + formatError}},
			"storage-format too-new", true},
		{"a competitor that failed while the pipeline was ok", history.Trial{Outcome: outcome.Outcome{Kind: vocab.OK}, Note: "the competitor failed: " + formatError},
			"storage-format too-new", true},
		{"a cooperating viewer", history.Trial{Outcome: outcome.Outcome{Kind: vocab.OK},
			Cooperation: &history.Cooperation{Viewers: &history.Participants{Attempts: 3, OtherErrors: 3, FirstError: formatError}}}, "storage-format too-new", true},
		{"a lock conflict", history.Trial{Outcome: outcome.Outcome{Kind: vocab.LockConflict, Sub: vocab.SubDatabase}}, "lock-conflict database", false},
		{"a viewer that met the lock", history.Trial{Outcome: outcome.Outcome{Kind: vocab.OK},
			Cooperation: &history.Cooperation{Viewers: &history.Participants{Attempts: 3, LockConflicts: 3,
				FirstError: `IO Error: Could not set lock on file "x.duckdb": Conflicting lock is held in /usr/bin/lockbench (PID 9)`}}}, "ok", false},
		{"ok", history.Trial{Outcome: outcome.Outcome{Kind: vocab.OK}}, "ok", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, format := trialResult(tc.trial)
			assert.Equal(t, tc.result, got)
			assert.Equal(t, tc.format, format)
		})
	}
}

func TestUpgradeAnswer(t *testing.T) {
	r := upgradeReport(t)
	u := r.Upgrade
	require.NotNil(t, u)
	assert.Equal(t, "1.5.6", u.From)
	assert.Equal(t, "2.0.0", u.To)
	assert.Equal(t, DataIdentical, u.Data)
	require.Len(t, u.Speed, 2)
	assert.Equal(t, thr, vocab.ParseCellKey(u.Speed[0].Cell)["mode"], "the threaded cell first")
	assert.Contains(t, u.Speed[0].Line, "2.0.0 against 1.5.6: faster, -")
	assert.Contains(t, u.Speed[1].Line, "no change beyond ±5.0%", "its whole interval lies within ±5%")
	require.Len(t, u.Mixed, 5)
	type want struct {
		older, worked bool
		format        int
		line          string
	}
	wants := []want{
		{true, false, 5, "1.5.6 reader-process of a 2.0.0 file (storage 69): storage-format too-new 5/5: fails (the format)"},
		{false, true, 0, "2.0.0 reader-process of a 1.5.6 file (storage 64): ok 5/5: works"},
		{true, false, 5, "1.5.6 second-writer of a 2.0.0 file (storage 69): storage-format too-new 5/5; its attempts worked 0/100: fails (the format)"},
		{false, true, 0, "2.0.0 second-writer of a 1.5.6 file (storage 64): ok 5/5; its attempts worked 100/100: works"},
		{true, true, 0, "1.5.6 reader-process of a 2.0.0 file pinned to v1.5.0 (storage 68): ok 5/5: works"},
	}
	for i, w := range wants {
		a := u.Mixed[i]
		assert.Equal(t, w.older, a.Older, a.Cell)
		assert.Equal(t, w.worked, a.Worked, a.Cell)
		assert.Equal(t, w.format, a.FormatFailures, a.Cell)
		assert.Equal(t, w.line, a.Line)
	}
	require.NotNil(t, u.Pin)
	assert.True(t, u.Pin.Works)
	assert.Equal(t, []int{68}, u.Pin.Storage)
	assert.Equal(t, []string{"1.5.6"}, u.Pin.ReadableBy, "storage 68 is within 1.5.6's range (64 to 68)")
	assert.Equal(t, []string{"1.5.6"}, u.Pin.Read)
	assert.Equal(t, "Upgrade the readers and second writers before the writer that creates the file: "+
		"1.5.6 reader-process of a 2.0.0 file: storage-format too-new 5/5; 1.5.6 second-writer of a 2.0.0 file: storage-format too-new 5/5. "+
		"The other way round works: 2.0.0 reader-process of a 1.5.6 file: ok 5/5; 2.0.0 second-writer of a 1.5.6 file: ok 5/5. "+
		"Or pin storage_compatibility_version=v1.5.0 on 2.0.0 until the last 1.5.6 process moves (pinned: worked 5/5, storage 68, read by 1.5.6).", u.Order)
}

// TestUpgradeOrderFollowsTheFigures: the order changes with which arrangements fail, and the
// pin is offered only when the pinned cell shows it works.
func TestUpgradeOrderFollowsTheFigures(t *testing.T) {
	alone := []relCell{{mode: thr, duckdb: "1.5.6", n: 6, wall: 5, storage: 64}, {mode: thr, duckdb: "2.0.0", n: 6, wall: 5, storage: 69}}
	oldReader := func(shape func(int, *history.Trial)) relCell {
		return relCell{mode: thr, duckdb: "2.0.0", competitor: rd, compDuckDB: "1.5.6", n: 5, wall: 5, storage: 69, trial: shape}
	}
	newReader := func(shape func(int, *history.Trial)) relCell {
		return relCell{mode: thr, duckdb: "1.5.6", competitor: rd, compDuckDB: "2.0.0", n: 5, wall: 5, storage: 64, trial: shape}
	}
	pinned := func(storage int, shape func(int, *history.Trial)) relCell {
		return relCell{mode: thr, duckdb: "2.0.0", pinned: "v1.5.0", n: 5, wall: 5, storage: storage, trial: shape}
	}
	tooOld := func(_ int, t *history.Trial) {
		t.Outcome = outcome.Outcome{Kind: vocab.StorageFormat, Sub: vocab.SubTooOld}
		t.Expected = string(vocab.StorageFormat)
	}
	tests := []struct {
		name    string
		cells   []relCell
		want    []string
		notWant []string
		pin     *bool
	}{
		{"no mixed arrangement", alone, []string{"No mixed arrangement (a competitor on another release than the pipeline) was measured"}, []string{"pin"}, nil},
		{"every arrangement works", append(slices.Clone(alone), oldReader(nil), newReader(nil)),
			[]string{"Any order: every mixed arrangement measured opened the file across releases"}, []string{"Upgrade the"}, nil},
		{"old readers fail, new readers work", append(slices.Clone(alone), oldReader(competitorDidNotStart), newReader(nil)),
			[]string{"Upgrade the readers before the writer that creates the file: 1.5.6 reader-process of a 2.0.0 file: storage-format too-new 5/5.",
				"The other way round works: 2.0.0 reader-process of a 1.5.6 file: ok 5/5."}, []string{"pin"}, nil},
		{"the other way round was not measured", append(slices.Clone(alone), oldReader(storageFormatTrial)),
			[]string{"Upgrade the readers before", "The other way round (a newer release opening an older release's file) was not measured."}, nil, nil},
		{"a pin whose file old readers read", append(slices.Clone(alone), oldReader(storageFormatTrial), pinned(68, nil)),
			[]string{"Or pin storage_compatibility_version=v1.5.0 on 2.0.0 until the last 1.5.6 process moves (pinned: worked 5/5, storage 68)."}, nil, ptr(true)},
		{"a pin whose file stays too new", append(slices.Clone(alone), oldReader(storageFormatTrial), pinned(69, nil)),
			[]string{"Upgrade the readers before"}, []string{"Or pin"}, ptr(false)},
		{"a pin whose trials fail", append(slices.Clone(alone), oldReader(storageFormatTrial), pinned(68, errorTrial)),
			[]string{"Upgrade the readers before"}, []string{"Or pin"}, ptr(false)},
		{"new readers fail", append(slices.Clone(alone), oldReader(nil), newReader(tooOld)),
			[]string{"Upgrade the writer that creates the file first: 2.0.0 reader-process of a 1.5.6 file: storage-format too-old 5/5.",
				"The other way round works"}, nil, nil},
		{"both fail", append(slices.Clone(alone), oldReader(storageFormatTrial), newReader(tooOld)),
			[]string{"No mixed arrangement works across the format", "Move every process that opens the file at once."}, nil, nil},
		{"a failure that is not the format", append(slices.Clone(alone), oldReader(nil), newReader(errorTrial)),
			[]string{"Any order", "One arrangement failed for another reason than the format, which says nothing about the order: 2.0.0 reader-process of a 1.5.6 file: error 5/5."}, nil, nil},
		// A holding competitor that opened the file shows it by the lock the pipeline met.
		{"a holding competitor that opened the file", append(slices.Clone(alone), oldReader(storageFormatTrial), newReader(lockConflictTrial)),
			[]string{"Upgrade the readers before", "The other way round works: 2.0.0 reader-process of a 1.5.6 file: lock-conflict database 5/5."}, nil, nil},
		{"a pin whose holding competitor opened the file", append(slices.Clone(alone), oldReader(storageFormatTrial), pinned(68, lockConflictTrial)),
			[]string{"Or pin storage_compatibility_version=v1.5.0"}, nil, ptr(true)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Build(relRuns(tc.cells), Options{})
			require.NoError(t, err)
			require.NotNil(t, r.Upgrade)
			for _, w := range tc.want {
				assert.Contains(t, r.Upgrade.Order, w)
			}
			for _, w := range tc.notWant {
				assert.NotContains(t, r.Upgrade.Order, w)
			}
			if tc.pin != nil {
				require.NotNil(t, r.Upgrade.Pin)
				assert.Equal(t, *tc.pin, r.Upgrade.Pin.Works, r.Upgrade.Pin.Line)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// A run whose competitors alone ran another release still gets the answer (no speed pair).
func TestUpgradeAnswerWithoutPairs(t *testing.T) {
	r, err := Build(relRuns([]relCell{{mode: thr, competitor: rd, compDuckDB: "1.5.6", n: 5, wall: 4, storage: 69, trial: storageFormatTrial}}), Options{})
	require.NoError(t, err)
	assert.Nil(t, r.Releases, "nothing to compare")
	require.NotNil(t, r.Upgrade)
	assert.Equal(t, DataUnknown, r.Upgrade.Data)
	assert.Contains(t, r.Upgrade.SpeedLine, "no speed comparison")
	assert.Contains(t, r.Upgrade.Order, "Upgrade the readers before the writer")
}

func TestReleaseRendersAndGoldens(t *testing.T) {
	r := upgradeReport(t)
	for _, tc := range []struct {
		file string
		f    func(io.Writer) error
	}{
		{"upgrade.txt", func(w io.Writer) error { return WriteText(w, r) }},
		{"upgrade.md", func(w io.Writer) error { return WriteMarkdown(w, r) }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			got := render(t, tc.f)
			golden(t, tc.file, got)
			assert.Equal(t, string(got), string(render(t, tc.f)), "deterministic")
		})
	}
	text := string(render(t, func(w io.Writer) error { return WriteText(w, r) }))
	assert.Greater(t, strings.Index(text, "Upgrade answer: DuckDB 1.5.6 → 2.0.0"), strings.Index(text, "\nverdict: PASS"), "the answer ends the report")
	assert.Greater(t, strings.Index(text, "\n  Order: Upgrade the readers"), strings.Index(text, "\n  Pinning storage_compatibility_version"), "and the order ends the answer")
	// JSON carries the section and the answer with their figures.
	var back struct {
		Releases struct {
			Pairs []struct {
				BaseRelease string   `json:"base_release"`
				NewRelease  string   `json:"new_release"`
				Data        string   `json:"data"`
				Wall        struct{} `json:"wall"`
			} `json:"pairs"`
		} `json:"releases"`
		Upgrade struct {
			Order string `json:"order"`
			Mixed []struct {
				Worked bool `json:"worked"`
			} `json:"mixed"`
		} `json:"upgrade"`
		Cells []struct {
			DuckDB string `json:"duckdb"`
		} `json:"cells"`
	}
	var b bytes.Buffer
	require.NoError(t, WriteJSON(&b, r))
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	require.Len(t, back.Releases.Pairs, 2)
	assert.Equal(t, "2.0.0", back.Releases.Pairs[0].NewRelease)
	assert.Equal(t, r.Upgrade.Order, back.Upgrade.Order)
	assert.Len(t, back.Upgrade.Mixed, 5)
	assert.Equal(t, "1.5.6", back.Cells[0].DuckDB)
	// HTML: both blocks, well-formed enough to hold the order.
	html := string(render(t, func(w io.Writer) error { return WriteHTML(w, r) }))
	assert.Contains(t, html, "<h2>DuckDB releases: 1.5.6, 2.0.0</h2>")
	assert.Contains(t, html, "<b>Order:</b> Upgrade the readers and second writers before the writer")
}

func TestReleaseHelpers(t *testing.T) {
	assert.Equal(t, []string{"1.4.5", "1.5.6", "1.10.0", "2.0.0"}, sortReleases([]string{"2.0.0", "1.10.0", "", "1.5.6", "1.4.5", "2.0.0"}))
	assert.Equal(t, "1.5.6", competitorParamRelease("reader-process(count=2;duckdb=1.5.6)"))
	assert.Equal(t, "", competitorParamRelease("reader-process"))
	assert.Equal(t, "mode=a/seed=1/duckdb=2.0.0", withAxis("mode=a/seed=1", "duckdb", "2.0.0"))
	assert.Equal(t, "mode=a/seed=1", withoutAxis("mode=a/seed=1/duckdb=2.0.0", "duckdb"))
	assert.Equal(t, "a, b and c", joinAnd([]string{"a", "b", "c"}))
}

// compare names the releases of its sides when an upgrade of the linked DuckDB lies between
// them: the same cells, on another release.
func TestCompareAcrossAnUpgrade(t *testing.T) {
	cells := []relCell{{mode: thr, keyOnly: true, n: 8, wall: 5}}
	base, next := relRuns(cells), relRuns(cells)
	base[0].Manifest.Versions.DuckDB, base[0].Manifest.ID = "v1.5.6", "old"
	next[0].Manifest.CreatedAt = next[0].Manifest.CreatedAt.Add(time.Hour)
	c := Compare(base, next, 0.05)
	assert.Equal(t, []string{"1.5.6"}, c.BaseReleases)
	assert.Equal(t, []string{"2.0.0"}, c.NewReleases)
	require.Len(t, c.Cells, 1, "one cell on both sides: the release is not part of its key")
	text := string(render(t, func(w io.Writer) error { return WriteCompareText(w, c) }))
	assert.Contains(t, text, "DuckDB releases: base 1.5.6, new 2.0.0: the comparison spans a DuckDB upgrade")
	same := Compare(next, next, 0.05)
	assert.False(t, same.ReleasesDiffer())
	assert.NotContains(t, string(render(t, func(w io.Writer) error { return WriteCompareText(w, same) })), "DuckDB releases")
}

func TestSpeedWords(t *testing.T) {
	p := 0.01
	delta := func(lo, hi float64) verdict.Delta {
		return verdict.Delta{BaseN: 10, NewN: 10, Ratio: 1 + (lo+hi)/2, Change: (lo + hi) / 2, PAdj: &p,
			RatioCI: &stats.Interval{Lo: 1 + lo, Hi: 1 + hi}, ChangeCI: &stats.Interval{Lo: lo, Hi: hi}}
	}
	tests := []struct {
		name  string
		d     verdict.Delta
		class string
		want  string
	}{
		{"faster", delta(-0.3, -0.1), verdict.ChangeImproved, "faster, -20.0% [-30.0%, -10.0%] (p=0.010 n=10)"},
		{"slower", delta(0.1, 0.3), verdict.ChangeRegressed, "slower, +20.0% [+10.0%, +30.0%] (p=0.010 n=10)"},
		{"within the threshold", delta(-0.04, 0.03), verdict.ChangeNone, "no change beyond ±5.0%, -0.5% [-4.0%, +3.0%] (p=0.010 n=10)"},
		{"a wide interval", delta(-0.3, 0.2), verdict.ChangeNone, "no significant change, -5.0% [-30.0%, +20.0%] (p=0.010 n=10)"},
		{"too few trials", delta(-0.3, 0.2), verdict.ChangeUnknown, "too few ok trials to tell, -5.0% [-30.0%, +20.0%] (p=0.010 n=10)"},
		{"no trials on a side", verdict.Delta{BaseN: 4}, verdict.ChangeUnknown, "no ok trials on one side (n=4+0)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, speedWords(tc.d, tc.class, 0.05))
		})
	}
}

// Two runs of the same cells on different releases, given to one report, pool into one cell
// per key: the cell says its figures mix releases.
func TestMixedReleasesInOneCellWarn(t *testing.T) {
	cells := []relCell{{mode: thr, keyOnly: true, n: 6, wall: 5}}
	a, b := relRuns(cells), relRuns(cells)
	a[0].Manifest.Versions.DuckDB, a[0].Manifest.ID = "v1.5.6", "old"
	r, err := Build(append(a, b...), Options{})
	require.NoError(t, err)
	require.Len(t, r.Cells, 1)
	var msgs []string
	for _, w := range r.Cells[0].Warnings {
		if w.Code == "mixed-releases" {
			msgs = append(msgs, w.Message)
		}
	}
	assert.Equal(t, []string{"the cell's trials ran different DuckDB releases: 1.5.6 (6), 2.0.0 (6); its figures mix them (compare the runs with lockbench compare)"}, msgs)
	assert.Nil(t, r.Releases, "one cell: nothing to pair")
}
