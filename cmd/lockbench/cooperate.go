package main

import (
	"github.com/spf13/cobra"

	"lockbench/harness/competitor"
)

func init() { register(newCooperateCmd) }

func newCooperateCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "cooperate --role viewer|writer --strategy S --every D DB",
		Short: "Be a cooperating viewer or second writer that follows a strategy (started by lockbench bench)",
		Long: `cooperate polls DB (a viewer: the newest simulation year and its headcount) or appends a row
to lockbench_coop_writes (a writer) every --every, opening and closing the file around every
attempt by the rules of --strategy, and prints one JSON line per attempt until SIGINT/SIGTERM.`,
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			o, err := competitor.ParseCoopArgs(args)
			if err != nil {
				return usageErr("%v", err)
			}
			o.Out = a.stdout
			if err := competitor.Cooperate(a.ctx, o); err != nil {
				return usageErr("%v", err)
			}
			return nil
		},
	}
}
