package history

import "lockbench/vocab"

// Cooperation is what a trial's cooperating competitors (viewers, a second writer) measured
// while the workload ran, under the cell's strategy.
type Cooperation struct {
	// Strategy is the cell's strategy ("none" when the cell has none).
	Strategy vocab.Strategy `json:"strategy"`
	// Viewers sums up the viewers' polls; Writer the second writer's writes. Either is nil
	// when the trial had no such competitor.
	Viewers *Participants `json:"viewers,omitempty"`
	Writer  *Participants `json:"writer,omitempty"`
}

// Participants sums up the attempts of the cooperating processes of one role. Attempts,
// Successes, the failures, WaitMS and the viewer figures count only the attempts that began
// while the workload ran (between its start and its end).
type Participants struct {
	// Processes is the number of processes of the role.
	Processes int `json:"processes"`
	// Attempts counts reads (viewers) or writes (a writer); Successes those that worked.
	Attempts  int `json:"attempts"`
	Successes int `json:"successes"`
	// LockConflicts counts attempts that failed with DuckDB's lock error; OtherErrors the
	// rest of the failures, FirstError the message of the first failure of either kind.
	LockConflicts int    `json:"lock_conflicts"`
	OtherErrors   int    `json:"other_errors"`
	FirstError    string `json:"first_error,omitempty"`
	// WaitMS is each attempt's time waiting for access (blocked on the queue, sleeping
	// between retries), in milliseconds, in the order the attempts began.
	WaitMS []float64 `json:"wait_ms"`
	// StalenessYears is, for each successful read, the newest simulation year the workload had
	// finished when the read began minus the year the read saw (the year before the first
	// simulated year stands for "nothing"): 0 is current, 1 a year behind.
	StalenessYears []int `json:"staleness_years,omitempty"`
	// Partial counts successful reads that saw a year the workload had not finished: a mix of
	// finished and unfinished tables.
	Partial int `json:"partial,omitempty"`
	// RowsWritten is, for a writer, the number of rows it wrote successfully during the whole
	// trial, and RowsKept the number of them found in the file at the end (publishing a copy
	// over the file drops the rows written to the file before).
	RowsWritten int `json:"rows_written"`
	RowsKept    int `json:"rows_kept"`
}
