// Package history defines the run directory format shared by the trial runner (which writes it)
// and the reports (which read it): manifest.json, describing the run, and history.ndjson, one
// JSON line per finished trial. Every write is crash-safe: trial lines are appended and synced
// one at a time, and whole files are replaced atomically, so a crash or Ctrl-C never loses a
// result that was already recorded.
package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

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
// them, still load (with those fields empty).
const SchemaVersion = 2

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
	StorageVersion int               `json:"storage_version,omitempty"`
	StartedAt      time.Time         `json:"started_at"`
	Seed           int64             `json:"seed,omitempty"`
	Params         map[string]string `json:"params,omitempty"`
	Spans          []trace.Span      `json:"spans,omitempty"`
	// Parallelism is the trial's parallelism bound (simulation workloads).
	Parallelism *trace.Parallelism `json:"parallelism,omitempty"`
	Note        string             `json:"note,omitempty"`
	// Cooperation is what the trial's cooperating competitors measured (cooperation.go).
	Cooperation *Cooperation `json:"cooperation,omitempty"`
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

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return m, fmt.Errorf("read manifest: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	return m, nil
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
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
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

// ReadTrials reads every whole trial line of dir/history.ndjson. A final partial line (from a
// crash mid-write) is ignored; a malformed whole line is an error naming its line number.
func ReadTrials(dir string) ([]Trial, error) {
	f, err := os.Open(filepath.Join(dir, HistoryFile))
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	defer f.Close()
	return DecodeTrials(f, filepath.Join(dir, HistoryFile))
}

// DecodeTrials decodes NDJSON trials from r; name is used in error messages.
func DecodeTrials(r io.Reader, name string) ([]Trial, error) {
	br := bufio.NewReader(r)
	var out []Trial
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// A last line without a newline is a torn write: ignore it.
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		var t Trial
		if err := json.Unmarshal(b, &t); err != nil {
			return out, fmt.Errorf("%s:%d: malformed trial: %w", name, line, err)
		}
		out = append(out, t)
	}
}
