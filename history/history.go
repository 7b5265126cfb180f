// Package history defines the run directory format shared by the trial runner (which writes it)
// and everything that reads it (report, compare, trend): manifest.json, describing the run, and
// history.ndjson, one JSON line per finished trial. Every write is crash-safe: trial lines are
// appended and synced one at a time, and whole files are replaced atomically, so a crash or
// Ctrl-C never loses a result that was already recorded.
//
// ReadRun and ReadRuns are the one reader of run directories. They apply one rule to every
// history: a final partial line (a crash in the middle of a write) is ignored and said so
// (Run.TornLine), while a malformed whole line, or a trial whose timings no trial can have, is
// an error naming the file and line. Every error about what a command was given to read (a path
// that is not a run directory, an unreadable manifest, a bad line) is an *InputError, whose
// exit code is 2.
package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"lockbench/criteria"
	"lockbench/internal/fsutil"
	"lockbench/outcome"
	"lockbench/trace"
)

// File names inside a run directory.
const (
	ManifestFile = "manifest.json"
	HistoryFile  = "history.ndjson"
	// ScenarioFile is the scenario's YAML as it was run, so an interrupted run can be resumed.
	ScenarioFile = "scenario.yaml"
)

// SchemaVersion is the version of the history and manifest formats. Version 2 added the
// manifest's commit under test, group and workload identity; version 1 manifests, which lack
// them, still load (with those fields empty). Version 3 added the manifest's typed targets and
// expectations; ReadManifest takes them from the raw scenario of older manifests.
const SchemaVersion = 3

// Trial is one line of history.ndjson.
type Trial struct {
	Cell           string                 `json:"cell"`
	Trial          int                    `json:"trial"`
	Warmup         bool                   `json:"warmup"`
	Outcome        outcome.Outcome        `json:"outcome"`
	Expected       string                 `json:"expected,omitempty"`
	WallS          float64                `json:"wall_s"`
	SQLS           float64                `json:"sql_s"`
	OverheadS      float64                `json:"overhead_s"`
	OverheadByKind map[trace.Kind]float64 `json:"overhead_by_kind"`
	Fingerprint    string                 `json:"fingerprint,omitempty"`
	PeakRSSBytes   int64                  `json:"peak_rss_bytes"`
	// StorageVersion is the storage version of the trial's database file at its end, read
	// from its headers (0 when the file could not be read).
	StorageVersion int `json:"storage_version,omitempty"`
	// DuckDB and Driver are the DuckDB release and the duckdb-go version of the process that ran
	// the workload (for an exec workload: of the lockbench process that created its file and
	// checked its data). Empty in records written before they were kept, where the manifest's
	// Versions apply.
	DuckDB string `json:"duckdb,omitempty"`
	Driver string `json:"driver,omitempty"`
	// Competitors are the releases that the trial's competitor processes (and cooperating
	// viewers and writers) ran, one entry per process started.
	Competitors []CompetitorRelease `json:"competitors,omitempty"`
	StartedAt   time.Time           `json:"started_at"`
	Seed        int64               `json:"seed,omitempty"`
	Params      map[string]string   `json:"params,omitempty"`
	Spans       []trace.Span        `json:"spans,omitempty"`
	// Parallelism is the trial's parallelism bound (simulation workloads).
	Parallelism *trace.Parallelism `json:"parallelism,omitempty"`
	Note        string             `json:"note,omitempty"`
	// Cooperation is what the trial's cooperating competitors measured (cooperation.go).
	Cooperation *Cooperation `json:"cooperation,omitempty"`
	// Watch is what a watch of the trial's database file saw (watch.go): the processes
	// lockbench did not start that held it. Nil when the run was not watched (bench --watch).
	Watch *TrialWatch `json:"watch,omitempty"`
}

// CompetitorRelease is the DuckDB release one competitor process of a trial ran.
type CompetitorRelease struct {
	// Kind is the competitor's kind (vocab.CompetitorKind) and Role its role in the trial's
	// outcomes (for example "competitor" or "viewer").
	Kind string `json:"kind"`
	Role string `json:"role,omitempty"`
	// DuckDB and Driver are the DuckDB release and duckdb-go version the process linked.
	DuckDB string `json:"duckdb"`
	Driver string `json:"driver,omitempty"`
}

// Host describes the machine a run was made on.
type Host struct {
	CPU      string `json:"cpu"`
	Cores    int    `json:"cores"`
	MemBytes int64  `json:"mem_bytes"`
	OS       string `json:"os"`
	Kernel   string `json:"kernel"`
	Hostname string `json:"hostname,omitempty"`
}

// Versions are the versions of everything that can change a result.
type Versions struct {
	Lockbench string `json:"lockbench"`
	Commit    string `json:"commit,omitempty"`
	Go        string `json:"go"`
	DuckDB    string `json:"duckdb"`
	Driver    string `json:"driver"`
}

// Manifest is manifest.json: what was run, where and with what.
type Manifest struct {
	SchemaVersion int             `json:"schema_version"`
	ID            string          `json:"id"`
	CreatedAt     time.Time       `json:"created_at"`
	Command       []string        `json:"command,omitempty"`
	RootSeed      int64           `json:"root_seed"`
	Shard         string          `json:"shard,omitempty"`
	Filter        string          `json:"filter,omitempty"`
	Scenario      json.RawMessage `json:"scenario"`
	Versions      Versions        `json:"versions"`
	Host          Host            `json:"host"`
	// Commit is the commit under test: the code being measured, which for an exec workload is
	// the user's repository rather than lockbench (whose own commit is Versions.Commit). Empty
	// when it was not known.
	Commit string `json:"commit,omitempty"`
	// CommitSource says where Commit came from: "--commit", a CI variable such as
	// "GITHUB_SHA", or "git" (the HEAD of the working directory).
	CommitSource string `json:"commit_source,omitempty"`
	// Group names the CI pipeline (or other batch) the run belongs to, such as
	// "github:12345678"; the shards of one group merge into one point of a trend.
	Group string `json:"group,omitempty"`
	// Workload is the identity of the work the run measured; nil in version 1 manifests.
	Workload *WorkloadIdentity `json:"workload,omitempty"`
	// Targets are the scenario's targets, each with the cells its sides resolved to when the
	// run was planned; reports judge them. Expectations are the scenario's expectation groups,
	// which the harness resolved into each trial's Expected outcome. Both are also in Scenario
	// (whose JSON older manifests hold them in only: ReadManifest reads them from there).
	Targets      []criteria.ResolvedTarget `json:"targets,omitempty"`
	Expectations []criteria.Expectation    `json:"expectations,omitempty"`
	// Design is how the run decided how many trials each cell got and how its targets and
	// expectations are judged (see criteria.Design); reports and a resume use it. Nil in
	// manifests written before it was recorded: those runs ran a fixed number of trials.
	Design *criteria.Design `json:"design,omitempty"`
	// Releases are the DuckDB releases the run's cells and competitors used, sorted; empty when
	// every process ran the release in Versions.DuckDB.
	Releases []string `json:"releases,omitempty"`
}

// WorkloadIdentity records what defines a run's work, so that timings are compared only
// between runs that did the same work: a changed SQL model or exec command starts a new series
// rather than showing up as a regression.
type WorkloadIdentity struct {
	// Kind is the workload kind ("sim" or "exec").
	Kind string `json:"kind"`
	// Digest identifies the workload's definition: for sim, the digest of the embedded SQL
	// models and seed CSVs; for exec, the digest of the command template.
	Digest string `json:"digest"`
	// Cells maps every cell key of the run to the digest of the workload digest and the cell's
	// expanded parameters (values, data seed, competitor).
	Cells map[string]string `json:"cells"`
}

// WriteManifest writes m as dir/manifest.json atomically.
func WriteManifest(dir string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(dir, ManifestFile), append(b, '\n'))
}

// Appender appends trials to a history file, one synced line at a time. It is safe for
// concurrent use.
type Appender struct {
	mu sync.Mutex
	f  *os.File
}

// OpenAppender opens (creating if needed) dir/history.ndjson for appending. If the file ends in a
// partial line (a crash in the middle of a write), the partial line is cut off first, so that the
// file again holds only whole records.
func OpenAppender(dir string) (*Appender, error) {
	path := filepath.Join(dir, HistoryFile)
	if err := truncatePartialLine(path); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o666)
	if err != nil {
		return nil, fmt.Errorf("open history: %w", err)
	}
	return &Appender{f: f}, nil
}

// Append writes t as one line and syncs it to disk before returning.
func (a *Appender) Append(t Trial) error {
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encode trial: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, err := a.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("append history: %w", err)
	}
	if err := a.f.Sync(); err != nil {
		return fmt.Errorf("sync history: %w", err)
	}
	return nil
}

// Close closes the history file.
func (a *Appender) Close() error { return a.f.Close() }

func truncatePartialLine(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	if len(b) == 0 || b[len(b)-1] == '\n' {
		return nil
	}
	keep := bytes.LastIndexByte(b, '\n') + 1
	return os.Truncate(path, int64(keep))
}
