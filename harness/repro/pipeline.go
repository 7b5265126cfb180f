package repro

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"lockbench/access"
	"lockbench/holders"
	"lockbench/outcome"
	"lockbench/trace"
	"lockbench/vocab"
)

// pipelineCases are the S031-04 story: parallel worker processes on one file.
func pipelineCases() []Case {
	return []Case{
		{
			Name:      "parallel-pipelines",
			Title:     "parallel worker processes on one file collide: Conflicting lock is held by a sibling worker",
			Reference: "S031-04 (docs/workforce-model.md#origin); docs/duckdb-locking.md#real-world-reports (dagster-io/dagster#27800)",
			Setup:     "The workload runs in parallel-processes mode (4 worker processes at once, each opening sim.duckdb read-write) without a lock-retry policy.",
			Expect: Expectation{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Message: lockMsg,
				Also: []string{"DuckDB names a sibling worker's PID and executable, not this process"}},
			run: parallelNoRetry,
		},
		{
			Name:      "parallel-pipelines-retry",
			Title:     "with a lock-retry policy the parallel workers serialise and produce the sequential run's data",
			Reference: "S031-04 (--lock-retry, docs/workforce-model.md#modes); docs/duckdb-locking.md#mitigations (open, write, close plus retry)",
			Setup:     "The same parallel-processes run with the default lock-retry policy, and a sequential run of the same seed on another file.",
			Expect: Expectation{Kind: vocab.OK,
				Also: []string{"the fingerprint of fct_yearly_events and fct_workforce_snapshot equals the sequential run's"}},
			run: parallelRetry,
		},
	}
}

// spanLog records the workload's open failures and lock waits in the timeline, and counts
// them.
type spanLog struct {
	r                             *caseRun
	mu                            sync.Mutex
	opens, refused, waits, logged int
	waited                        float64
}

func (l *spanLog) add(s trace.Span) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch s.Kind {
	case trace.Open:
		l.opens++
		if s.Error == "" {
			return
		}
		l.refused++
		if l.logged < 3 {
			l.logged++
			l.r.step("worker %d, opening for %s %d: %s", s.Worker, s.Name, s.Year, outcome.ClassifyText(s.Error).Message)
		}
	case trace.LockWait:
		l.waits++
		l.waited += s.Duration()
	}
}

func (l *spanLog) summary() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return fmt.Sprintf("%d opens, %d refused with a lock conflict, %d lock waits (%.0fms in total)", l.opens, l.refused, l.waits, l.waited*1000)
}

func parallelNoRetry(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	path := r.path("sim.duckdb")
	cfg := simConfig(path, vocab.ParallelProcesses, r.env.Worker)
	log := &spanLog{r: r}
	cfg.OnSpan = log.add
	r.step("the workload starts: %s, %d workers, no lock retry", cfg.Mode, cfg.Threads)
	res, err := runSim(ctx, cfg)
	var pids []int
	if res != nil {
		pids = res.WorkerPIDs
	}
	r.step("the workload ended after starting %d worker processes: %s", len(pids), log.summary())
	if err == nil {
		obs.Outcome = outcome.Outcome{Kind: vocab.OK}
		return obs, nil
	}
	if ctx.Err() != nil {
		return obs, fmt.Errorf("workload: %w", err)
	}
	obs.Outcome = classify(err)
	r.step("the workload failed: %s", obs.Outcome.Message)
	named := obs.Outcome.HolderPID
	obs.check("DuckDB names a sibling worker's PID, not this process", slices.Contains(pids, named) && named != os.Getpid(),
		"DuckDB named pid %d; workers %v; this process %d", named, pids, os.Getpid())
	want := r.env.Worker.Path
	if p, err := filepath.EvalSymlinks(want); err == nil {
		want = p
	}
	if abs, err := filepath.Abs(want); err == nil {
		want = abs
	}
	obs.check("DuckDB names the worker executable", obs.Outcome.HolderExe == want, "DuckDB named %q; workers run %q", obs.Outcome.HolderExe, want)
	hs, lerr := holders.Lookup(path)
	obs.check("no worker outlives the run (no lock left)", lerr == nil && len(hs) == 0, "%d locks (err %v)", len(hs), lerr)
	return obs, nil
}

func parallelRetry(ctx context.Context, r *caseRun) (Observation, error) {
	var obs Observation
	seq := simConfig(r.path("sequential.duckdb"), vocab.Sequential, r.env.Worker)
	r.step("reference: sequential run on sequential.duckdb")
	ref, err := runSim(ctx, seq)
	if err != nil {
		return obs, fmt.Errorf("sequential reference run: %w", err)
	}
	r.step("sequential run done, fingerprint %s", short(ref.Fingerprint))

	cfg := simConfig(r.path("parallel.duckdb"), vocab.ParallelProcesses, r.env.Worker)
	retry := access.DefaultRetry
	cfg.LockRetry = &retry
	log := &spanLog{r: r}
	cfg.OnSpan = log.add
	r.step("parallel-processes run with lock retry on parallel.duckdb (%d workers)", cfg.Threads)
	res, err := runSim(ctx, cfg)
	r.step("parallel run ended: %s", log.summary())
	obs.Outcome = classify(err)
	if err != nil {
		r.step("the parallel run failed: %s", obs.Outcome.Message)
		return obs, nil
	}
	r.step("parallel run done, fingerprint %s", short(res.Fingerprint))
	obs.check("the parallel run's data equals the sequential run's (fingerprints)", res.Fingerprint != "" && res.Fingerprint == ref.Fingerprint,
		"parallel %s, sequential %s", short(res.Fingerprint), short(ref.Fingerprint))
	return obs, nil
}

// short abbreviates a fingerprint for the timeline.
func short(fp string) string {
	if len(fp) > 12 {
		return fp[:12]
	}
	return fp
}
