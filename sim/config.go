package sim

import (
	"io"
	"maps"
	"slices"
	"time"

	"lockbench/access"
	"lockbench/trace"
	"lockbench/vocab"
)

// Config is one run of the workload.
type Config struct {
	DBPath       string // the database file
	Mode         vocab.Mode
	Threads      int   // connections (threaded) or concurrent workers (parallel-processes)
	Coordination bool  // the cross-year optimisations (docs/workforce-model.md#coordination)
	Employees    int   // size of the generated census (a census file, CensusPath, has its own)
	Years        []int // simulation years, increasing
	Seed         int64
	// ParamsDir, when set, holds CSV files that replace the embedded parameter tables of the
	// same name (--params).
	ParamsDir string
	// Scenario is the parameter scenario whose levers outrank the default ones (--scenario);
	// empty means "default".
	Scenario string
	// CensusPath, when set, is a CSV or Parquet census read by DuckDB instead of the generated
	// one (--census). Its columns are CensusColumns.
	CensusPath string
	// ProfileDir, when set, receives DuckDB's JSON query profile of every essential model build,
	// one file per step (model.year.json); see ReadProfiles.
	ProfileDir string
	// LockRetry, when set, retries opens that fail with a lock conflict (worker processes).
	LockRetry *access.RetryPolicy
	// Strategy is how the pipeline shares the file with its other users (strategy.go); it fixes
	// the mode. Empty means NoStrategy.
	Strategy vocab.Strategy
	// DuckDBThreads sets DuckDB's own thread count per instance (0: DuckDB's default).
	DuckDBThreads int
	// Options are DuckDB options for every read-write open of the database, given after the
	// path (`sim.duckdb?storage_compatibility_version=v1.5.0`) or by a flag such as
	// --storage-version (StorageOption); they win over Settings. See ParseDB.
	Options map[string]string
	// Worker launches `lockbench worker` processes for the process modes. Nil means the
	// running executable with the argument "worker".
	Worker *WorkerCommand
	// Log, when non-nil, receives a line per finished span (--verbose).
	Log io.Writer
	// OnSpan, when non-nil, is called with every span as it is recorded.
	OnSpan func(trace.Span)
	// SkipInspect leaves the fingerprint and per-year figures to the caller (a harness that
	// must stop its competitors before it reads the database).
	SkipInspect bool
	// BeforeYear, when non-nil, is called once per simulation year just before the first step
	// of that year starts (competitors that start at a year boundary).
	BeforeYear func(year int)
}

// Valid is a configuration that Config.Validate accepted, with its defaults filled in and its
// paths made absolute: the only thing Run runs. The zero Valid is not valid; a change to the
// configuration means validating it again.
type Valid struct {
	ok     bool
	cfg    Config
	census *CensusInfo
}

// Config returns the validated configuration (a copy: changing it changes nothing here).
func (v Valid) Config() Config {
	c := v.cfg
	c.Years = slices.Clone(c.Years)
	c.Options = maps.Clone(c.Options)
	return c
}

// Census describes the census file (Config.CensusPath), or is nil when the census is generated.
func (v Valid) Census() *CensusInfo { return v.census }

// Employees is the census size: the employees of the census file (one per employee id, as
// staging keeps them), else Config.Employees, the size of the generated census.
func (v Valid) Employees() int {
	if v.census != nil {
		return v.census.Employees
	}
	return v.cfg.Employees
}

// WorkerCommand is how to start a worker process: Path with Args, then the worker's own
// arguments. Env is added to the environment.
type WorkerCommand struct {
	Path string
	Args []string
	Env  []string
}

// YearStats are the per-year figures simulate prints.
type YearStats struct {
	Year                int     `json:"year"`
	ActiveStart         int     `json:"active_start"`
	ActiveEnd           int     `json:"active_end"`
	Hires               int     `json:"hires"`
	Terminations        int     `json:"terminations"`
	NewHireTerminations int     `json:"new_hire_terminations"`
	Promotions          int     `json:"promotions"`
	Raises              int     `json:"raises"`
	Growth              float64 `json:"growth"`
	TargetGrowth        float64 `json:"target_growth"`
	TotalCompensation   float64 `json:"total_compensation"`
}

// Result is what one run produced. Spans and Summary are filled even when Err is set.
type Result struct {
	Config Config
	// Employees is the census size (Valid.Employees); Census describes the census file, or is
	// nil when the census was generated.
	Employees int
	Census    *CensusInfo
	// Origin is the instant span offsets count from (the start of the workload).
	Origin      time.Time
	Spans       []trace.Span
	Summary     trace.Summary
	Fingerprint string
	PerYear     []YearStats
	// Parallelism is the run's parallelism bound: its work, critical path and their ratio.
	Parallelism trace.Parallelism
	// WorkerPIDs are the worker processes the process modes started.
	WorkerPIDs []int
	Err        error
}
