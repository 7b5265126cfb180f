package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"lockbench/harness/competitor"
	"lockbench/harness/repro"
	"lockbench/internal/exitcode"
	"lockbench/release"
)

func init() { register(newReproCmd) }

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

func newReproCmd(a *app) *cobra.Command {
	var (
		list, jsonOut bool
		binaries      []string
		releases      string
	)
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
			cases, err := repro.Select(args)
			if err != nil {
				return usage(err)
			}
			if list {
				if jsonOut {
					return writeJSON(a.stdout, cases)
				}
				return repro.WriteList(a.stdout, cases)
			}
			launcher, err := competitor.DefaultLauncher()
			if err != nil {
				return err
			}
			bins, err := newBinaries(a.stderr, binaries)
			if err != nil {
				return err
			}
			env := repro.Env{Launcher: launcher, Release: releaseFunc(bins)}
			if releases != "" {
				return runReproAcross(a, args, releases, env, bins, jsonOut)
			}
			results, runErr := repro.Run(a.ctx, args, env)
			if runErr != nil && results == nil {
				if errors.Is(runErr, repro.ErrUnknownCase) {
					return usageErr("%v", runErr)
				}
				return runErr
			}
			if jsonOut {
				err = repro.WriteJSON(a.stdout, results)
			} else {
				err = repro.WriteText(a.stdout, results)
			}
			if err != nil {
				return err
			}
			_, failed := repro.Counts(results)
			switch {
			case failed > 0:
				return withCode(exitcode.Fail)
			case runErr != nil:
				fmt.Fprintf(a.stderr, "lockbench: repro interrupted after %d of %d cases: %v\n", len(results), len(cases), runErr)
				return withCode(exitcode.Unknown)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&list, "list", false, "list the cases (name, title, reference) without running them")
	c.Flags().BoolVar(&jsonOut, "json", false, "print the results (or with --list the cases) as JSON")
	c.Flags().StringVar(&releases, "duckdb", "", "run every case on each of these DuckDB releases (comma-separated, e.g. 1.5.6,2.0.0) and print one table, case × release")
	c.Flags().StringArrayVar(&binaries, "duckdb-binary", nil, "use this lockbench binary for a DuckDB release in the upgrade cases: RELEASE=PATH (repeatable; default: built from source once)")
	return c
}

// runReproAcross runs the catalog on several releases (--duckdb) and prints one table.
func runReproAcross(a *app, names []string, list string, env repro.Env, bins *release.Binaries, jsonOut bool) error {
	var rels []string
	for _, n := range strings.Split(list, ",") {
		r, err := release.Lookup(n)
		if err != nil {
			return usage(fmt.Errorf("--duckdb: %w", err))
		}
		if err := bins.Check(r); err != nil {
			return usage(err)
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
	across, err := repro.RunAcross(a.ctx, names, rels, env, run)
	if err != nil {
		if errors.Is(err, repro.ErrUnknownCase) {
			return usage(err)
		}
		return err
	}
	if jsonOut {
		err = writeJSON(a.stdout, across)
	} else {
		err = repro.WriteAcross(a.stdout, across)
	}
	if err != nil {
		return err
	}
	if _, failed := across.Counts(); failed > 0 {
		return withCode(exitcode.Fail)
	}
	return nil
}
