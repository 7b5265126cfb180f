package history

// TrialWatch is what a watch of a trial's database file saw (`bench --watch`): how it sampled,
// and the strangers, processes lockbench did not start that held or waited for a lock on the
// file (or its .wal) while the trial ran. A trial that was not watched has none.
type TrialWatch struct {
	// IntervalS is the sampling interval in seconds: a hold shorter than it may be missed.
	IntervalS float64 `json:"interval_s"`
	// Samples is how many samples were taken, MaxGapS the longest time between two of them.
	Samples int     `json:"samples"`
	MaxGapS float64 `json:"max_gap_s"`
	// OwnLocks is how many locks of lockbench's own processes (the trial, its workers, its
	// competitors and the commands they ran) the watch saw and left out.
	OwnLocks int `json:"own_locks"`
	// Strangers are the other processes' locks, by when they were first seen.
	Strangers []Stranger `json:"strangers,omitempty"`
	// Note says why the watch saw less than the whole trial, when it did (it could not read
	// /proc/locks).
	Note string `json:"note,omitempty"`
}

// Stranger is one lock that a process lockbench did not start held (or waited for) on a
// trial's database file, from the first sample that saw it to the first that did not.
type Stranger struct {
	// PID is the process as the runner's PID namespace sees it (0 outside it).
	PID int `json:"pid"`
	// Exe and Cmdline are the process's executable and command line, read when the lock was
	// first seen; empty when they could not be read.
	Exe     string `json:"exe,omitempty"`
	Cmdline string `json:"cmdline,omitempty"`
	// OutsideNamespace marks a lock whose owner the runner's PID namespace cannot see (F_GETLK
	// reported it): a process in another container, which a watch on the host can name.
	OutsideNamespace bool `json:"outside_namespace,omitempty"`
	// File is the locked file's name in the trial directory: the database file or its .wal.
	File string `json:"file"`
	// Mode is the lock's mode: read or write.
	Mode string `json:"mode"`
	// Waiting is true for a process blocked waiting for the lock (it asked with F_SETLKW while
	// someone else held the file) rather than holding it.
	Waiting bool `json:"waiting,omitempty"`
	// StartS and EndS are the first sample that saw the lock and the first that did not, in
	// seconds since the trial started (to within one interval each).
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s"`
	// StillHeld is true for a lock still held (or waited for) when the trial ended.
	StillHeld bool `json:"still_held,omitempty"`
	// Named is true when the trial's lock error named this process as the holder.
	Named bool `json:"named,omitempty"`
}
