package harness

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"lockbench/buildinfo"
	"lockbench/internal/exitcode"
	"lockbench/release"
	"lockbench/scenarios"
	"lockbench/vocab"
)

// releaseBinary is a lockbench binary of one DuckDB release, checked before the run.
type releaseBinary struct {
	// Path is the binary.
	Path string
	// DuckDB and Driver are what the binary says it links (`lockbench version`): the DuckDB
	// release without the leading v, and the duckdb-go version.
	DuckDB, Driver string
}

// runReleases are the DuckDB releases a run's cells and competitors name, each with its
// binary. A cell that names no release runs the release this process links, from the
// runner's trial command, as before releases existed.
type runReleases struct {
	// linked is the release this process links ("2.0.0").
	linked string
	// bins holds the binary of every release a selected cell or competitor names.
	bins map[string]releaseBinary
}

// cellRelease returns the release a cell runs: its duckdb value, or the linked one.
func (rr *runReleases) cellRelease(c scenarios.Cell) string {
	if c.DuckDB == "" || c.DuckDB == vocab.DefaultValue {
		return rr.linked
	}
	return c.DuckDB
}

// namedReleases returns the releases the cells name (as a cell's duckdb or a competitor's),
// in release order.
func namedReleases(cells []scenarios.Cell) []string {
	seen := map[string]bool{}
	for _, c := range cells {
		if c.DuckDB != "" && c.DuckDB != vocab.DefaultValue {
			seen[c.DuckDB] = true
		}
		if c.Competitor.DuckDB != "" {
			seen[c.Competitor.DuckDB] = true
		}
	}
	return inReleaseOrder(seen)
}

// inReleaseOrder returns the names of set, oldest release first (unknown names last, sorted).
func inReleaseOrder(set map[string]bool) []string {
	var out []string
	for _, n := range release.Names() {
		if set[n] {
			out = append(out, n)
		}
	}
	var rest []string
	for n := range set {
		if !slices.Contains(out, n) {
			rest = append(rest, n)
		}
	}
	slices.Sort(rest)
	return append(out, rest...)
}

// resolveReleases makes sure that a binary of every release the cells name is ready before
// any trial runs: it first checks every release (an override must be an executable; a build
// needs the source tree and the Go toolchain), so that a problem with the last one is known
// before the first is built; then it builds what is missing (with progress lines from bins),
// and asks each binary which DuckDB it links. Every problem is bad input (exit 2) that says
// how to fix it. scenarioBins are the scenario file's duckdb-binaries, used for the releases
// bins has no override for (relative paths from the working directory).
func resolveReleases(ctx context.Context, bins *release.Binaries, scenarioBins map[string]string, cells []scenarios.Cell) (*runReleases, error) {
	linked, _ := buildinfo.DuckDB()
	rr := &runReleases{linked: linked, bins: map[string]releaseBinary{}}
	names := namedReleases(cells)
	if len(names) == 0 {
		return rr, nil
	}
	if bins == nil {
		return nil, exitcode.Usagef("the scenario names DuckDB releases (%s), but this runner was given no way to get lockbench binaries of them", strings.Join(names, ", "))
	}
	if bins.Override == nil {
		bins.Override = map[string]string{}
	}
	for name, path := range scenarioBins {
		if bins.Override[name] != "" {
			continue // --duckdb-binary wins
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, exitcode.Usagef("duckdb-binaries %s: %w", name, err)
		}
		if st, err := os.Stat(abs); err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
			return nil, exitcode.Usagef("the scenario's duckdb-binaries names %s for DuckDB %s, which is not an executable file; fix the path (a relative one is taken from %s), build one with `lockbench duckdb build %s`, or drop the entry to let lockbench build it", path, name, cwd(), name)
		}
		bins.Override[name] = abs
	}
	rels := make([]release.Release, len(names))
	for i, n := range names {
		r, err := release.Lookup(n)
		if err != nil {
			return nil, err
		}
		if err := bins.Check(r); err != nil {
			return nil, err
		}
		rels[i] = r
	}
	for _, r := range rels {
		path, err := bins.Path(ctx, r)
		if err != nil {
			return nil, err
		}
		b, err := probeBinary(ctx, path)
		if err != nil {
			return nil, exitcode.Usagef("the lockbench binary for DuckDB %s (%s) does not work: %w; name a working one with --duckdb-binary %s=PATH", r.Name, path, err, r.Name)
		}
		if b.DuckDB != r.Name {
			return nil, exitcode.Usagef("the lockbench binary for DuckDB %s (%s) links DuckDB %s; name one that links %s with --duckdb-binary %s=PATH (`lockbench duckdb build %s` makes one)", r.Name, path, b.DuckDB, r.Name, r.Name, r.Name)
		}
		rr.bins[r.Name] = b
	}
	return rr, nil
}

// probeBinary runs `path version` and reads the DuckDB and driver versions it prints.
func probeBinary(ctx context.Context, path string) (releaseBinary, error) {
	cmd := exec.CommandContext(ctx, path, "version")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return releaseBinary{}, fmt.Errorf("`%s version`: %w: %s", filepath.Base(path), err, strings.TrimSpace(lastLines(stderr.String(), 3)))
	}
	b := releaseBinary{Path: path}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "duckdb":
			b.DuckDB = strings.TrimPrefix(f[1], "v")
		case len(f) == 3 && f[0] == "driver":
			b.Driver = f[2]
		}
	}
	if b.DuckDB == "" {
		return releaseBinary{}, fmt.Errorf("`%s version` names no DuckDB version (is it lockbench?)", filepath.Base(path))
	}
	return b, nil
}

// trialCommand returns how to start the trial process of a cell: the runner's own trial
// command for a cell that names no release, else `BINARY trial` of the cell's release.
func (rr *runReleases) trialCommand(own TrialCommand, c scenarios.Cell) TrialCommand {
	b, ok := rr.bins[c.DuckDB]
	if !ok {
		return own
	}
	return TrialCommand{Path: b.Path, Args: []string{"trial"}}
}

// prepareSpec points the trial's competitor at the binary of the release it names, if any.
func (rr *runReleases) prepareSpec(spec *TrialSpec, c scenarios.Cell) {
	b, ok := rr.bins[c.Competitor.DuckDB]
	if !ok {
		return
	}
	spec.Competitor.Binary = b.Path
	spec.CompetitorDuckDB, spec.CompetitorDriver = b.DuckDB, b.Driver
}

// workloadRelease is what the runner knows of the release a cell's trial process runs, for a
// trial whose process reported nothing (a crash, a timeout).
func (rr *runReleases) workloadRelease(c scenarios.Cell) (duckdb, driver string) {
	if b, ok := rr.bins[c.DuckDB]; ok {
		return b.DuckDB, b.Driver
	}
	return buildinfo.DuckDB()
}

// manifestReleases returns the releases the cells' workloads and competitors run, in release
// order, or nil when every one runs the release this process links (history.Manifest.Releases).
func (rr *runReleases) manifestReleases(cells []scenarios.Cell) []string {
	used := map[string]bool{}
	for _, c := range cells {
		cell := rr.cellRelease(c)
		used[cell] = true
		if c.Competitor.DuckDB != "" {
			used[c.Competitor.DuckDB] = true
		}
	}
	if len(used) == 1 && used[rr.linked] {
		return nil
	}
	return inReleaseOrder(used)
}

// createEmptyWith creates an empty database at path with the lockbench binary bin (`bin
// trial create-empty`), so that the file is made by the DuckDB release bin links.
func createEmptyWith(ctx context.Context, bin, path, storage string) error {
	args := []string{"trial", "create-empty", path}
	if storage != "" {
		args = append(args, "--storage-version", storage)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(lastLines(string(out), 5)))
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%s %s made no file: %w", bin, strings.Join(args, " "), err)
	}
	return nil
}

// cwd is the working directory, for messages.
func cwd() string {
	if d, err := os.Getwd(); err == nil {
		return d
	}
	return "the working directory"
}
