package main

import (
	"context"
	"encoding/json"

	"github.com/spf13/cobra"

	"lockbench/harness"
	"lockbench/release"
)

func init() {
	register(func(a *app) *cobra.Command { return newTrialCmd(a, runTrial) })
}

// trialOptions are trial's inputs: its arguments as bench gives them (--spec JSON).
type trialOptions struct {
	IO   streams
	Args []string
}

// newTrialCmd hands trial's arguments, unparsed, to runF; `trial create-empty` to
// runCreateEmpty.
func newTrialCmd(a *app, runF func(context.Context, *trialOptions) error) *cobra.Command {
	o := &trialOptions{IO: a.streams()}
	c := &cobra.Command{
		Use:                "trial --spec JSON",
		Short:              "Run one trial in this process (started by lockbench bench)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			o.Args = args
			return runF(c.Context(), o)
		},
	}
	var storage string
	create := &cobra.Command{
		Use:   "create-empty PATH [--storage-version V]",
		Short: "Create an empty database file with this binary's DuckDB (started by lockbench bench for a cell's release)",
		Args:  positional(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			return runCreateEmpty(args[0], storage)
		},
	}
	create.Flags().StringVar(&storage, "storage-version", "", "the storage_compatibility_version to create the file with, e.g. v1.5.0 (default: DuckDB's own)")
	c.AddCommand(create)
	return c
}

// runCreateEmpty is `lockbench trial create-empty`: the empty template of a run's cells, made
// by the DuckDB release of this binary.
func runCreateEmpty(path, storage string) error {
	if storage != "" {
		if _, _, err := release.ParseCompat(storage); err != nil {
			return usageErr("trial create-empty: --storage-version %q: %v", storage, err)
		}
	}
	return harness.CreateEmpty(path, storage)
}

// runTrial is `lockbench trial`: it runs the trial its spec describes and writes the result as
// JSON on IO.Out.
func runTrial(ctx context.Context, o *trialOptions) error {
	if len(o.Args) != 2 || o.Args[0] != "--spec" {
		return usageErr("trial is started by lockbench bench: lockbench trial --spec JSON")
	}
	var spec harness.TrialSpec
	if err := json.Unmarshal([]byte(o.Args[1]), &spec); err != nil {
		return usageErr("trial: bad spec: %v", err)
	}
	res := harness.RunTrial(ctx, spec, harness.Roles{})
	return json.NewEncoder(o.IO.Out).Encode(res)
}
