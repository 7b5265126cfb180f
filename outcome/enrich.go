package outcome

import (
	"os"
	"slices"

	"lockbench/internal/proc"
	"lockbench/release"
	"lockbench/vocab"
)

// Enrich completes a classified outcome with what this machine knows beyond DuckDB's message:
// the named holder's executable (when DuckDB did not name one) and command line from /proc,
// which works only while the holder lives, and the file's storage facts (EnrichStorage).
// opener is the DuckDB release of the process whose open failed (zero when unknown). Call it
// as soon as the error happens, while the holder still holds the file.
func Enrich(o *Outcome, opener release.Release) {
	if o == nil {
		return
	}
	if o.HolderPID > 0 {
		if o.HolderCmdline == "" {
			o.HolderCmdline = proc.Cmdline(o.HolderPID)
		}
		if o.HolderExe == "" {
			o.HolderExe = proc.Exe(o.HolderPID)
		}
	}
	EnrichStorage(o, opener)
}

// RoleOf says who the holder DuckDB named (pid) is, as the harness that ran the trial sees it:
// one of the competitors it injected, one of the trial's own worker processes, or somebody
// else. inProcessCompetitor says that the injected competitor is a connection of this very
// process (an in-process writer), which then counts as the competitor. It returns "" for PID
// 0, whose role (vocab.RoleOutsideNamespace) the classification already set.
func RoleOf(pid int, competitors, workers []int, inProcessCompetitor bool) vocab.Role {
	switch {
	case pid <= 0:
		return ""
	case slices.Contains(competitors, pid), pid == os.Getpid() && inProcessCompetitor:
		return vocab.RoleCompetitor
	case slices.Contains(workers, pid):
		return vocab.RoleWorker
	}
	return vocab.RoleOther
}
