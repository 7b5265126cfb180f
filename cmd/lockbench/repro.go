package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"lockbench/harness/competitor"
	"lockbench/harness/repro"
	"lockbench/internal/exitcode"
	"lockbench/release"
)

func init() {
	register(func(a *app) *cobra.Command { return newReproCmd(a, runRepro) })
}

// releaseFunc gives repro cases the lockbench binary of a release.
func releaseFunc(b *release.Binaries) func(context.Context, string) (string, error) {
	return func(ctx context.Context, name string) (string, error) {
		r, err := release.Lookup(name)
		if err != nil {
			return "", err
		}
		return b.Path(ctx, r)
	}
}

// reproOptions are repro's inputs: what its flags and arguments say, or what a test fills in.
type reproOptions struct {
	IO streams
	// Names are the cases to run (all when empty).
	Names []string
	List  bool
	JSON  bool
	// Binaries are the --duckdb-binary overrides, RELEASE=PATH.
	Binaries []string
}

// newReproCmd parses repro's flags into options and hands them to runF.
func newReproCmd(a *app, runF func(context.Context, *reproOptions) error) *cobra.Command {
	o := &reproOptions{IO: a.streams()}
	c := &cobra.Command{
		Use:   "repro [NAME...]",
		Short: "Reproduce DuckDB's lock and conflict behaviours and check each is exactly as expected",
		Long: `repro runs a catalog of reproductions of DuckDB lock and transaction-conflict behaviours,
in the style of PostgreSQL's isolation tester: each sets something up on a real DuckDB file
(competing processes, pinned connections with explicit BEGIN, the workload itself), observes
what DuckDB does, and compares it with what the case expects: the outcome, DuckDB's exact
message and specifics such as "the PID DuckDB names is the holder's, as /proc/locks says".

It covers cross-process locks (read-write against read-write, readers against a writer,
stopped and killed holders, a viewer, a dev-server reloader, a hard link, parallel pipelines
as in the S031-04 story), in-process conflicts (same-row updates and deletes, concurrent
CREATE, COMMIT after a conflict, connection-pool poisoning, CHECKPOINT refused), holders and
openers in different PID namespaces (containers sharing a volume), and one file under two paths
on several file systems.

Each case prints its reference, setup, expectation, the observed outcome with DuckDB's
message verbatim, a timeline and a verdict. Cases this machine cannot set up (PID namespaces
and mounts need root) are skipped with the reason and do not fail the run. The exit code is 0
when every case that ran behaves as expected, 1 when one does not, 2 for an unknown name, 3
when interrupted.`,
		Example: `  lockbench repro --list
  lockbench repro
  lockbench repro rw-vs-rw killed-holder
  lockbench repro --json > repro.json`,
		Args: positional(cobra.ArbitraryArgs),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			return repro.Names(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			o.Names = args
			return runF(c.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.List, "list", false, "list the cases (name, title, reference) without running them")
	c.Flags().BoolVar(&o.JSON, "json", false, "print the results (or with --list the cases) as JSON")
	c.Flags().StringArrayVar(&o.Binaries, "duckdb-binary", nil, "use this lockbench binary for a DuckDB release in the upgrade cases: RELEASE=PATH (repeatable; default: built from source once)")
	return c
}

// runRepro is `lockbench repro`: it lists or runs the cases and ends with exit code 1 when one
// did not behave as expected.
func runRepro(ctx context.Context, o *reproOptions) error {
	cases, err := repro.Select(o.Names)
	if err != nil {
		return err
	}
	if o.List {
		if o.JSON {
			return writeJSON(o.IO.Out, cases)
		}
		return repro.WriteList(o.IO.Out, cases)
	}
	launcher, err := competitor.DefaultLauncher()
	if err != nil {
		return err
	}
	bins, err := newBinaries(o.IO.Err, o.Binaries)
	if err != nil {
		return err
	}
	results, runErr := repro.Run(ctx, o.Names, repro.Env{Launcher: launcher, Release: releaseFunc(bins)})
	if runErr != nil && results == nil {
		return runErr
	}
	if o.JSON {
		err = repro.WriteJSON(o.IO.Out, results)
	} else {
		err = repro.WriteText(o.IO.Out, results)
	}
	if err != nil {
		return err
	}
	_, failed := repro.Counts(results)
	switch {
	case failed > 0:
		return withCode(exitcode.Fail)
	case runErr != nil:
		fmt.Fprintf(o.IO.Err, "lockbench: repro interrupted after %d of %d cases: %v\n", len(results), len(cases), runErr)
		return withCode(exitcode.Unknown)
	}
	return nil
}
