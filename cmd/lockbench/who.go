package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"lockbench/holders"
	"lockbench/internal/exitcode"
	"lockbench/release"
)

func init() {
	register(func(a *app) *cobra.Command { return newWhoCmd(a, runWho) })
}

// whoJSON is who's --json output.
type whoJSON struct {
	// DB is the path as given.
	DB string `json:"db"`
	// StorageVersion is the file's storage format, read from its headers; nil when they could
	// not be read (StorageVersionError says why).
	StorageVersion      *release.StorageVersion `json:"storage_version"`
	StorageVersionError string                  `json:"storage_version_error,omitempty"`
	// Holders lists every lock on DB and DB.wal.
	Holders []holders.Holder `json:"holders"`
}

// whoOptions are who's inputs: what its flags say, or what a test fills in.
type whoOptions struct {
	IO   streams
	DB   string
	JSON bool
}

// newWhoCmd parses who's flags into options and hands them to runF.
func newWhoCmd(a *app, runF func(context.Context, *whoOptions) error) *cobra.Command {
	o := &whoOptions{IO: a.streams()}
	c := &cobra.Command{
		Use:   "who DB",
		Short: "List the processes holding locks on a DuckDB file and its .wal",
		Long: `who reads /proc/locks and lists every process holding a lock on DB or DB.wal, with PID,
read or write, executable and command line: the PID DuckDB names in "Conflicting lock is held
in ... (PID n)", and every other reader DuckDB does not name.

Inside a container or another PID namespace, /proc/locks hides locks whose owner is not visible
there, and DuckDB then names "PID 0". who also asks the kernel with fcntl(F_GETLK), as DuckDB
does (it takes no lock), and lists such a lock as held by a process outside this PID namespace,
with the file's device and inode: run who on the host or in the holder's container to name it.
who says nobody holds a lock only when no lock on either file exists at all. It also prints the
file's storage version, read from its headers (no DuckDB, no lock), and which DuckDB releases
can open it: a DuckDB 1.x process cannot open a file in 2.0's format, read-only or not.

who opens DB to probe it: run it as its own process, never from a program that has DB open.
A path that cannot be a DuckDB database (a directory, a pipe, a file without DuckDB's header) is
bad input: exit 2.
The exit code is 0, or 3 when nothing is listed but F_GETLK could not check the file.`,
		Example: `  lockbench who simulation.duckdb
  lockbench who --json simulation.duckdb`,
		Args: positional(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			o.DB = args[0]
			return runF(c.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.JSON, "json", false, "print the storage version and the holders as JSON (a lock held outside this PID namespace has \"OutsideNamespace\": true and PID 0)")
	return c
}

// runWho is `lockbench who`: it lists the holders of o.DB and its .wal, and the file's storage
// version.
func runWho(_ context.Context, o *whoOptions) error {
	db := o.DB
	if err := checkWhoPath(db); err != nil {
		return err
	}
	hs, err := holders.Inspect(db)
	var perr *holders.ProbeError
	if err != nil && !errors.As(err, &perr) {
		return err
	}
	// who holds no DuckDB handle, so a plain read of the headers is safe.
	sv, svErr := release.ReadStorageVersion(db)
	if o.JSON {
		out := whoJSON{DB: db, Holders: hs}
		if out.Holders == nil {
			out.Holders = []holders.Holder{}
		}
		if svErr == nil {
			out.StorageVersion = &sv
		} else {
			out.StorageVersionError = svErr.Error()
		}
		if err := writeJSON(o.IO.Out, out); err != nil {
			return err
		}
	} else {
		holders.Write(o.IO.Out, db, hs, err)
		if svErr == nil {
			fmt.Fprintf(o.IO.Out, "storage version %s\n", sv)
		}
	}
	if err == nil {
		return nil
	}
	if len(hs) == 0 {
		// Not even F_GETLK could say whether a lock exists: undecided.
		return exitcode.WithHint(exitcode.WithCode(err, exitcode.Unknown), "a holder outside this PID namespace would not show in /proc/locks: run `lockbench who` on the host to be sure")
	}
	fmt.Fprintf(o.IO.Err, "lockbench: %v; holders outside this PID namespace may be missing\n", err)
	return nil
}
