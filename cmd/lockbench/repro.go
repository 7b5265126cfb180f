package main

import (
	"context"
	"fmt"
	"strings"

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
	// Releases, when set (--duckdb 1.5.6,2.0.0), runs every case on each release.
	Releases string
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
when interrupted.

With --duckdb 1.5.6,2.0.0 every case runs on each release (in a lockbench binary that links
it, built from this source once) and one table shows case × release, marking the cases whose
outcome differs; the upgrade-* cases, which run two releases side by side, run once.`,
		Example: `  lockbench repro --list
  lockbench repro
  lockbench repro rw-vs-rw killed-holder
  lockbench repro --json > repro.json
  lockbench repro --duckdb 1.5.6,2.0.0`,
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
	c.Flags().StringVar(&o.Releases, "duckdb", "", "run every case on each of these DuckDB releases (comma-separated, e.g. 1.5.6,2.0.0) and print one table, case × release")
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
	env := repro.Env{Launcher: launcher, Release: releaseFunc(bins)}
	if o.Releases != "" {
		return runReproAcross(ctx, o, env, bins)
	}
	results, runErr := repro.Run(ctx, o.Names, env)
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

// runReproAcross runs the catalog on several releases (--duckdb) and prints one table.
func runReproAcross(ctx context.Context, o *reproOptions, env repro.Env, bins *release.Binaries) error {
	var rels []string
	for _, n := range strings.Split(o.Releases, ",") {
		r, err := release.Lookup(n)
		if err != nil {
			return err
		}
		if err := bins.Check(r); err != nil {
			return err
		}
		rels = append(rels, r.Name)
	}
	linked := bins.Linked.Name
	child := repro.ChildRunner(releaseFunc(bins))
	run := func(ctx context.Context, rel string, names []string) ([]repro.Result, error) {
		if rel == linked {
			return repro.Run(ctx, names, env)
		}
		return child(ctx, rel, names)
	}
	across, err := repro.RunAcross(ctx, o.Names, rels, env, run)
	if err != nil {
		return err
	}
	if o.JSON {
		err = writeJSON(o.IO.Out, across)
	} else {
		err = repro.WriteAcross(o.IO.Out, across)
	}
	if err != nil {
		return err
	}
	if _, failed := across.Counts(); failed > 0 {
		return withCode(exitcode.Fail)
	}
	return nil
}
