package outcome

import (
	"fmt"
	"strconv"

	"lockbench/vocab"
)

func itoa(n int) string { return strconv.Itoa(n) }

// Advice says what to do next about an outcome on database file db, in one sentence, or "" when
// there is nothing specific to say. It sits next to the classification so that every place that
// reports an outcome (simulate, hold, bench, repro) gives the same advice.
func Advice(o Outcome, db string) string {
	if CannotRead(o) {
		// Never suggest closing the holder or a read-only open: both fail with the format.
		return formatAdvice(o)
	}
	switch o.Kind {
	case vocab.Environment:
		return envAdvice(o)
	case vocab.LockConflict:
		switch {
		case o.Sub == vocab.SubLocksUnsupported:
			return "this file system does not support file locks (NFS/SMB?); copy the database to a local disk, or open it read-only."
		case o.HolderPID == 0:
			return fmt.Sprintf("the holder is in another container or PID namespace, or on another machine sharing the file; stop it there, or give each its own copy of the database. `lockbench who %s` on the host names it.", db)
		case o.ReadOnlyWouldWork:
			return fmt.Sprintf("only readers hold the file. Close them (kill %d), or let them go while this run writes; readers that must stay can open a snapshot copy instead.", o.HolderPID)
		default:
			return fmt.Sprintf("close or stop the other program (kill %d), or open viewers (DBeaver, notebooks, the duckdb CLI) read-only with access_mode=read_only or -readonly; `lockbench who %s` lists every holder.", o.HolderPID, db)
		}
	case vocab.TxnConflict:
		return "another connection in this process wrote the same tables; serialise those writers or retry the failed step."
	case vocab.Mismatch:
		if o.Sub == vocab.SubDQ {
			return fmt.Sprintf("look at the failed checks in %s: SELECT * FROM dq_results WHERE NOT passed", db)
		}
	}
	return ""
}
