package harness

import (
	"context"

	"lockbench/access"
	"lockbench/scenarios"
	"lockbench/sim"
	"lockbench/vocab"
)

// simWorkload is the built-in workforce simulation, run in the trial process (and in the worker
// processes of the process modes).
type simWorkload struct{}

func (simWorkload) Kind() vocab.WorkloadKind { return vocab.WorkloadSim }

// Digest is the digest of the simulation's embedded SQL models and seeds.
func (simWorkload) Digest(scenarios.Workload) string { return sim.Digest() }

// Prepare adds nothing: the cell's parameters are the simulation's whole input.
func (simWorkload) Prepare(*TrialSpec, scenarios.Workload, scenarios.Cell) {}

// Tables are the simulation's tables every year writes (sim.ContendedTables).
func (simWorkload) Tables() []string { return sim.ContendedTables() }

// RebuiltTables are the tables every simulated year replaces whole (sim.RebuiltTables).
func (simWorkload) RebuiltTables() []string { return sim.RebuiltTables() }

// Run runs the simulation on the trial's file, telling the competitor about each year before
// the year's first step.
func (simWorkload) Run(ctx context.Context, env *TrialEnv) (WorkloadResult, error) {
	spec := env.Spec
	mode, err := vocab.ParseMode(string(spec.Mode))
	if err != nil {
		return WorkloadResult{}, err
	}
	cfg := sim.Config{
		DBPath: env.DB, Mode: mode, Threads: spec.Threads, Coordination: spec.Coordination,
		Employees: spec.Employees, Years: spec.Years, Seed: spec.Seed, Worker: env.Roles.Worker, SkipInspect: true,
		Strategy: spec.Strategy, Options: env.options(), BeforeYear: env.YearStarted,
	}
	if spec.LockRetry && strategyName(spec.Strategy) == vocab.NoStrategy {
		// A strategy brings its own retry policy (the retry strategy's has jitter).
		r := access.DefaultRetry
		cfg.LockRetry = &r
	}
	valid, err := cfg.Validate()
	if err != nil {
		return WorkloadResult{}, err
	}
	run, err := sim.Run(ctx, valid)
	if run == nil {
		return WorkloadResult{}, err
	}
	res := WorkloadResult{Spans: run.Spans, Summary: run.Summary, Origin: run.Origin, Workers: run.WorkerPIDs}
	if run.Parallelism.CriticalPathS > 0 {
		p := run.Parallelism
		res.Parallelism = &p
	}
	return res, err
}

// CheckData fingerprints the simulation's tables, read-only.
func (simWorkload) CheckData(ctx context.Context, db string) (string, error) {
	return sim.FingerprintFile(ctx, db)
}
