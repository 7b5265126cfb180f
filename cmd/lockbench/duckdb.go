package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
	"github.com/spf13/cobra"

	"lockbench/buildinfo"
	"lockbench/release"
)

func init() {
	register(func(a *app) *cobra.Command { return newDuckDBCmd(a, runDuckDBList, runDuckDBBuild) })
}

// duckdbOptions are the options of `lockbench duckdb list|build`: what their flags and
// arguments say, or what a test fills in.
type duckdbOptions struct {
	IO streams
	// JSON prints the list as JSON.
	JSON bool
	// Binaries are the --duckdb-binary overrides, RELEASE=PATH.
	Binaries []string
	// Releases are the releases to build (duckdb build).
	Releases []string
}

// newDuckDBCmd parses the flags of `duckdb list` and `duckdb build` into options and hands
// them to list or build.
func newDuckDBCmd(a *app, list, build func(context.Context, *duckdbOptions) error) *cobra.Command {
	o := &duckdbOptions{IO: a.streams()}
	c := &cobra.Command{
		Use:   "duckdb",
		Short: "List the DuckDB releases lockbench can run, and build their binaries",
		Long: `lockbench links one DuckDB release and can run others: a cell of a scenario (duckdb: [1.5.6,
2.0.0]), a competitor ({kind: reader-process, duckdb: 1.5.6}) or a repro case (repro --duckdb
1.5.6,2.0.0) then runs a lockbench binary that links that release. lockbench builds such a
binary from its own source tree with an alternate module file that requires the release's
duckdb-go driver (nothing in the tree changes), once per source version, in its cache
($LOCKBENCH_CACHE, else ~/.cache/lockbench); or it uses one you name with --duckdb-binary
RELEASE=PATH.`,
		Args: positional(cobra.NoArgs),
		RunE: func(c *cobra.Command, args []string) error { return c.Help() },
	}
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "Show the known releases, their drivers, the storage versions they read, and which binaries are ready",
		Example: `  lockbench duckdb list
  lockbench duckdb list --json`,
		Args: positional(cobra.NoArgs),
		RunE: func(c *cobra.Command, args []string) error { return list(c.Context(), o) },
	}
	listCmd.Flags().BoolVar(&o.JSON, "json", false, "print the list as JSON")
	buildCmd := &cobra.Command{
		Use:   "build [RELEASE...]",
		Short: "Build (or find in the cache) the lockbench binary of each release; all known releases by default",
		Example: `  lockbench duckdb build 1.5.6
  lockbench duckdb build          # every release lockbench knows`,
		RunE: func(c *cobra.Command, args []string) error {
			o.Releases = args
			return build(c.Context(), o)
		},
	}
	for _, sub := range []*cobra.Command{listCmd, buildCmd} {
		sub.Flags().StringArrayVar(&o.Binaries, "duckdb-binary", nil, "use this lockbench binary for a release: RELEASE=PATH (repeatable)")
		c.AddCommand(sub)
	}
	return c
}

// runDuckDBList is `lockbench duckdb list`: the releases and the state of their binaries.
func runDuckDBList(_ context.Context, o *duckdbOptions) error {
	b, err := newBinaries(o.IO.Err, o.Binaries)
	if err != nil {
		return err
	}
	w := o.IO.Out
	st := b.Status()
	if o.JSON {
		return writeJSON(w, st)
	}
	t := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithHeaderAlignment(tw.AlignLeft))
	t.Header("release", "duckdb-go", "reads storage", "supported", "binary")
	for _, s := range st {
		bin := s.How
		if s.Path != "" {
			bin += ": " + s.Path
		}
		if err := t.Append(s.Release.Name, s.Release.Driver, fmt.Sprintf("%d-%d", release.MinStorage, s.Release.MaxStorage), s.Release.Supported, bin); err != nil {
			return err
		}
	}
	return t.Render()
}

// runDuckDBBuild is `lockbench duckdb build`: it makes sure a binary of each release is
// ready, and prints its path. Unknown releases and binaries that cannot be had are bad input
// (release decides: UnknownError, BuildError).
func runDuckDBBuild(ctx context.Context, o *duckdbOptions) error {
	b, err := newBinaries(o.IO.Err, o.Binaries)
	if err != nil {
		return err
	}
	w := o.IO.Out
	names := o.Releases
	if len(names) == 0 {
		names = release.Names()
	}
	var rels []release.Release
	for _, n := range names {
		r, err := release.Lookup(n)
		if err != nil {
			return err
		}
		if err := b.Check(r); err != nil {
			return err
		}
		rels = append(rels, r)
	}
	for _, r := range rels {
		p, err := b.Path(ctx, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\t%s\n", r.Name, p)
	}
	return nil
}

// newBinaries returns the release binaries of this lockbench: itself for the release it links,
// the overrides (RELEASE=PATH, made absolute), and builds from its source tree for the others,
// with build progress on progress.
func newBinaries(progress io.Writer, overrides []string) (*release.Binaries, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find own executable: %w", err)
	}
	linked, _ := buildinfo.Release()
	b := &release.Binaries{Source: buildinfo.SourceDir(), Linked: linked, Self: self, Progress: progress, Override: map[string]string{}}
	for _, ov := range overrides {
		name, path, ok := strings.Cut(ov, "=")
		if !ok || path == "" {
			return nil, usageErr("--duckdb-binary %q: write RELEASE=PATH, e.g. --duckdb-binary 1.5.6=/opt/lockbench-1.5.6", ov)
		}
		r, err := release.Lookup(name)
		if err != nil {
			return nil, fmt.Errorf("--duckdb-binary %q: %w", ov, err)
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		b.Override[r.Name] = abs
		if err := b.Check(r); err != nil {
			return nil, err
		}
	}
	return b, nil
}
