package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"lockbench/buildinfo"
)

func init() { register(newVersionCmd) }

func newVersionCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print lockbench, Go, DuckDB and driver versions",
		Args:  positional(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			v := buildinfo.Get()
			fmt.Fprintf(a.stdout, "lockbench %s", v.Lockbench)
			if v.Commit != "" {
				fmt.Fprintf(a.stdout, " (%s)", v.Commit)
			}
			fmt.Fprintf(a.stdout, "\ngo        %s\nduckdb    %s\ndriver    github.com/duckdb/duckdb-go/v2 %s\n", v.Go, v.DuckDB, v.Driver)
			return nil
		},
	}
}
