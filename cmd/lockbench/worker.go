package main

import (
	"github.com/spf13/cobra"

	"lockbench/internal/exitcode"
	"lockbench/sim"
)

func init() { register(newWorkerCmd) }

func newWorkerCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:                "worker --spec JSON",
		Short:              "Run one model in this process (started by lockbench's process modes)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			if code := sim.WorkerMain(a.ctx, args, a.stdout); code != 0 {
				return withCode(exitcode.Code(code))
			}
			return nil
		},
	}
}
