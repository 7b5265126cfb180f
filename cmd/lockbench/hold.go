package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"lockbench/harness/competitor"
	"lockbench/outcome"
	"lockbench/vocab"
)

func init() {
	register(func(a *app) *cobra.Command { return newHoldCmd(a, runHold) })
}

// minWriteEvery is the shortest --write-every period: shorter ones only measure how fast
// DuckDB commits.
const minWriteEvery = time.Millisecond

// holdOptions are hold's inputs: what its flags say, or what a test fills in. The hold itself
// is competitor.HoldOptions; its ready line goes to IO.Out.
type holdOptions struct {
	IO streams
	competitor.HoldOptions
	// ForSet and WriteEverySet say that --for and --write-every were given (a zero --for is
	// an error; no --for holds until stopped).
	ForSet, WriteEverySet bool
}

// newHoldCmd parses hold's flags into options and hands them to runF.
func newHoldCmd(a *app, runF func(context.Context, *holdOptions) error) *cobra.Command {
	o := &holdOptions{IO: a.streams()}
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
			o.ForSet = c.Flags().Changed("for")
			o.WriteEverySet = c.Flags().Changed("write-every")
			return runF(c.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.ReadOnly, "read-only", false, "hold the file read-only (a shared lock, like a viewer)")
	c.Flags().BoolVar(&o.Create, "create", false, "create the file first if it does not exist (read-only holds)")
	c.Flags().DurationVar(&o.For, "for", 0, "release the lock after this long (default: until stopped)")
	c.Flags().DurationVar(&o.WriteEvery, "write-every", 0, "insert a row this often, e.g. 100ms (read-write only)")
	c.Flags().IntVar(&o.Rows, "rows", 0, "insert this many rows, one commit each, before holding (read-write only)")
	return c
}

// runHold is `lockbench hold`: it checks the options and holds the file until ctx ends or the
// hold's time is up.
func runHold(ctx context.Context, o *holdOptions) error {
	if o.ReadOnly && o.WriteEvery > 0 {
		return usageErr("--write-every needs a read-write hold: drop --read-only or --write-every")
	}
	if o.ReadOnly && o.Rows > 0 {
		return usageErr("--rows needs a read-write hold: drop --read-only or --rows")
	}
	if o.Rows < 0 {
		return usageErr("--rows %d: give a number of rows ≥ 0", o.Rows)
	}
	if o.For < 0 || (o.ForSet && o.For == 0) {
		return usageErr("--for %s: give a positive duration such as 30s (without --for the hold lasts until stopped)", o.For)
	}
	if o.WriteEvery < 0 || (o.WriteEverySet || o.WriteEvery > 0) && o.WriteEvery < minWriteEvery {
		return usageErr("--write-every %s: give a period of at least %s, such as 100ms", o.WriteEvery, minWriteEvery)
	}
	if err := checkDBPath(o.DB, !o.ReadOnly || o.Create); err != nil {
		return err
	}
	h := o.HoldOptions
	h.Ready = o.IO.Out
	if err := competitor.Hold(ctx, h); err != nil {
		if bp, ok := outcome.BadDatabasePath(err); ok {
			return bp
		}
		if k := outcome.Classify(err).Kind; k == vocab.LockConflict || k == vocab.StorageFormat {
			return failErr(explainRunError(err, o.DB))
		}
		return failErr(err)
	}
	return nil
}
