package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"lockbench/harness/holders"
)

func init() { register(newWhoCmd) }

func newWhoCmd(a *app) *cobra.Command {
	var jsonOut bool
	c := &cobra.Command{
		Use:   "who DB",
		Short: "List the processes holding locks on a DuckDB file and its .wal",
		Long: `who reads /proc/locks and lists every process holding a lock on DB or DB.wal, with PID, read
or write, executable and command line: the PID DuckDB names in "Conflicting lock is held in ...
(PID n)", and every other reader DuckDB does not name. It never opens the database with DuckDB
and takes no lock; it reads the file's first 12 bytes to check that it is a DuckDB database.`,
		Args: positional(cobra.ExactArgs(1)),
		RunE: func(c *cobra.Command, args []string) error {
			if err := checkWhoPath(args[0]); err != nil {
				return err
			}
			hs, err := holders.Lookup(args[0])
			if err != nil {
				return usageErr("%v", err)
			}
			if jsonOut {
				if hs == nil {
					hs = []holders.Holder{}
				}
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(hs)
			}
			if len(hs) == 0 {
				fmt.Fprintf(a.stdout, "nobody holds a lock on %s\n", args[0])
				return nil
			}
			for _, h := range hs {
				fmt.Fprintln(a.stdout, holders.Describe(h))
			}
			return nil
		},
	}
	c.Flags().BoolVar(&jsonOut, "json", false, "print the holders as JSON")
	return c
}
