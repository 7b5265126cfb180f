// Package vocab is lockbench's vocabulary: the typed values every other package speaks in —
// execution modes, sharing strategies (and the mode each implies), competitor kinds with their
// defaults, outcome kinds, sub-kinds and holder roles, metrics, and the limits on a cell's
// values. Each value is spelled here once; other packages use the constants, parse user input
// with the Parse functions and list the choices with the slices, so that adding a value is a
// change to this package only.
//
// It is a leaf: it imports nothing of lockbench's and links no cgo, so that scenario parsing,
// run directories and reports can use it without DuckDB.
package vocab

import (
	"fmt"
	"strings"
	"time"
)

// WorkloadKind is what a trial runs.
type WorkloadKind string

// The workload kinds.
const (
	// WorkloadSim is the built-in workforce simulation.
	WorkloadSim WorkloadKind = "sim"
	// WorkloadExec is a user's command, run with matrix values substituted.
	WorkloadExec WorkloadKind = "exec"
)

// Mode is how the workload's model DAG executes.
type Mode string

// The execution modes.
const (
	// Sequential is one process, one connection, models in topological order.
	Sequential Mode = "sequential"
	// Threaded is one process, one DuckDB instance, N connections on N goroutines; a model
	// starts when its inputs are done (dbt --threads N; the S031-04 fix).
	Threaded Mode = "threaded"
	// ProcessPerModel runs each step in a fresh worker process, one at a time: the legacy
	// baseline of a subprocess per dbt model.
	ProcessPerModel Mode = "process-per-model"
	// ParallelProcesses runs up to N worker processes at once on one file: the pre-fix bug.
	ParallelProcesses Mode = "parallel-processes"
)

// Modes lists every mode in a stable order.
var Modes = []Mode{Sequential, Threaded, ProcessPerModel, ParallelProcesses}

// ParseMode returns the mode named s, or an error listing the valid modes.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown mode %q: use one of %s", s, Join(Modes))
}

// Processes reports whether the mode runs steps in worker processes.
func (m Mode) Processes() bool { return m == ProcessPerModel || m == ParallelProcesses }

// OneAtATime reports whether the mode runs one step at a time (its thread count is 1).
func (m Mode) OneAtATime() bool { return m == Sequential || m == ProcessPerModel }

// Strategy is how a pipeline and the file's other users share one DuckDB database. Each
// strategy fixes the pipeline's mode and the rules the cooperating participants follow.
type Strategy string

// The strategies. NoStrategy leaves the mode and lock-retry settings in charge.
const (
	NoStrategy Strategy = "none"
	// Parallel is parallel worker processes without any protection: the negative control.
	Parallel Strategy = "parallel"
	// SingleProcess is one process, N connections (the S031-04 fix).
	SingleProcess Strategy = "single-process"
	// Retry is parallel worker processes that retry the lock error with bounded exponential
	// backoff and jitter.
	Retry Strategy = "retry"
	// Queue is parallel worker processes that take an advisory flock(2) on a sidecar file
	// around every open.
	Queue Strategy = "queue"
	// Publish is one process working on a private file that publishes a consistent copy after
	// each year.
	Publish Strategy = "publish"
	// PerWorkerFiles is worker processes writing files of their own, merged at the end.
	PerWorkerFiles Strategy = "per-worker-files"
	// ReadOnlyAttach is the single-process pipeline with participants that ATTACH the file
	// READ_ONLY from an in-memory database.
	ReadOnlyAttach Strategy = "read-only-attach"
)

// Strategies lists every strategy besides NoStrategy, in the order reports show them.
var Strategies = []Strategy{Parallel, SingleProcess, Retry, Queue, Publish, PerWorkerFiles, ReadOnlyAttach}

// ParseStrategy returns the strategy named s ("" and "none" are NoStrategy), or an error
// listing the valid ones.
func ParseStrategy(s string) (Strategy, error) {
	if s == "" || s == string(NoStrategy) {
		return NoStrategy, nil
	}
	for _, st := range Strategies {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown strategy %q: use one of %s (or none)", s, Join(Strategies))
}

// Mode returns the execution mode of the strategy's pipeline ("" for NoStrategy, whose mode
// is the caller's).
func (s Strategy) Mode() Mode {
	switch s {
	case Parallel, Retry, Queue, PerWorkerFiles:
		return ParallelProcesses
	case SingleProcess, Publish, ReadOnlyAttach:
		return Threaded
	}
	return ""
}

// LockRetry reports whether the strategy retries lock conflicts.
func (s Strategy) LockRetry() bool { return s == Retry }

// CompetitorKind is a kind of injected competitor (a nemesis).
type CompetitorKind string

// The competitor kinds.
const (
	// NoCompetitor is the absence of a competitor.
	NoCompetitor CompetitorKind = "none"
	// ReaderProcess is one other process holding the file read-only.
	ReaderProcess CompetitorKind = "reader-process"
	// WriterProcess is one other process holding the file read-write and writing a row on a
	// period.
	WriterProcess CompetitorKind = "writer-process"
	// Readers is several other processes holding the file read-only.
	Readers CompetitorKind = "readers"
	// FlappingProcess opens and closes the file on a period.
	FlappingProcess CompetitorKind = "flapping-process"
	// Viewers poll a dashboard query, following the cell's strategy.
	Viewers CompetitorKind = "viewers"
	// SecondWriter appends a row to a table of its own on a period, following the cell's
	// strategy.
	SecondWriter CompetitorKind = "second-writer"
	// StoppedHolder takes the lock and is frozen with SIGSTOP.
	StoppedHolder CompetitorKind = "stopped-holder"
	// KilledHolder writes and is killed with SIGKILL while it holds the file.
	KilledHolder CompetitorKind = "killed-holder"
	// InProcessWriter is a second connection of the workload's own process writing its tables.
	InProcessWriter CompetitorKind = "in-process-writer"
	// ExecCompetitor is the user's own command, with {db} substituted.
	ExecCompetitor CompetitorKind = "exec"
)

// CompetitorKinds lists every competitor kind besides NoCompetitor, in the order documents
// list them.
var CompetitorKinds = []CompetitorKind{ReaderProcess, WriterProcess, Readers, FlappingProcess, Viewers, SecondWriter,
	StoppedHolder, KilledHolder, InProcessWriter, ExecCompetitor}

// ParseCompetitorKind returns the kind named s, or an error listing the valid ones.
func ParseCompetitorKind(s string) (CompetitorKind, error) {
	if s == string(NoCompetitor) {
		return NoCompetitor, nil
	}
	for _, k := range CompetitorKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown competitor %q: use one of %s (or none)", s, Join(CompetitorKinds))
}

// Cooperates reports whether the kind follows the cell's strategy (viewers, a second writer).
func (k CompetitorKind) Cooperates() bool { return k == Viewers || k == SecondWriter }

// RunsLockbench reports whether the kind's processes are lockbench processes (`lockbench hold`
// or `lockbench cooperate`), which can run a DuckDB release of their own: every kind but none,
// in-process-writer (a connection of the workload's process) and exec (the user's command).
func (k CompetitorKind) RunsLockbench() bool {
	return k != NoCompetitor && k != "" && k != InProcessWriter && k != ExecCompetitor
}

// Competitor defaults, as a scenario writes them.
const (
	// DefaultReaders is how many read-only processes readers starts.
	DefaultReaders = 2
	// DefaultViewers is how many processes viewers starts.
	DefaultViewers = 3
	// DefaultFlapCycle is one open/close cycle of a flapping-process (it holds the file for
	// the first half).
	DefaultFlapCycle = time.Second
	// DefaultPollPeriod is the time between the attempts of viewers and a second writer.
	DefaultPollPeriod = 200 * time.Millisecond
	// DefaultWritePeriod is the write interval of a writer-process.
	DefaultWritePeriod = 100 * time.Millisecond
	// DefaultInProcessHold is how long an in-process-writer keeps each transaction open when the
	// competitor names no period: longer than any trial, so that it holds one transaction, its
	// writes made as soon as the tables exist, until the trial stops it (and rolls it back).
	// A transaction that commits every period leaves gaps in which the workload's writes pass.
	DefaultInProcessHold = 24 * time.Hour
	// DefaultKillAfter is how long a killed-holder holds the file before SIGKILL.
	DefaultKillAfter = time.Second
)

// Kind is the kind of a trial's outcome.
type Kind string

// The outcome kinds.
const (
	// OK is a trial that ran to the end with the right data.
	OK Kind = "ok"
	// LockConflict is DuckDB's file lock held by another process.
	LockConflict Kind = "lock-conflict"
	// TxnConflict is a transaction conflict between connections of one process.
	TxnConflict Kind = "txn-conflict"
	// Constraint is a constraint violation.
	Constraint Kind = "constraint"
	// LostWrite is a write that was acknowledged and is gone.
	LostWrite Kind = "lost-write"
	// Mismatch is data that differs from the reference (or failed its own checks).
	Mismatch Kind = "mismatch"
	// Timeout is a trial that passed its timeout (a hang).
	Timeout Kind = "timeout"
	// Crash is a process that died: a signal, a Go panic, a DuckDB fatal error.
	Crash Kind = "crash"
	// Error is any other failure of the code under test.
	Error Kind = "error"
	// StorageFormat is an open that failed because the file's storage format is one the
	// opener's DuckDB release cannot read.
	StorageFormat Kind = "storage-format"
	// Environment is a failure of the machine, not of the code under test: a full disk, a
	// read-only file system, permission denied, too many open files, memory exhausted or an
	// OOM kill. It is never a conflict and never a verdict's failure: the trial is not a result
	// and a resumed run runs it again.
	Environment Kind = "environment"
)

// Kinds lists every outcome kind, in the order reports show them.
var Kinds = []Kind{OK, LockConflict, TxnConflict, Constraint, LostWrite, Mismatch, StorageFormat, Timeout, Crash, Error, Environment}

// Result reports whether a trial of this outcome kind is a result of the code under test (every
// kind but Environment): statistics and verdicts count only results.
func (k Kind) Result() bool { return k != Environment }

// ParseKind returns the outcome kind named s, or an error listing the valid ones.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown outcome %q: use one of %s", s, Join(Kinds))
}

// Sub refines an outcome kind. Besides the constants below, a crash's Sub is the name of the
// signal that killed the process ("SIGKILL").
type Sub string

// Sub-kinds of lock-conflict.
const (
	// SubDatabase is a conflict on the database file itself.
	SubDatabase Sub = "database"
	// SubWAL is a conflict on the database's write-ahead log, seen at commit time.
	SubWAL Sub = "wal"
	// SubLocksUnsupported is "File locks are not supported for this file system".
	SubLocksUnsupported Sub = "unsupported"
)

// Sub-kinds of txn-conflict.
const (
	SubUpdate     Sub = "update"     // "Conflict on update!"
	SubDelete     Sub = "delete"     // "Conflict on tuple deletion!"
	SubCatalog    Sub = "catalog"    // "Catalog write-write conflict on create/alter"
	SubDropped    Sub = "dropped"    // a write to a table another transaction dropped
	SubAltered    Sub = "altered"    // a write to a table another transaction altered
	SubCheckpoint Sub = "checkpoint" // "Cannot CHECKPOINT: ..."
	SubAborted    Sub = "aborted"    // "Current transaction is aborted (please ROLLBACK)"
	SubOther      Sub = "other"      // any other transaction error
)

// Sub-kinds of mismatch, storage-format, crash and error.
const (
	// SubDQ is a mismatch in which the workload's own data-quality checks failed.
	SubDQ Sub = "dq"
	// SubTooNew is a file in a storage format newer than the opener reads.
	SubTooNew Sub = "too-new"
	// SubTooOld is a file in a storage format older than the opener reads.
	SubTooOld Sub = "too-old"
	// SubPanic is a Go panic or runtime fatal error reported on a child's stderr.
	SubPanic Sub = "panic"
	// SubFatal is a DuckDB FATAL or INTERNAL error.
	SubFatal Sub = "duckdb-fatal"
	// SubCanceled is an error caused by a cancelled context (Ctrl-C).
	SubCanceled Sub = "canceled"
	// SubHandleConflict is DuckDB's "Unique file handle conflict" within one process.
	SubHandleConflict Sub = "handle-conflict"
	// SubBadPath is a database path that cannot be a DuckDB database.
	SubBadPath Sub = "bad-path"
)

// Sub-kinds of environment.
const (
	// SubDiskFull is "No space left on device".
	SubDiskFull Sub = "disk-full"
	// SubReadOnlyFS is a write to a read-only file system.
	SubReadOnlyFS Sub = "read-only-fs"
	// SubPermission is "Permission denied" on a file or directory lockbench made or was given.
	SubPermission Sub = "permission"
	// SubTooManyFiles is the descriptor limit (EMFILE/ENFILE, "too many open files").
	SubTooManyFiles Sub = "too-many-files"
	// SubOutOfMemory is DuckDB's Out of Memory Error or an allocation the system refused.
	SubOutOfMemory Sub = "out-of-memory"
	// SubOOMKill is a process the kernel's OOM killer ended (SIGKILL with the cgroup's
	// oom_kill counter raised).
	SubOOMKill Sub = "oom-kill"
	// SubVanished is a directory lockbench writes to that disappeared while it ran.
	SubVanished Sub = "vanished"
)

// Role says who the holder DuckDB named in a lock conflict is, as the harness sees it.
type Role string

// The holder roles.
const (
	// RoleCompetitor is a process the harness injected.
	RoleCompetitor Role = "competitor"
	// RoleWorker is another worker process of the same trial.
	RoleWorker Role = "worker"
	// RoleOther is a process the harness did not start.
	RoleOther Role = "other"
	// RoleOutsideNamespace is a holder in another PID namespace (DuckDB names PID 0).
	RoleOutsideNamespace Role = "outside-namespace"
)

// Metric is a per-trial figure a target or comparison gates on, in seconds.
type Metric string

// The metrics.
const (
	// Wall is the trial's wall-clock time.
	Wall Metric = "wall"
	// Overhead is wall minus sql: everything that is not essential model SQL.
	Overhead Metric = "overhead"
	// SQL is the union of the trial's model spans.
	SQL Metric = "sql"
)

// Metrics lists the metrics.
var Metrics = []Metric{Overhead, Wall, SQL}

// ParseMetric returns the metric named s, or an error listing the valid ones.
func ParseMetric(s string) (Metric, error) {
	for _, m := range Metrics {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown metric %q: use one of %s", s, Join(Metrics))
}

// Limits on the values of a cell (and of simulate's flags).
const (
	MinEmployees = 10
	MaxEmployees = 10_000_000
	MinYear      = 2000
	MaxYear      = 2100
	MaxThreads   = 1024
)

// Join lists values of a string type, comma-separated, for messages.
func Join[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

// Strings returns values of a string type as plain strings.
func Strings[T ~string](vs []T) []string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return s
}
