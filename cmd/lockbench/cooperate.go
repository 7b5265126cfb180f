package main

import (
	"context"

	"github.com/spf13/cobra"

	"lockbench/harness/competitor"
)

func init() {
	register(func(a *app) *cobra.Command { return newCooperateCmd(a, runCooperate) })
}

// cooperateOptions are cooperate's inputs: its arguments as bench gives them
// (competitor.CoopArgs).
type cooperateOptions struct {
	IO   streams
	Args []string
}

// newCooperateCmd hands cooperate's arguments, unparsed, to runF.
func newCooperateCmd(a *app, runF func(context.Context, *cooperateOptions) error) *cobra.Command {
	o := &cooperateOptions{IO: a.streams()}
	return &cobra.Command{
		Use:   "cooperate --role viewer|writer --strategy S --every D DB",
		Short: "Be a cooperating viewer or second writer that follows a strategy (started by lockbench bench)",
		Long: `cooperate polls DB (a viewer: the newest simulation year and its headcount) or appends a row
to lockbench_coop_writes (a writer) every --every, opening and closing the file around every
attempt by the rules of --strategy, and prints one JSON line per attempt until SIGINT/SIGTERM.`,
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			o.Args = args
			return runF(c.Context(), o)
		},
	}
}

// runCooperate is `lockbench cooperate`: bad arguments exit 2 (competitor decides).
func runCooperate(ctx context.Context, o *cooperateOptions) error {
	co, err := competitor.ParseCoopArgs(o.Args)
	if err != nil {
		return err
	}
	co.Out = o.IO.Out
	return competitor.Cooperate(ctx, co)
}
