package main

import (
	"time"

	"github.com/spf13/cobra"

	"lockbench/harness/competitor"
	"lockbench/outcome"
	"lockbench/vocab"
)

func init() { register(newHoldCmd) }

// minWriteEvery is the shortest --write-every period: shorter ones only measure how fast
// DuckDB commits.
const minWriteEvery = time.Millisecond

func newHoldCmd(a *app) *cobra.Command {
	var o competitor.HoldOptions
	c := &cobra.Command{
		Use:   "hold DB",
		Short: "Be a competing connection: hold a DuckDB file until stopped",
		Long: `hold opens DB (read-write, or read-only with --read-only), takes DuckDB's lock, prints one
line with its PID once the lock is held, and keeps it until SIGINT/SIGTERM or until --for ends.
With --write-every it also inserts a row into lockbench_holder_writes on that period; with --rows N
it inserts N rows (each its own commit) before it prints its line. A file this DuckDB cannot read
(a newer storage format) is bad input: exit 2, saying which releases can read it.`,
		Example: `  lockbench hold simulation.duckdb &             # a writer holding the file
  lockbench hold --read-only --for 30s simulation.duckdb   # a viewer for 30 seconds`,
		Args: positional(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			o.DB = args[0]
			o.Ready = a.stdout
			if o.ReadOnly && o.WriteEvery > 0 {
				return usageErr("--write-every needs a read-write hold: drop --read-only or --write-every")
			}
			if o.ReadOnly && o.Rows > 0 {
				return usageErr("--rows needs a read-write hold: drop --read-only or --rows")
			}
			if o.Rows < 0 {
				return usageErr("--rows %d: give a number of rows ≥ 0", o.Rows)
			}
			if c.Flags().Changed("for") && o.For <= 0 {
				return usageErr("--for %s: give a positive duration such as 30s (without --for the hold lasts until stopped)", o.For)
			}
			if c.Flags().Changed("write-every") && o.WriteEvery < minWriteEvery {
				return usageErr("--write-every %s: give a period of at least %s, such as 100ms", o.WriteEvery, minWriteEvery)
			}
			if err := checkDBPath(o.DB, !o.ReadOnly || o.Create); err != nil {
				return err
			}
			if err := competitor.Hold(a.ctx, o); err != nil {
				if bad := asBadPath(err); bad != nil {
					return bad
				}
				if k := outcome.Classify(err).Kind; k == vocab.LockConflict || k == vocab.StorageFormat {
					return failErr(explainRunError(err, o.DB))
				}
				return failErr(err)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&o.ReadOnly, "read-only", false, "hold the file read-only (a shared lock, like a viewer)")
	c.Flags().BoolVar(&o.Create, "create", false, "create the file first if it does not exist (read-only holds)")
	c.Flags().DurationVar(&o.For, "for", 0, "release the lock after this long (default: until stopped)")
	c.Flags().DurationVar(&o.WriteEvery, "write-every", 0, "insert a row this often, e.g. 100ms (read-write only)")
	c.Flags().IntVar(&o.Rows, "rows", 0, "insert this many rows, one commit each, before holding (read-write only)")
	return c
}
