package main

import (
	"context"
	"encoding/json"

	"github.com/spf13/cobra"

	"lockbench/harness"
)

func init() {
	register(func(a *app) *cobra.Command { return newTrialCmd(a, runTrial) })
}

// trialOptions are trial's inputs: its arguments as bench gives them (--spec JSON).
type trialOptions struct {
	IO   streams
	Args []string
}

// newTrialCmd hands trial's arguments, unparsed, to runF.
func newTrialCmd(a *app, runF func(context.Context, *trialOptions) error) *cobra.Command {
	o := &trialOptions{IO: a.streams()}
	return &cobra.Command{
		Use:                "trial --spec JSON",
		Short:              "Run one trial in this process (started by lockbench bench)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			o.Args = args
			return runF(c.Context(), o)
		},
	}
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
