package repro

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// Across is the catalog run on several DuckDB releases: each single-release case on every
// release, each upgrade case (which runs binaries of its own releases) once.
type Across struct {
	// Releases are the releases run, in the order given.
	Releases []string `json:"releases"`
	// ByRelease holds, per release, the results of the single-release cases.
	ByRelease map[string][]Result `json:"by_release"`
	// Upgrade holds the results of the upgrade cases.
	Upgrade []Result `json:"upgrade"`
}

// Runner runs the named single-release cases on one release and returns their results: in this
// process for the release it links, or in a lockbench binary of the release (ChildRunner).
type Runner func(ctx context.Context, release string, names []string) ([]Result, error)

// ChildRunner runs `BIN repro --json NAMES...` with the lockbench binary bin(release) and
// decodes its results: every process a case starts (holders, workers, `who`) is then that
// binary too, so the whole case runs the release.
func ChildRunner(bin func(ctx context.Context, release string) (string, error)) Runner {
	return func(ctx context.Context, release string, names []string) ([]Result, error) {
		path, err := bin(ctx, release)
		if err != nil {
			return nil, err
		}
		cmd := exec.CommandContext(ctx, path, append([]string{"repro", "--json"}, names...)...)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		var ee *exec.ExitError
		if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1) {
			return nil, fmt.Errorf("repro on DuckDB %s (%s): %w: %s", release, path, err, strings.TrimSpace(stderr.String()))
		}
		var doc struct {
			Results []struct {
				Result
				Timeline []jsonStep `json:"timeline"`
			} `json:"results"`
		}
		if err := json.Unmarshal(out, &doc); err != nil {
			return nil, fmt.Errorf("repro on DuckDB %s: reading its JSON: %w", release, err)
		}
		results := make([]Result, len(doc.Results))
		for i, r := range doc.Results {
			results[i] = r.Result
			for _, s := range r.Timeline {
				results[i].Timeline = append(results[i].Timeline, Step{At: time.Duration(s.AtMS * float64(time.Millisecond)), Text: s.Text})
			}
		}
		return results, nil
	}
}

// RunAcross runs the cases named (every case when names is empty) on each release: the
// single-release cases through run, the upgrade cases once in this process with env.
func RunAcross(ctx context.Context, names, releases []string, env Env, run Runner) (*Across, error) {
	cases, err := Select(names)
	if err != nil {
		return nil, err
	}
	var single, upgrade []string
	for _, c := range cases {
		if len(c.Releases) > 0 {
			upgrade = append(upgrade, c.Name)
		} else {
			single = append(single, c.Name)
		}
	}
	a := &Across{Releases: releases, ByRelease: map[string][]Result{}}
	if len(single) > 0 {
		for _, rel := range releases {
			res, err := run(ctx, rel, single)
			if err != nil {
				return a, err
			}
			a.ByRelease[rel] = res
		}
	}
	if len(upgrade) > 0 {
		a.Upgrade, err = Run(ctx, upgrade, env)
		if err != nil {
			return a, err
		}
	}
	return a, nil
}

// Counts returns the passed and failed cases over every release.
func (a *Across) Counts() (passed, failed int) {
	all := slices.Clone(a.Upgrade)
	for _, rel := range a.Releases {
		all = append(all, a.ByRelease[rel]...)
	}
	return Counts(all)
}

// Differs reports whether a case observed a different outcome (kind and sub-kind) on two of
// the releases it ran on.
func (a *Across) Differs(name string) bool {
	seen := ""
	for _, rel := range a.Releases {
		for _, r := range a.ByRelease[rel] {
			if r.Name != name || r.Verdict == Skip {
				continue
			}
			got := kindSub(r.Observed.Kind, r.Observed.Sub)
			if seen != "" && got != seen {
				return true
			}
			seen = got
		}
	}
	return false
}

// WriteAcross writes one table, case × release, each cell the verdict and the observed outcome,
// with a column that marks the cases whose behaviour differs between releases; then the upgrade
// cases (which span releases); then the details of every failure; then a closing count.
func WriteAcross(w io.Writer, a *Across) error {
	t := tablewriter.NewTable(w, tablewriter.WithHeaderAutoFormat(tw.Off), tablewriter.WithHeaderAlignment(tw.AlignLeft))
	header := []string{"case"}
	for _, rel := range a.Releases {
		header = append(header, "DuckDB "+rel)
	}
	header = append(header, "differs")
	t.Header(header)
	var order []string
	byName := map[string]map[string]Result{}
	for _, rel := range a.Releases {
		for _, r := range a.ByRelease[rel] {
			if byName[r.Name] == nil {
				byName[r.Name] = map[string]Result{}
				order = append(order, r.Name)
			}
			byName[r.Name][rel] = r
		}
	}
	for _, name := range order {
		row := []string{name}
		for _, rel := range a.Releases {
			r, ok := byName[name][rel]
			if !ok {
				row = append(row, "-")
				continue
			}
			row = append(row, cellText(r))
		}
		mark := ""
		if a.Differs(name) {
			mark = "yes"
		}
		if err := t.Append(append(row, mark)); err != nil {
			return err
		}
	}
	for _, r := range a.Upgrade {
		row := []string{r.Name}
		for range a.Releases {
			row = append(row, "")
		}
		row[1] = cellText(r) + " (" + strings.Join(r.Releases, " + ") + ")"
		if err := t.Append(append(row, "")); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	var failures []Result
	for _, rel := range a.Releases {
		for _, r := range a.ByRelease[rel] {
			if r.Verdict == Fail {
				r.Title = "DuckDB " + rel + ": " + r.Title
				failures = append(failures, r)
			}
		}
	}
	for _, r := range a.Upgrade {
		if r.Verdict == Fail {
			failures = append(failures, r)
		}
	}
	if len(failures) > 0 {
		fmt.Fprintln(w, "\nfailures:")
		if err := WriteText(w, failures); err != nil {
			return err
		}
	}
	passed, failed := a.Counts()
	_, err := fmt.Fprintf(w, "%d passed, %d failed across DuckDB %s\n", passed, failed, strings.Join(a.Releases, ", "))
	return err
}

// cellText is a case's verdict and observed outcome in a table cell.
func cellText(r Result) string {
	if r.Verdict == Skip {
		return "skip"
	}
	return r.Verdict + ": " + kindSub(r.Observed.Kind, r.Observed.Sub)
}
