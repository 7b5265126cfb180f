package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"lockbench/harness"
	"lockbench/internal/buildinfo"
	"lockbench/scenarios"
)

func init() { register(newCheckCmd) }

type checkFlags struct {
	forceSequential bool
	threads         int
	noCompare       bool
	trials          int
	employees       int
	years           []int
	runsDir         string
	quiet           bool
}

func newCheckCmd(a *app) *cobra.Command {
	f := &checkFlags{}
	c := &cobra.Command{
		Use:   "check",
		Short: "The pre-merge gate: no lock errors, identical data across modes, the S031-04 target",
		Long: `check replaces the S031-04 test script. It runs the simulation (whose first steps are the
lock-prone set-up phase: clear, seed tables, staging) in sequential and threaded modes and
fails on any lock error or any data difference between the modes. It runs the negative
control: parallel processes on one file must reproduce "Conflicting lock is held", or the gate
could not detect the bug it guards against. Then it compares timings with enough trials for a
decided verdict on the target "threaded with coordination cuts overhead by at least 65% against
the legacy process-per-model baseline", and says unknown when the machine is too noisy.

The exit code is the verdict: 0 pass, 1 fail, 3 unknown. Trials are recorded in runs/ like
any bench run, so 'lockbench report runs/latest' shows them again.`,
		Example: `  lockbench check
  lockbench check --force-sequential
  lockbench check --threads 8 --no-compare`,
		Args: positional(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error { return runCheck(a, f) },
	}
	fl := c.Flags()
	fl.BoolVar(&f.forceSequential, "force-sequential", false, "test the sequential mode only")
	fl.IntVar(&f.threads, "threads", 4, "connections of the threaded mode")
	fl.BoolVar(&f.noCompare, "no-compare", false, "skip the timing comparison (one trial per mode)")
	fl.IntVar(&f.trials, "trials", 10, "measured trials per timed cell (the verdict needs at least 10)")
	fl.IntVar(&f.employees, "employees", 2000, "census size")
	fl.IntSliceVar(&f.years, "years", []int{2025, 2026, 2027}, "simulation years")
	fl.StringVar(&f.runsDir, "runs", "runs", "directory that holds run directories")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress output")
	return c
}

// checkScenario writes the gate as a scenario: the modes under test, the negative control and,
// unless --no-compare, the legacy baseline and the S031-04 target.
func checkScenario(f *checkFlags) string {
	years := make([]string, len(f.years))
	for i, y := range f.years {
		years[i] = fmt.Sprint(y)
	}
	trials, warmup := f.trials, 1
	if f.noCompare {
		trials, warmup = 1, 0
	}
	var b strings.Builder
	fmt.Fprintf(&b, `name: check
description: >-
  The pre-merge gate of the S031-04 locking fix: sequential and threaded runs without lock errors
  and with identical data, the negative control (parallel processes on one file must hit the
  lock), and the S031-04 overhead target against the legacy process-per-model baseline.
workload: sim
trials: %d
warmup: %d
timeout: 5m
defaults:
  employees: %d
  years: [%s]
  threads: %d
  coordination: on
matrix:
`, trials, warmup, f.employees, strings.Join(years, ", "), f.threads)
	timed := !f.forceSequential && !f.noCompare
	modes := []string{"sequential"}
	if !f.forceSequential {
		modes = append(modes, "threaded")
	}
	fmt.Fprintf(&b, "  mode: [%s]\n  lock-retry: [off]\ninclude:\n", strings.Join(modes, ", "))
	if timed {
		b.WriteString("  - {mode: process-per-model, coordination: off}\n")
	}
	b.WriteString(`  - {mode: parallel-processes, lock-retry: off}
expect:
  - cells: {mode: parallel-processes}
    outcome: lock-conflict
    note: the negative control; parallel processes on one file must reproduce "Conflicting lock is held"
`)
	if timed {
		b.WriteString(`targets:
  - name: S031-04
    metric: overhead
    baseline: {mode: process-per-model, coordination: off}
    candidate: {mode: threaded, coordination: on}
    reduction: 0.65
`)
	}
	return b.String()
}

func runCheck(a *app, f *checkFlags) error {
	for _, r := range []struct {
		flag      string
		v, lo, hi int
	}{
		{"threads", f.threads, 1, scenarios.MaxThreads},
		{"trials", f.trials, 1, maxTrials},
		{"employees", f.employees, scenarios.MinEmployees, scenarios.MaxEmployees},
	} {
		if err := checkRange(r.flag, r.v, r.lo, r.hi); err != nil {
			return err
		}
	}
	if err := checkYears(f.years); err != nil {
		return err
	}
	if !f.noCompare && f.trials < 10 {
		fmt.Fprintf(a.stderr, "lockbench: note: %d trials per side is below the verdict floor of 10; the target will be unknown\n", f.trials)
	}
	src := checkScenario(f)
	s, err := scenarios.Parse("check", []byte(src))
	if err != nil {
		return usage(err)
	}
	o := harness.Options{
		Scenario: s, ScenarioYAML: []byte(src), RunsDir: f.runsDir,
		Command: append([]string{"lockbench"}, os.Args[1:]...), Versions: buildinfo.Get(), Host: buildinfo.Host(),
	}
	setProvenance(&o, "", "")
	return executeAndReport(a, o, runOutput{quiet: f.quiet})
}
