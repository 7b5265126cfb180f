// Package sim is lockbench's workload: a multi-year workforce simulation on a DuckDB file. A
// census generator and 14 embedded parameter tables feed 35 SQL models and a schema file (the 36
// files of sim/models/*.sql) whose dependencies come from the ref calls in their own SQL. The
// model DAG runs in one of four modes (sequential, threaded, process-per-model,
// parallel-processes), with the cross-year coordination optimisations on or off, and every run
// records a trace of timed spans. docs/workforce-model.md describes the model.
package sim

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"lockbench/internal/exitcode"
	"lockbench/trace"
	"lockbench/vocab"
)

// Validate checks a configuration and returns it as a Valid one, with its defaults filled in
// and its paths made absolute, or an error that says what to fix. Every error about the
// configuration itself carries exit code 2 (exitcode.Usage); an error that does not (the working
// directory cannot be read, DuckDB cannot start) is not the configuration's fault. Validate
// changes nothing on disk except creating ProfileDir.
func (c Config) Validate() (Valid, error) {
	c.Years = slices.Clone(c.Years)
	c.Options = maps.Clone(c.Options)
	if err := c.validateStrategy(); err != nil {
		return Valid{}, exitcode.Usagef("%w", err)
	}
	if c.Mode == "" {
		c.Mode = vocab.Threaded
	}
	if _, err := vocab.ParseMode(string(c.Mode)); err != nil {
		return Valid{}, exitcode.Usagef("%w", err)
	}
	if c.Threads < 1 {
		return Valid{}, exitcode.Usagef("threads must be at least 1 (got %d)", c.Threads)
	}
	if c.CensusPath == "" && (c.Employees < vocab.MinEmployees || c.Employees > vocab.MaxEmployees) {
		return Valid{}, exitcode.Usagef("employees must be from %d to %d (got %d)", vocab.MinEmployees, vocab.MaxEmployees, c.Employees)
	}
	if err := vocab.CheckYears(c.Years); err != nil {
		return Valid{}, exitcode.Usagef("years: %w", err)
	}
	if c.DBPath == "" {
		return Valid{}, exitcode.Usagef("no database path: give the path of a DuckDB database file")
	}
	p, err := absPath(c.DBPath)
	if err != nil {
		return Valid{}, err
	}
	c.DBPath = p
	if c.Scenario == "" {
		c.Scenario = DefaultScenario
	}
	if c.ParamsDir != "" {
		if c.ParamsDir, err = filepath.Abs(c.ParamsDir); err != nil {
			return Valid{}, err
		}
	}
	seeds, err := LoadParams(c.ParamsDir)
	if err != nil {
		return Valid{}, err
	}
	if err := checkScenario(seeds, c.Scenario, c.ParamsDir); err != nil {
		return Valid{}, err
	}
	v := Valid{ok: true}
	if c.CensusPath != "" {
		if c.CensusPath, err = filepath.Abs(c.CensusPath); err != nil {
			return Valid{}, err
		}
		info, err := InspectCensusFile(context.Background(), c.CensusPath)
		if err != nil {
			return Valid{}, err
		}
		v.census = &info
	}
	// Last: the only check that changes the disk.
	if c.ProfileDir != "" {
		if c.ProfileDir, err = filepath.Abs(c.ProfileDir); err != nil {
			return Valid{}, err
		}
		if err := os.MkdirAll(c.ProfileDir, 0o755); err != nil {
			return Valid{}, &InputError{Path: c.ProfileDir, Msg: "cannot create the profile directory: " + errors.Unwrap(err).Error()}
		}
	}
	v.cfg = c
	return v, nil
}

// width is how many nodes run at once in the configured mode.
func (c *Config) width() int {
	switch c.Mode {
	case vocab.Threaded, vocab.ParallelProcesses:
		return c.Threads
	}
	return 1
}

// Run executes the simulation of a validated configuration and returns its trace, timing
// summary, fingerprint and per-year figures. A failed run still returns its spans and timing;
// the error is in Result.Err too. The fingerprint and figures are read after the run, read-only,
// from the file that holds the data (the private file under publish), by the rules of the run's
// strategy.
func Run(ctx context.Context, v Valid) (*Result, error) {
	if !v.ok {
		return nil, errors.New("sim.Run: the configuration was not validated: pass what Config.Validate returns")
	}
	cfg := v.cfg
	models, err := LoadModels()
	if err != nil {
		return nil, err
	}
	p, err := BuildPlan(cfg, models)
	if err != nil {
		return nil, err
	}
	if err := prepareStrategy(p); err != nil {
		return nil, err
	}
	origin := time.Now()
	rec := trace.NewRecorder(origin)
	if cfg.OnSpan != nil || cfg.Log != nil {
		rec.OnSpan(func(s trace.Span) {
			if cfg.OnSpan != nil {
				cfg.OnSpan(s)
			}
			if cfg.Log != nil {
				logSpan(cfg.Log, s)
			}
		})
	}
	var workers pidList
	switch {
	case cfg.Strategy == vocab.PerWorkerFiles:
		err = runPerWorkerFiles(ctx, p, rec, cfg.width(), &workers)
	case cfg.Mode == vocab.Sequential, cfg.Mode == vocab.Threaded:
		err = runInProcess(ctx, p, rec, cfg.width())
	default:
		err = runProcesses(ctx, p, rec, cfg.width(), &workers)
	}
	wall := time.Since(origin).Seconds()
	res := &Result{Config: cfg, Employees: v.Employees(), Census: v.census, Origin: origin, Spans: rec.Spans(), WorkerPIDs: workers.pids, Err: err}
	res.Summary = trace.Summarize(res.Spans, wall)
	res.Parallelism = p.ParallelismBound(res.Spans, cfg.width())
	if err != nil || cfg.SkipInspect {
		return res, err
	}
	if res.Fingerprint, res.PerYear, err = inspect(ctx, cfg.resultAccess()); err != nil {
		res.Err = err
		return res, err
	}
	return res, nil
}
