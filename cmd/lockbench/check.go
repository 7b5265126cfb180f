package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"lockbench/buildinfo"
	"lockbench/harness"
	"lockbench/scenarios"
	"lockbench/vocab"
)

func init() {
	register(func(a *app) *cobra.Command { return newCheckCmd(a, runCheck) })
}

// checkOptions are check's inputs: what its flags say, or what a test fills in.
type checkOptions struct {
	IO              streams
	ForceSequential bool
	Threads         int
	NoCompare       bool
	Trials          int
	Employees       int
	Years           []int
	// Gate chooses a sequential run (the default) or a fixed one.
	Gate    gateFlags
	RunsDir string
	Quiet   bool
	// Command is the command line the run's manifest records.
	Command []string
}

// newCheckOptions returns check's defaults, the ones --help shows.
func newCheckOptions(io streams) *checkOptions {
	return &checkOptions{IO: io, Threads: 4, Trials: 10, Employees: 2000, Years: []int{2025, 2026, 2027}, RunsDir: "runs"}
}

// newCheckCmd parses check's flags into options and hands them to runF.
func newCheckCmd(a *app, runF func(context.Context, *checkOptions) error) *cobra.Command {
	o := newCheckOptions(a.streams())
	c := &cobra.Command{
		Use:   "check",
		Short: "The pre-merge gate: no lock errors, identical data across modes, the S031-04 target",
		Long: `check replaces the S031-04 test script. It runs the simulation (whose first steps are the
lock-prone set-up phase: clear, seed tables, staging) in sequential and threaded modes and
fails on any lock error or any data difference between the modes. It runs the negative
control: parallel processes on one file must reproduce "Conflicting lock is held", or the gate
could not detect the bug it guards against. Then it judges the target "threaded with coordination cuts overhead by at least 65% against
the legacy process-per-model baseline", and says unknown when the machine is too noisy to tell.
The run is sequential: it looks at the evidence after 3, 5 and 10 measured trials per cell
(--min-trials to --max-trials) and stops as soon as the target and every expectation are
decided; --fixed runs every timed cell's --trials and judges at the end.

The exit code is the verdict: 0 pass, 1 fail, 3 unknown. Trials are recorded in runs/ like
any bench run, so 'lockbench report runs/latest' shows them again.`,
		Example: `  lockbench check
  lockbench check --fixed
  lockbench check --force-sequential --years 2025-2029
  lockbench check --threads 8 --no-compare`,
		Args: positional(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			o.Command = a.commandLine()
			return runF(c.Context(), o)
		},
	}
	fl := c.Flags()
	fl.BoolVar(&o.ForceSequential, "force-sequential", false, "test the sequential mode only")
	fl.IntVar(&o.Threads, "threads", o.Threads, "connections of the threaded mode")
	fl.BoolVar(&o.NoCompare, "no-compare", false, "skip the timing comparison (one trial per mode)")
	fl.IntVar(&o.Trials, "trials", o.Trials, "measured trials per timed cell with --fixed (a fixed verdict needs at least 10); otherwise the default of --max-trials")
	o.Gate.register(fl)
	fl.IntVar(&o.Employees, "employees", o.Employees, "census size")
	fl.Var(newYearsValue(&o.Years), "years", yearsUsage)
	fl.StringVar(&o.RunsDir, "runs", o.RunsDir, "directory that holds run directories")
	fl.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress output")
	return c
}

// runCheck is `lockbench check`: it builds the gate's scenario from the options and runs it
// like bench, ending with its verdict.
func runCheck(ctx context.Context, o *checkOptions) error {
	for _, r := range []struct {
		flag      string
		v, lo, hi int
	}{
		{"threads", o.Threads, 1, vocab.MaxThreads},
		{"trials", o.Trials, 1, maxTrials},
		{"employees", o.Employees, vocab.MinEmployees, vocab.MaxEmployees},
	} {
		if err := checkRange(r.flag, r.v, r.lo, r.hi); err != nil {
			return err
		}
	}
	if err := checkYears(o.Years); err != nil {
		return err
	}
	if err := o.Gate.validate(); err != nil {
		return err
	}
	if o.NoCompare && o.Gate.set() {
		return usageErr("--no-compare runs one trial per mode: drop --min-trials, --max-trials and --fixed")
	}
	if !o.NoCompare {
		gs := scenarios.Scenario{Trials: o.Trials, MinTrials: o.Gate.MinTrials, MaxTrials: o.Gate.MaxTrials, Fixed: o.Gate.Fixed}
		if _, err := gs.Design(); err != nil {
			return usageErr("check: %v", err)
		}
	}
	if !o.NoCompare && o.Gate.Fixed && o.Trials < 10 {
		fmt.Fprintf(o.IO.Err, "lockbench: note: %d trials per side is below the verdict floor of 10; the target will be unknown\n", o.Trials)
	}
	src, err := scenarios.Check(scenarios.CheckOptions{ForceSequential: o.ForceSequential, NoCompare: o.NoCompare,
		Threads: o.Threads, Trials: o.Trials, MinTrials: o.Gate.MinTrials, MaxTrials: o.Gate.MaxTrials, Fixed: o.Gate.Fixed,
		Employees: o.Employees, Years: o.Years}).Marshal()
	if err != nil {
		return err
	}
	s, err := scenarios.Parse("check", src)
	if err != nil {
		return err
	}
	h := harness.Options{
		Scenario: s, ScenarioYAML: src, RunsDir: o.RunsDir,
		Command: o.Command, Versions: buildinfo.Get(), Host: buildinfo.Host(),
	}
	setProvenance(&h, "", "")
	return executeAndReport(ctx, o.IO, h, runOutput{quiet: o.Quiet})
}
