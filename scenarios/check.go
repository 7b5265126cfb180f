package scenarios

import (
	"fmt"

	"lockbench/vocab"

	"github.com/goccy/go-yaml"
)

// File is a scenario in the shape of its YAML file, for building one in code: Marshal writes the
// YAML that Parse reads back, so a built scenario goes through the same validation as a file
// and its source can be kept in the run directory (for --resume).
type File struct {
	Name        string           `yaml:"name"`
	Description string           `yaml:"description,omitempty"`
	Workload    string           `yaml:"workload,omitempty"`
	Trials      int              `yaml:"trials"`
	Warmup      int              `yaml:"warmup"`
	MinTrials   int              `yaml:"min-trials,omitempty"`
	MaxTrials   int              `yaml:"max-trials,omitempty"`
	Fixed       bool             `yaml:"fixed,omitempty"`
	Timeout     string           `yaml:"timeout,omitempty"`
	Defaults    map[string]any   `yaml:"defaults,omitempty"`
	Matrix      map[string][]any `yaml:"matrix,omitempty"`
	Include     []map[string]any `yaml:"include,omitempty"`
	Expect      []FileExpect     `yaml:"expect,omitempty"`
	Targets     []FileTarget     `yaml:"targets,omitempty"`
}

// FileExpect is one expectation group of a File.
type FileExpect struct {
	Cells   map[string]any `yaml:"cells"`
	Outcome string         `yaml:"outcome"`
	Note    string         `yaml:"note,omitempty"`
}

// FileTarget is one target of a File.
type FileTarget struct {
	Name      string         `yaml:"name"`
	Metric    string         `yaml:"metric"`
	Baseline  map[string]any `yaml:"baseline"`
	Candidate map[string]any `yaml:"candidate"`
	Reduction float64        `yaml:"reduction"`
}

// Marshal returns f as scenario YAML.
func (f File) Marshal() ([]byte, error) {
	b, err := yaml.MarshalWithOptions(f, yaml.Flow(false))
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", f.Name, err)
	}
	return b, nil
}

// CheckOptions are the settings of `lockbench check`.
type CheckOptions struct {
	ForceSequential bool // the sequential mode only (no threaded cell, no comparison)
	NoCompare       bool // one trial per mode, no timing comparison
	Threads         int
	Trials          int
	// MinTrials and MaxTrials bound a sequential run (0: the defaults); Fixed runs Trials per
	// timed cell instead.
	MinTrials, MaxTrials int
	Fixed                bool
	Employees            int
	Years                []int
}

// CheckTarget is the S031-04 target that check judges: threaded with coordination cuts overhead
// by at least 65% against the legacy process-per-model orchestration without it.
var CheckTarget = FileTarget{
	Name: "S031-04", Metric: string(vocab.Overhead), Reduction: 0.65,
	Baseline:  map[string]any{"mode": string(vocab.ProcessPerModel), "coordination": "off"},
	Candidate: map[string]any{"mode": string(vocab.Threaded), "coordination": "on"},
}

// Check is the pre-merge gate of the S031-04 locking fix as a scenario: sequential and threaded
// runs that must be ok with identical data, the negative control (parallel processes on one
// file must reproduce "Conflicting lock is held"), and, unless NoCompare or ForceSequential, the
// legacy baseline and the S031-04 target.
func Check(o CheckOptions) File {
	timed := !o.ForceSequential && !o.NoCompare
	trials, warmup := o.Trials, 1
	lo, hi, fixed := o.MinTrials, o.MaxTrials, o.Fixed
	if o.NoCompare {
		trials, warmup = 1, 0
		lo, hi, fixed = 0, 0, true
	}
	years := make([]any, len(o.Years))
	for i, y := range o.Years {
		years[i] = y
	}
	modes := []any{string(vocab.Sequential)}
	if !o.ForceSequential {
		modes = append(modes, string(vocab.Threaded))
	}
	f := File{
		Name: "check",
		Description: "The pre-merge gate of the S031-04 locking fix: sequential and threaded runs without lock errors " +
			"and with identical data, the negative control (parallel processes on one file must hit the lock), and the " +
			"S031-04 overhead target against the legacy process-per-model baseline.",
		Workload: WorkloadSim, Trials: trials, Warmup: warmup, Timeout: "5m",
		MinTrials: lo, MaxTrials: hi, Fixed: fixed,
		Defaults: map[string]any{"employees": o.Employees, "years": years, "threads": o.Threads, "coordination": "on"},
		Matrix:   map[string][]any{"mode": modes, "lock-retry": {"off"}},
		Expect: []FileExpect{{
			Cells: map[string]any{"mode": string(vocab.ParallelProcesses)}, Outcome: string(vocab.LockConflict),
			Note: `the negative control; parallel processes on one file must reproduce "Conflicting lock is held"`,
		}},
	}
	if timed {
		f.Include = append(f.Include, map[string]any{"mode": string(vocab.ProcessPerModel), "coordination": "off"})
	}
	f.Include = append(f.Include, map[string]any{"mode": string(vocab.ParallelProcesses), "lock-retry": "off"})
	if timed {
		f.Targets = []FileTarget{CheckTarget}
	}
	return f
}
