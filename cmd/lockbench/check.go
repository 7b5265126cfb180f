package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"lockbench/buildinfo"
	"lockbench/harness"
	"lockbench/scenarios"
	"lockbench/vocab"
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

func runCheck(a *app, f *checkFlags) error {
	for _, r := range []struct {
		flag      string
		v, lo, hi int
	}{
		{"threads", f.threads, 1, vocab.MaxThreads},
		{"trials", f.trials, 1, maxTrials},
		{"employees", f.employees, vocab.MinEmployees, vocab.MaxEmployees},
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
	src, err := scenarios.Check(scenarios.CheckOptions{ForceSequential: f.forceSequential, NoCompare: f.noCompare,
		Threads: f.threads, Trials: f.trials, Employees: f.employees, Years: f.years}).Marshal()
	if err != nil {
		return err
	}
	s, err := scenarios.Parse("check", src)
	if err != nil {
		return usage(err)
	}
	o := harness.Options{
		Scenario: s, ScenarioYAML: src, RunsDir: f.runsDir,
		Command: append([]string{"lockbench"}, os.Args[1:]...), Versions: buildinfo.Get(), Host: buildinfo.Host(),
	}
	setProvenance(&o, "", "")
	return executeAndReport(a, o, runOutput{quiet: f.quiet})
}
