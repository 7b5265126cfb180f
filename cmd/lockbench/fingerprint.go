package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"lockbench/release"
	"lockbench/sim"
)

func init() {
	register(func(a *app) *cobra.Command { return newFingerprintCmd(a, runFingerprint) })
}

// fingerprintJSON is fingerprint's --json output.
type fingerprintJSON struct {
	DB          string                 `json:"db"`
	Fingerprint string                 `json:"fingerprint"`
	Scope       string                 `json:"scope"`
	Tables      []sim.TableFingerprint `json:"tables"`
	// StorageVersion is the file's storage format, read from its headers before DuckDB opened
	// it.
	StorageVersion *release.StorageVersion `json:"storage_version,omitempty"`
}

// fingerprintOptions are fingerprint's inputs: what its flags say, or what a test fills in.
type fingerprintOptions struct {
	IO             streams
	DB             string
	JSON           bool
	All            bool
	KeepTimestamps bool
}

// newFingerprintCmd parses fingerprint's flags into options and hands them to runF.
func newFingerprintCmd(a *app, runF func(context.Context, *fingerprintOptions) error) *cobra.Command {
	o := &fingerprintOptions{IO: a.streams()}
	c := &cobra.Command{
		Use:   "fingerprint DB",
		Short: "Print an order-insensitive fingerprint of a DuckDB file's data",
		Long: `fingerprint opens DB read-only and digests its tables in SQL: per table the row count and the
sum (modulo 2^64) of a hash of every row, so row order does not matter but a duplicated, lost or
changed row does. Timestamp columns are left out (they differ from run to run) unless you pass
--keep-timestamps. Two runs of the same pipeline on the same inputs should print the same line.

On a file the simulation wrote, it covers the simulation's own tables (the fingerprint simulate
and bench record); on any other file, or with --all, every table in the file. It also prints the
file's storage version (read from its headers) and which DuckDB releases can open it.`,
		Example: `  lockbench fingerprint simulation.duckdb
  lockbench fingerprint --json runs/latest/trial-*/trial.duckdb
  lockbench fingerprint --all my_pipeline.duckdb`,
		Args: positional(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			o.DB = args[0]
			return runF(c.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.JSON, "json", false, "print the fingerprint and every table's digest as JSON")
	c.Flags().BoolVar(&o.All, "all", false, "cover every table, even in a file the simulation wrote")
	c.Flags().BoolVar(&o.KeepTimestamps, "keep-timestamps", false, "include timestamp columns")
	return c
}

// runFingerprint is `lockbench fingerprint`: it opens o.DB read-only and prints the digest of
// its tables.
func runFingerprint(ctx context.Context, o *fingerprintOptions) error {
	path := o.DB
	if st, err := os.Stat(path); err != nil {
		return usageErr("%s: %v; give the path of an existing DuckDB file", path, err)
	} else if st.IsDir() {
		return usageErr("%s is a directory; give the path of a DuckDB file", path)
	}
	// Read before DuckDB opens the file: this process holds nothing on it yet.
	var sv *release.StorageVersion
	if v, err := release.ReadStorageVersion(path); err == nil {
		sv = &v
	}
	db, err := sql.Open("duckdb", sim.DSN(path, 0, true))
	if err == nil {
		err = db.PingContext(ctx)
	}
	if err != nil {
		return failErr(explainRunError(err, path))
	}
	defer db.Close()
	tables, scope, err := sim.FingerprintScope(ctx, db, o.All)
	if err != nil {
		return err
	}
	fps, err := sim.FingerprintTables(ctx, db, tables, o.KeepTimestamps)
	if err != nil {
		return err
	}
	out := fingerprintJSON{DB: path, Fingerprint: sim.CombineFingerprints(fps), Scope: scope, Tables: fps, StorageVersion: sv}
	if o.JSON {
		return writeJSON(o.IO.Out, out)
	}
	for _, f := range fps {
		fmt.Fprintf(o.IO.Out, "%-32s %10d rows  %s\n", f.Table, f.Rows, f.Hash)
	}
	fmt.Fprintf(o.IO.Out, "fingerprint %s (%s, %d tables)\n", out.Fingerprint, scope, len(fps))
	if sv != nil {
		fmt.Fprintf(o.IO.Out, "storage version %s\n", sv)
	}
	return nil
}
