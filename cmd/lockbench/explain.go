package main

import (
	"errors"
	"fmt"
	"strings"

	"lockbench/harness/holders"
	"lockbench/harness/outcome"
	"lockbench/history"
	"lockbench/sim"
)

// classify returns the outcome of a run error (ok for nil), naming a lock holder from /proc.
func classify(err error) history.Outcome {
	if err == nil {
		return history.Outcome{Kind: history.OK}
	}
	var dq *sim.DQError
	if errors.As(err, &dq) {
		return history.Outcome{Kind: history.Mismatch, Sub: "dq", Message: dq.Error()}
	}
	o := outcome.Classify(err)
	holders.Enrich(&o)
	return o
}

// explainRunError turns a failed run's error into a message that says what happened and what to
// do next. Lock conflicts name the holder's PID, executable and command line (from DuckDB's
// message and /proc), every other holder of the file, and a concrete next step.
func explainRunError(err error, db string) error {
	o := classify(err)
	switch o.Kind {
	case history.LockConflict:
		var b strings.Builder
		fmt.Fprintf(&b, "%s is locked by another process.\n  DuckDB said: %s\n", db, o.Message)
		if o.HolderPID > 0 {
			fmt.Fprintf(&b, "  holder: PID %d", o.HolderPID)
			if o.HolderExe != "" {
				fmt.Fprintf(&b, ", %s", o.HolderExe)
			}
			if o.HolderCmdline != "" {
				fmt.Fprintf(&b, ", command line: %s", o.HolderCmdline)
			}
			b.WriteString("\n")
		}
		if hs, lerr := holders.Lookup(db); lerr == nil {
			for _, h := range hs {
				if h.PID != o.HolderPID {
					fmt.Fprintf(&b, "  also: %s\n", holders.Describe(h))
				}
			}
		}
		switch {
		case o.Sub == outcome.SubLocksUnsupported:
			b.WriteString("  next: this file system does not support file locks (NFS/SMB?); copy the database to a local disk, or open it read-only.")
		case o.HolderPID == 0:
			fmt.Fprintf(&b, "  next: the holder is in another container or PID namespace, or on another machine sharing the file; stop it there, or give each its own copy of the database. `lockbench who %s` on the host names it.", db)
		case o.ReadOnlyWouldWork:
			fmt.Fprintf(&b, "  next: only readers hold the file. Close them (kill %d), or let them go while this run writes; readers that must stay can open a snapshot copy instead.", o.HolderPID)
		default:
			fmt.Fprintf(&b, "  next: close or stop the other program (kill %d), or open viewers (DBeaver, notebooks, the duckdb CLI) read-only with access_mode=read_only or -readonly; `lockbench who %s` lists every holder.", o.HolderPID, db)
		}
		return errors.New(b.String())
	case history.TxnConflict:
		return fmt.Errorf("a transaction conflict (%s) stopped the run: %w\n  next: another connection in this process wrote the same tables; serialise those writers or retry the failed step", o.Sub, err)
	}
	return err
}
