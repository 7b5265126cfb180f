package harness

import (
	"context"
	"fmt"
	"slices"
	"time"

	"lockbench/scenarios"
	"lockbench/sim"
	"lockbench/trace"
	"lockbench/vocab"
)

// Workload is one kind of work a trial runs (a scenario's `workload:`). The harness knows a
// workload only through this interface: the runner asks it for its identity and the per-trial
// part of a trial's spec, the trial process asks it for the tables an in-process writer
// contends for and runs it. Everything around the run (the trial's file, its competitors, the
// classification of a failure, the data check) is shared by every workload.
//
// A workload may also implement DataChecker.
type Workload interface {
	// Kind is the scenario value that selects the workload.
	Kind() vocab.WorkloadKind
	// Digest identifies the work of w, a scenario's workload of this kind: anything that
	// changes what its trials do changes it (see WorkloadIdentity).
	Digest(w scenarios.Workload) string
	// Prepare completes spec, the spec of a trial of cell c whose own parameters the runner
	// has already filled in, with what this workload's trial needs.
	Prepare(spec *TrialSpec, w scenarios.Workload, c scenarios.Cell)
	// Tables lists the tables of the workload that an in-process writer writes (nil when the
	// workload's tables are not lockbench's to know); missing ones are skipped.
	Tables() []string
	// Run runs the workload in the trial process. Its error is the workload's failure, which
	// the trial classifies (see ClassifyRun); the result holds what it measured, even then.
	Run(ctx context.Context, env *TrialEnv) (WorkloadResult, error)
}

// Rebuilder is a workload that replaces some of its Tables whole; an in-process writer then
// replaces them as well (with their own rows), the way a second thread building the same model
// would, instead of only rewriting rows that the workload never touches again.
type Rebuilder interface {
	RebuiltTables() []string
}

// DataChecker is a workload whose data lockbench can check: after a successful run, with every
// competitor stopped, the trial fingerprints the file, and the runner compares the fingerprint
// with the other trials' of the same data.
type DataChecker interface {
	// CheckData returns the fingerprint of the data in the database file db.
	CheckData(ctx context.Context, db string) (string, error)
}

// TrialEnv is what a workload runs with in its trial.
type TrialEnv struct {
	// Spec is the trial's spec; its Dir is absolute.
	Spec TrialSpec
	// DB is the trial's database file (absolute), created empty before the run.
	DB string
	// Roles starts lockbench's other roles (the simulation's worker processes).
	Roles Roles
	// YearStarted tells the trial's competitor that the workload begins a year, so that a
	// competitor deferred to that year starts now. A workload without years calls it once,
	// before it starts, with the year the competitor waits for.
	YearStarted func(year int)
}

// options returns the DuckDB options every read-write open of the trial's file uses.
func (e *TrialEnv) options() map[string]string {
	if e.Spec.StorageVersion == "" {
		return nil
	}
	return map[string]string{sim.StorageOption: e.Spec.StorageVersion}
}

// DSN is how a connection of the trial process opens the trial's file read-write: with the
// simulation's settings and the cell's storage version, as the simulation opens it.
func (e *TrialEnv) DSN() string {
	cfg := sim.Config{DBPath: e.DB, Options: e.options()}
	return cfg.DSN()
}

// WorkloadResult is what a workload's run measured.
type WorkloadResult struct {
	Spans       []trace.Span
	Summary     trace.Summary
	Parallelism *trace.Parallelism
	// Origin is the instant the spans' offsets count from; zero for the start of the trial.
	Origin time.Time
	// Workers are the workload's own worker processes, for naming a lock holder's role.
	Workers []int
}

// workloads are the workloads lockbench runs, by kind. Adding one is a file that implements
// Workload and its line here.
var workloads = registry(
	simWorkload{},
	execWorkload{},
)

// registry indexes workloads by kind; two of one kind are a programming error.
func registry(ws ...Workload) map[vocab.WorkloadKind]Workload {
	m := make(map[vocab.WorkloadKind]Workload, len(ws))
	for _, w := range ws {
		if _, dup := m[w.Kind()]; dup {
			panic(fmt.Sprintf("harness: workload %q registered twice", w.Kind()))
		}
		m[w.Kind()] = w
	}
	return m
}

// workloadOf returns the workload of a kind; the empty kind is the simulation, as in scenarios.
func workloadOf(kind vocab.WorkloadKind) (Workload, error) {
	if kind == "" {
		kind = vocab.WorkloadSim
	}
	w, ok := workloads[kind]
	if !ok {
		return nil, fmt.Errorf("unknown workload %q: lockbench runs %s", kind, kindList())
	}
	return w, nil
}

// kindList names the registered workload kinds in a stable order.
func kindList() string {
	kinds := make([]vocab.WorkloadKind, 0, len(workloads))
	for k := range workloads {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	return vocab.Join(kinds)
}
