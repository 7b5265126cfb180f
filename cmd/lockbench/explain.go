package main

import (
	"errors"
	"fmt"
	"strings"

	"lockbench/harness"
	"lockbench/holders"
	"lockbench/internal/exitcode"
	"lockbench/outcome"
	"lockbench/release"
	"lockbench/vocab"
)

// explainRunError turns a failed run's error into a message that says what happened and what to
// do next. Lock conflicts name the holder's PID, executable and command line (from DuckDB's
// message and /proc), every other holder of the file, and a concrete next step.
func explainRunError(err error, db string) error {
	o := harness.ClassifyRun(err)
	switch o.Kind {
	case vocab.LockConflict:
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
		writeFormat(&b, o)
		return exitcode.WithHint(errors.New(strings.TrimSuffix(b.String(), "\n")), outcome.Advice(o, db))
	case vocab.StorageFormat:
		var b strings.Builder
		fmt.Fprintf(&b, "%s is in a storage format this DuckDB cannot read.\n  DuckDB said: %s\n", db, strings.ReplaceAll(o.Message, "\n", " "))
		writeFormat(&b, o)
		return exitcode.WithCode(exitcode.WithHint(errors.New(strings.TrimSuffix(b.String(), "\n")), outcome.Advice(o, db)), exitcode.Usage)
	case vocab.TxnConflict:
		return exitcode.WithHint(fmt.Errorf("a transaction conflict (%s) stopped the run: %w", o.Sub, err), outcome.Advice(o, db))
	}
	return err
}

// writeFormat adds the file's storage version and the opener's release to an explanation.
func writeFormat(b *strings.Builder, o outcome.Outcome) {
	if o.StorageVersion > 0 {
		fmt.Fprintf(b, "  file: storage version %d", o.StorageVersion)
		if c := release.CompatName(o.StorageVersion); c != "" {
			fmt.Fprintf(b, " (%s format)", c)
		}
		if len(o.ReadableBy) > 0 {
			fmt.Fprintf(b, ", readable by DuckDB %s", strings.Join(o.ReadableBy, ", "))
		}
		b.WriteString("\n")
	}
	if o.OpenerDuckDB != "" && o.ReaderMaxStorage > 0 {
		fmt.Fprintf(b, "  this lockbench: DuckDB %s, reads storage versions %d to %d\n", o.OpenerDuckDB, release.MinStorage, o.ReaderMaxStorage)
	}
}
