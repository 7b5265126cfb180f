package main

import (
	"github.com/spf13/cobra"

	"lockbench/harness/competitor"
	"lockbench/harness/outcome"
)

func init() { register(newHoldCmd) }

func newHoldCmd(a *app) *cobra.Command {
	var o competitor.HoldOptions
	c := &cobra.Command{
		Use:   "hold DB",
		Short: "Be a competing connection: hold a DuckDB file until stopped",
		Long: `hold opens DB (read-write, or read-only with --read-only), takes DuckDB's lock, prints one
line with its PID once the lock is held, and keeps it until SIGINT/SIGTERM or until --for ends.
With --write-every it also inserts a row into lockbench_holder_writes on that period.`,
		Example: `  lockbench hold simulation.duckdb &             # a writer holding the file
  lockbench hold --read-only --for 30s simulation.duckdb   # a viewer for 30 seconds`,
		Args: positional(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			o.DB = args[0]
			o.Ready = a.stdout
			if o.ReadOnly && o.WriteEvery > 0 {
				return usageErr("--write-every needs a read-write hold: drop --read-only or --write-every")
			}
			if err := competitor.Hold(a.ctx, o); err != nil {
				if outcome.IsLockConflict(err) {
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
	return c
}
