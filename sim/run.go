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
	"fmt"
	"os"
	"path/filepath"
	"time"

	"lockbench/trace"
	"lockbench/vocab"
)

// Validate checks a configuration and fills defaults, returning an error that says what to fix.
func (c *Config) Validate() error {
	if c.validated {
		return nil
	}
	if err := c.validateStrategy(); err != nil {
		return err
	}
	if c.Mode == "" {
		c.Mode = vocab.Threaded
	}
	if _, err := vocab.ParseMode(string(c.Mode)); err != nil {
		return err
	}
	if c.Threads < 1 {
		return fmt.Errorf("threads must be at least 1 (got %d)", c.Threads)
	}
	if c.Employees < 10 {
		return fmt.Errorf("employees must be at least 10 (got %d)", c.Employees)
	}
	if len(c.Years) == 0 {
		return fmt.Errorf("give at least one simulation year, e.g. --years 2025 2026 2027")
	}
	for i, y := range c.Years {
		if y < 2000 || y > 2100 {
			return fmt.Errorf("year %d is outside 2000–2100", y)
		}
		if i > 0 && y <= c.Years[i-1] {
			return fmt.Errorf("years must increase: %d comes after %d", y, c.Years[i-1])
		}
	}
	p, err := absPath(c.DBPath)
	if err != nil {
		return err
	}
	c.DBPath = p
	if c.Scenario == "" {
		c.Scenario = DefaultScenario
	}
	if c.ParamsDir != "" {
		if c.ParamsDir, err = filepath.Abs(c.ParamsDir); err != nil {
			return err
		}
	}
	seeds, err := LoadParams(c.ParamsDir)
	if err != nil {
		return err
	}
	if err := checkScenario(seeds, c.Scenario, c.ParamsDir); err != nil {
		return err
	}
	if c.ProfileDir != "" {
		if c.ProfileDir, err = filepath.Abs(c.ProfileDir); err != nil {
			return err
		}
		if err := os.MkdirAll(c.ProfileDir, 0o755); err != nil {
			return &InputError{Path: c.ProfileDir, Msg: "cannot create the profile directory: " + errors.Unwrap(err).Error()}
		}
	}
	if c.CensusPath != "" {
		if c.CensusPath, err = filepath.Abs(c.CensusPath); err != nil {
			return err
		}
		if err := CheckCensusFile(context.Background(), c.CensusPath); err != nil {
			return err
		}
	}
	c.validated = true
	return nil
}

// width is how many nodes run at once in the configured mode.
func (c *Config) width() int {
	switch c.Mode {
	case vocab.Threaded, vocab.ParallelProcesses:
		return c.Threads
	}
	return 1
}

// Run executes the simulation and returns its trace, timing summary, fingerprint and per-year
// figures. A failed run still returns its spans and timing; the error is in Result.Err too. The
// fingerprint and figures are read after the run, read-only, from the file that holds the data
// (the private file under publish), by the rules of the run's strategy.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
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
	res := &Result{Config: cfg, Origin: origin, Spans: rec.Spans(), WorkerPIDs: workers.pids, Err: err}
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
