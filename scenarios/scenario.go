package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lockbench/criteria"
	"lockbench/vocab"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Defaults of the scenario-wide settings.
const (
	DefaultTrials   = 10
	DefaultWarmup   = 1
	DefaultTimeout  = 10 * time.Minute
	DefaultRootSeed = 1
	// DefaultMatrix is the built-in matrix `lockbench bench` runs without -m.
	DefaultMatrix = "quick"
)

// Workload kinds (vocab.WorkloadSim and vocab.WorkloadExec, as plain strings).
const (
	WorkloadSim  = string(vocab.WorkloadSim)
	WorkloadExec = string(vocab.WorkloadExec)
)

// Workload is what a trial runs.
type Workload struct {
	// Kind is WorkloadSim or WorkloadExec.
	Kind string `json:"kind"`
	// Command is the command template of an exec workload (see Expand); empty for sim.
	Command string `json:"command,omitempty"`
}

// Sides returns the cells of each side of target t among cells.
func Sides(t criteria.Target, cells []Cell) (baseline, candidate []Cell) {
	for _, c := range cells {
		if c.Matches(t.Baseline) {
			baseline = append(baseline, c)
		}
		if c.Matches(t.Candidate) {
			candidate = append(candidate, c)
		}
	}
	return baseline, candidate
}

// Scenario is a parsed, validated and expanded scenario matrix.
type Scenario struct {
	// Name is the scenario's name (the file's base name when the file names none).
	Name string
	// Description says what the scenario is for.
	Description string
	// Source is where it came from: "builtin:NAME" or the file's path.
	Source string
	// Workload is what each trial runs.
	Workload Workload
	// RootSeed is the run's root seed, from which every cell's seed and the schedule derive.
	// It comes from the file's root-seed (default 1); callers may override it before Cells.
	RootSeed int64
	// Trials is the number of measured trials per cell of a fixed run, and the default of
	// MaxTrials; Warmup the unmeasured trials run first.
	Trials, Warmup int
	// MinTrials and MaxTrials bound the measured trials per cell of a sequential run (0: their
	// defaults, see criteria.Design); Fixed runs Trials per cell instead.
	MinTrials, MaxTrials int
	Fixed                bool
	// Timeout bounds one trial.
	Timeout time.Duration
	// Expectations are the expectation groups, in file order (the last matching group wins).
	Expectations []criteria.Expectation
	// Targets are the scenario's gates.
	Targets []criteria.Target
	// DuckDBBinaries maps a DuckDB release (a release.Known name) to a lockbench binary that
	// links it, as the file's duckdb-binaries names it (a relative path is taken from the
	// directory lockbench runs in); the runner uses it instead of building one, unless
	// --duckdb-binary names another.
	DuckDBBinaries map[string]string

	cells []icell
}

// Info describes a built-in matrix.
type Info struct {
	// Name is what -m takes.
	Name string `json:"name"`
	// Description says what the matrix is for.
	Description string `json:"description"`
	// Cells is the number of cells.
	Cells int `json:"cells"`
	// Trials is the number of measured trials per cell: the most a cell runs.
	Trials int `json:"trials"`
	// MinTrials is the fewest a cell runs: the first look of a sequential design, else Trials.
	MinTrials int `json:"min_trials"`
}

// Builtins lists the embedded matrices, sorted by name.
func Builtins() []Info {
	entries, err := fs.ReadDir(builtinFS, "builtin")
	if err != nil {
		return nil
	}
	var out []Info
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".yaml")
		s, err := loadBuiltin(name)
		if err != nil {
			continue // every built-in parses; a test guards this
		}
		d, err := s.Design()
		if err != nil {
			continue
		}
		out = append(out, Info{Name: s.Name, Description: s.Description, Cells: len(s.cells), Trials: d.MaxTrials(), MinTrials: d.MinTrials()})
	}
	return out
}

// BuiltinYAML returns the source of a built-in matrix, for `lockbench bench -m NAME --show`
// style listings and for users who want to copy one as a starting point.
func BuiltinYAML(name string) ([]byte, bool) {
	b, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	return b, err == nil
}

func loadBuiltin(name string) (*Scenario, error) {
	b, ok := BuiltinYAML(name)
	if !ok {
		return nil, &Error{File: name, Msg: fmt.Sprintf("no built-in matrix %q", name)}
	}
	return Parse("builtin:"+name, b)
}

// Load returns the built-in matrix called nameOrPath, or else parses the YAML file at that
// path. A built-in name wins over a file of the same name (write ./quick for the file). A name
// that is neither gives an *Error listing the built-ins.
func Load(nameOrPath string) (*Scenario, error) {
	if _, ok := BuiltinYAML(nameOrPath); ok && !strings.ContainsAny(nameOrPath, `/\.`) {
		return loadBuiltin(nameOrPath)
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		e := &Error{File: nameOrPath, Msg: fmt.Sprintf("cannot read scenario: %v", err), Err: err}
		if errors.Is(err, fs.ErrNotExist) && !strings.ContainsAny(nameOrPath, `/\`) && filepath.Ext(nameOrPath) == "" {
			e.Msg = fmt.Sprintf("no built-in matrix or file %q", nameOrPath)
			e.Allowed = builtinNames() + ", or a path to a YAML file"
		}
		return nil, e
	}
	return Parse(nameOrPath, data)
}

func builtinNames() string {
	var names []string
	entries, _ := fs.ReadDir(builtinFS, "builtin")
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	return strings.Join(names, ", ")
}
