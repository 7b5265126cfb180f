package main

import (
	"encoding/json"

	"github.com/spf13/cobra"

	"lockbench/harness"
)

func init() { register(newTrialCmd) }

func newTrialCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:                "trial --spec JSON",
		Short:              "Run one trial in this process (started by lockbench bench)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) != 2 || args[0] != "--spec" {
				return usageErr("trial is started by lockbench bench: lockbench trial --spec JSON")
			}
			var spec harness.TrialSpec
			if err := json.Unmarshal([]byte(args[1]), &spec); err != nil {
				return usageErr("trial: bad spec: %v", err)
			}
			res := harness.RunTrial(a.ctx, spec, harness.Roles{})
			return json.NewEncoder(a.stdout).Encode(res)
		},
	}
}
