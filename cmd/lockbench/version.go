package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"lockbench/buildinfo"
)

func init() {
	register(func(a *app) *cobra.Command { return newVersionCmd(a, runVersion) })
}

// versionOptions are version's inputs.
type versionOptions struct {
	IO streams
}

// newVersionCmd hands version's options to runF.
func newVersionCmd(a *app, runF func(context.Context, *versionOptions) error) *cobra.Command {
	o := &versionOptions{IO: a.streams()}
	return &cobra.Command{
		Use:   "version",
		Short: "Print lockbench, Go, DuckDB and driver versions",
		Args:  positional(cobra.NoArgs),
		RunE:  func(c *cobra.Command, _ []string) error { return runF(c.Context(), o) },
	}
}

// runVersion is `lockbench version`.
func runVersion(_ context.Context, o *versionOptions) error {
	v := buildinfo.Get()
	fmt.Fprintf(o.IO.Out, "lockbench %s", v.Lockbench)
	if v.Commit != "" {
		fmt.Fprintf(o.IO.Out, " (%s)", v.Commit)
	}
	fmt.Fprintf(o.IO.Out, "\ngo        %s\nduckdb    %s\ndriver    github.com/duckdb/duckdb-go/v2 %s\n", v.Go, v.DuckDB, v.Driver)
	return nil
}
