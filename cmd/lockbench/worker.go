package main

import (
	"context"

	"github.com/spf13/cobra"

	"lockbench/internal/exitcode"
	"lockbench/sim"
)

func init() {
	register(func(a *app) *cobra.Command { return newWorkerCmd(a, runWorker) })
}

// workerOptions are worker's inputs: its arguments as lockbench's process modes give them
// (--spec JSON).
type workerOptions struct {
	IO   streams
	Args []string
}

// newWorkerCmd hands worker's arguments, unparsed, to runF.
func newWorkerCmd(a *app, runF func(context.Context, *workerOptions) error) *cobra.Command {
	o := &workerOptions{IO: a.streams()}
	return &cobra.Command{
		Use:                "worker --spec JSON",
		Short:              "Run one model in this process (started by lockbench's process modes)",
		Hidden:             true,
		DisableFlagParsing: true,
		RunE: func(c *cobra.Command, args []string) error {
			o.Args = args
			return runF(c.Context(), o)
		},
	}
}

// runWorker is `lockbench worker`: one node of a plan, reported as JSON lines on IO.Out.
func runWorker(ctx context.Context, o *workerOptions) error {
	if code := sim.WorkerMain(ctx, o.Args, o.IO.Out); code != 0 {
		return withCode(exitcode.Code(code))
	}
	return nil
}
