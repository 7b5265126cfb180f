package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"lockbench/access"
	"lockbench/internal/fsutil"
	"lockbench/vocab"

	"github.com/spf13/cobra"

	"lockbench/harness"
	"lockbench/internal/exitcode"
	"lockbench/outcome"
	"lockbench/release"
	"lockbench/sim"
	"lockbench/trace"
)

func init() {
	register(func(a *app) *cobra.Command { return newSimulateCmd(a, runSimulate) })
}

// simulateOptions are simulate's inputs: what its flags say, or what a test fills in.
type simulateOptions struct {
	IO    streams
	Years []int
	// Threads is the number of connections (threaded) or concurrent workers.
	Threads         int
	ForceSequential bool
	// Mode is --mode; ModeSet says it was given (else a strategy may set the mode).
	Mode    string
	ModeSet bool
	// Coordination is --enable-coordination; CoordinationSet says it was given.
	Coordination     bool
	CoordinationSet  bool
	NoCoordination   bool
	AllOptimizations bool
	Employees        int
	Seed             int64
	DB               string
	StorageVersion   string
	Verbose          bool
	Trace            string
	JSON             bool
	LockRetry        bool
	DuckDBThreads    int
	Params           string
	Scenario         string
	Census           string
	Profile          string
	Strategy         string
}

// newSimulateOptions returns simulate's defaults, the ones --help shows.
func newSimulateOptions(io streams) *simulateOptions {
	return &simulateOptions{
		IO: io, Years: []int{2025, 2026, 2027}, Threads: 4, Mode: string(vocab.Threaded), Coordination: true,
		Employees: 5000, Seed: 42, DB: "simulation.duckdb", Scenario: sim.DefaultScenario, Strategy: string(vocab.NoStrategy),
	}
}

// newSimulateCmd parses simulate's flags into options and hands them to runF.
func newSimulateCmd(a *app, runF func(context.Context, *simulateOptions) error) *cobra.Command {
	o := newSimulateOptions(a.streams())
	c := &cobra.Command{
		Use:   "simulate",
		Short: "Run the multi-year workforce simulation once on a DuckDB file",
		Long: `simulate runs the workforce simulation on a DuckDB file and prints a per-year table and a
timing summary (wall, sql, and overhead by kind). It rebuilds only the tables it owns; other
tables in the file are never touched. Every year's data-quality checks must pass: a failed check
ends the run with exit code 1, naming the check, the year, and the observed and expected values.

Your own parameters and census:
  --params DIR     CSV files in DIR replace the embedded parameter tables of the same name
                   (seed_job_levels.csv, seed_comp_levers.csv, ...; same columns, any order).
  --scenario NAME  the parameter scenario whose levers (seed_comp_levers.scenario_id) outrank
                   the default ones, recorded as parameter_scenario_id on every event.
  --census FILE    a census in CSV (with a header line) or Parquet instead of the generated one,
                   with the columns of raw_census (other columns are ignored):
` + censusHelp() + `
                   Export one from a run with: COPY raw_census TO 'census.csv' (HEADER)
                   The census size is its number of distinct employee ids (--employees is
                   ignored). Staging keeps one record per employee id: ` + sim.DedupRule + `;
                   simulate says how many records it drops and which it keeps.`,
		Example: `  lockbench simulate --years 2025 2026 2027
  lockbench simulate --years 2025-2029 --force-sequential --verbose
  lockbench simulate --mode parallel-processes --threads 4 --lock-retry`,
		Args: positional(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error {
			o.ModeSet = c.Flags().Changed("mode")
			o.CoordinationSet = c.Flags().Changed("enable-coordination")
			return runF(c.Context(), o)
		},
	}
	fl := c.Flags()
	fl.Var(newYearsValue(&o.Years), "years", yearsUsage)
	fl.IntVar(&o.Threads, "threads", o.Threads, "connections (threaded) or concurrent workers (parallel-processes)")
	fl.BoolVar(&o.ForceSequential, "force-sequential", false, "same as --mode sequential")
	fl.StringVar(&o.Mode, "mode", o.Mode, vocab.Join(vocab.Modes))
	fl.BoolVar(&o.Coordination, "enable-coordination", o.Coordination, "build invariants once, hold one handle, validate year N only")
	fl.BoolVar(&o.NoCoordination, "no-coordination", false, "turn the coordination optimisations off (the legacy costs)")
	fl.IntVar(&o.Employees, "employees", o.Employees, "census size (of the generated census)")
	fl.Int64Var(&o.Seed, "seed", o.Seed, "seed of the census and of every draw")
	fl.StringVar(&o.DB, "db", o.DB, "database file, optionally with DuckDB options: 'sim.duckdb?storage_compatibility_version=v1.5.0'")
	fl.StringVar(&o.StorageVersion, "storage-version", "", "create the database in the format of this DuckDB version, e.g. v1.5.0 so that DuckDB 1.5 can open it (default: the linked DuckDB's own format)")
	fl.BoolVar(&o.Verbose, "verbose", false, "print a line per model with its time")
	fl.StringVar(&o.Trace, "trace", "", "write the spans as NDJSON to this file")
	fl.BoolVar(&o.JSON, "json", false, "print one JSON object instead of tables")
	fl.BoolVar(&o.LockRetry, "lock-retry", false, "retry opens that hit a lock conflict with bounded exponential backoff")
	fl.IntVar(&o.DuckDBThreads, "duckdb-threads", 0, "DuckDB's own thread count per instance (0: DuckDB's default)")
	fl.StringVar(&o.Params, "params", "", "directory of CSV files that replace the embedded parameter tables of the same name")
	fl.StringVar(&o.Scenario, "scenario", o.Scenario, "parameter scenario whose levers outrank the default ones")
	fl.StringVar(&o.Census, "census", "", "census file (CSV or Parquet) to use instead of the generated census")
	fl.BoolVar(&o.AllOptimizations, "enable-all-optimizations", false, "every optimisation the simulation has: coordination and the workload's DuckDB settings (--verbose lists them)")
	fl.StringVar(&o.Profile, "profile", "", "write DuckDB's JSON query profile of every model to DIR and print the slowest operators")
	fl.StringVar(&o.Strategy, "strategy", o.Strategy, "how to share the file with other users: "+strategyNames()+" (sets the mode)")
	return c
}

// strategyNames lists the strategies for --help.
func strategyNames() string {
	names := make([]string, len(vocab.Strategies))
	for i, s := range vocab.Strategies {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// censusHelp lists the census columns for --help.
func censusHelp() string {
	var b strings.Builder
	for _, c := range sim.CensusColumns {
		req := ""
		if c.Required {
			req = ", required"
		}
		fmt.Fprintf(&b, "                     %-20s %s%s\n", c.Name, c.Type, req)
	}
	return strings.TrimRight(b.String(), "\n")
}

// config turns the options into the run's configuration, refusing flags that contradict each
// other or lie outside their range. sim.Config.Validate checks the rest.
func (o *simulateOptions) config() (sim.Config, error) {
	mode := o.Mode
	if o.ForceSequential {
		if o.ModeSet && o.Mode != string(vocab.Sequential) {
			return sim.Config{}, usageErr("--force-sequential conflicts with --mode %s: use one of them", o.Mode)
		}
		mode = string(vocab.Sequential)
	}
	st, err := vocab.ParseStrategy(o.Strategy)
	if err != nil {
		return sim.Config{}, usageErr("--strategy: %v", err)
	}
	if st != vocab.NoStrategy && !o.ModeSet && !o.ForceSequential {
		mode = string(st.Mode())
	}
	m, err := vocab.ParseMode(mode)
	if err != nil {
		return sim.Config{}, usageErr("--mode: %v", err)
	}
	if o.NoCoordination && o.CoordinationSet && o.Coordination {
		return sim.Config{}, usageErr("--enable-coordination conflicts with --no-coordination: use one of them")
	}
	if o.AllOptimizations && (o.NoCoordination || (o.CoordinationSet && !o.Coordination)) {
		return sim.Config{}, usageErr("--enable-all-optimizations includes coordination: drop --no-coordination")
	}
	for _, r := range []struct {
		flag      string
		v, lo, hi int
	}{
		{"threads", o.Threads, 1, vocab.MaxThreads},
		{"employees", o.Employees, vocab.MinEmployees, vocab.MaxEmployees},
		{"duckdb-threads", o.DuckDBThreads, 0, vocab.MaxThreads},
	} {
		if err := checkRange(r.flag, r.v, r.lo, r.hi); err != nil {
			return sim.Config{}, err
		}
	}
	if err := checkYears(o.Years); err != nil {
		return sim.Config{}, err
	}
	path, opts, err := sim.ParseDB(o.DB)
	if err != nil {
		return sim.Config{}, usageErr("--db: %v", err)
	}
	if o.StorageVersion != "" {
		name, _, err := release.ParseCompat(o.StorageVersion)
		if err != nil {
			return sim.Config{}, usageErr("--storage-version: %v", err)
		}
		if v, ok := opts[sim.StorageOption]; ok && v != name {
			return sim.Config{}, usageErr("--storage-version %s conflicts with %s=%s in --db: give it once", o.StorageVersion, sim.StorageOption, v)
		}
		if opts == nil {
			opts = map[string]string{}
		}
		opts[sim.StorageOption] = name
	}
	if err := sim.ValidateOptions(opts); err != nil {
		return sim.Config{}, usageErr("--db: %v", err)
	}
	cfg := sim.Config{
		DBPath: path, Options: opts, Mode: m, Threads: o.Threads, Coordination: o.Coordination && !o.NoCoordination,
		Employees: o.Employees, Years: o.Years, Seed: o.Seed, DuckDBThreads: o.DuckDBThreads,
		ParamsDir: o.Params, Scenario: o.Scenario, CensusPath: o.Census, ProfileDir: o.Profile, Strategy: st,
	}
	if o.LockRetry {
		r := access.DefaultRetry
		cfg.LockRetry = &r
	}
	return cfg, nil
}

// simulateJSON is simulate's --json output.
type simulateJSON struct {
	Mode         string `json:"mode"`
	Threads      int    `json:"threads"`
	Coordination bool   `json:"coordination"`
	Years        []int  `json:"years"`
	// Employees is the census size: the employee ids of the census file, when there is one.
	Employees int    `json:"employees"`
	Seed      int64  `json:"seed"`
	DB        string `json:"db"`
	// Census describes the census file (its records, and the duplicated ids staging drops).
	Census         *sim.CensusInfo        `json:"census,omitempty"`
	Outcome        any                    `json:"outcome"`
	Error          string                 `json:"error"`
	WallS          float64                `json:"wall_s"`
	SQLS           float64                `json:"sql_s"`
	OverheadS      float64                `json:"overhead_s"`
	OverheadByKind map[trace.Kind]float64 `json:"overhead_by_kind"`
	Fingerprint    string                 `json:"fingerprint"`
	PerYear        []sim.YearStats        `json:"per_year"`
	Parallelism    trace.Parallelism      `json:"parallelism"`
	Settings       map[string]string      `json:"duckdb_settings"`
}

// runSimulate is `lockbench simulate`: it validates the configuration, runs it and prints the
// summary (or JSON), ending with exit code 1 when the run or its data checks failed.
func runSimulate(ctx context.Context, o *simulateOptions) error {
	cfg, err := o.config()
	if err != nil {
		return err
	}
	if err := checkDBPath(cfg.DBPath, true); err != nil {
		return err
	}
	if o.Verbose && !o.JSON {
		cfg.Log = o.IO.Err
	}
	valid, err := cfg.Validate()
	if err != nil {
		return err
	}
	cfg = valid.Config()
	if o.Verbose && !o.JSON {
		fmt.Fprintln(o.IO.Err, cfg.Optimisations())
	}
	if c := valid.Census(); c != nil && !o.JSON {
		writeCensusNote(o.IO.Err, c)
	}
	res, runErr := sim.Run(ctx, valid)
	if bp, ok := outcome.BadDatabasePath(runErr); ok {
		return bp
	}
	if res == nil {
		return fmt.Errorf("simulate: %w", runErr)
	}
	if o.Trace != "" {
		if err := writeTrace(o.Trace, res.Spans); err != nil {
			return err
		}
	}
	result := harness.ClassifyRun(runErr)
	if o.JSON {
		out := simulateJSON{
			Mode: string(cfg.Mode), Threads: cfg.Threads, Coordination: cfg.Coordination, Years: cfg.Years,
			Employees: res.Employees, Seed: cfg.Seed, DB: cfg.DBPath, Census: res.Census, Outcome: result,
			WallS: res.Summary.Wall, SQLS: res.Summary.SQL, OverheadS: res.Summary.Overhead,
			OverheadByKind: res.Summary.ByKind, Fingerprint: res.Fingerprint, PerYear: res.PerYear,
			Parallelism: res.Parallelism, Settings: sim.Settings,
		}
		if runErr != nil {
			out.Error = runErr.Error()
		}
		if err := writeJSON(o.IO.Out, out); err != nil {
			return err
		}
		if runErr != nil {
			return withCode(exitcode.Fail)
		}
		return nil
	}
	var dq *sim.DQError
	if errors.As(runErr, &dq) {
		return failErr(exitcode.WithHint(fmt.Errorf("the data is wrong: %w", dq), outcome.Advice(result, cfg.DBPath)))
	}
	if runErr != nil {
		return failErr(explainRunError(runErr, cfg.DBPath))
	}
	sim.WriteSummary(o.IO.Out, res)
	if cfg.ProfileDir != "" {
		return sim.WriteSlowestOperators(o.IO.Out, cfg.ProfileDir, 15)
	}
	return nil
}

// writeCensusNote tells the user, before the run, what a census file holds: its size, and
// which records staging drops because their employee id repeats.
func writeCensusNote(w io.Writer, c *sim.CensusInfo) {
	fmt.Fprintf(w, "census %s: %d records, %d employees\n", c.Path, c.Records, c.Employees)
	if c.DuplicateIDs == 0 {
		return
	}
	where := "line"
	if strings.HasSuffix(strings.ToLower(c.Path), ".parquet") {
		where = "row"
	}
	fmt.Fprintf(w, "  %s more than once: staging drops %s, keeping per id %s\n",
		plural(c.DuplicateIDs, "employee id appears", "employee ids appear"), plural(c.Dropped, "record", "records"), sim.DedupRule)
	for _, d := range c.Duplicates {
		dropped := make([]string, len(d.Dropped))
		for i, n := range d.Dropped {
			dropped[i] = strconv.Itoa(n)
		}
		tie := ""
		if d.Tie {
			tie = " (tied with another on hire_date and gross_compensation: staging may keep either)"
		}
		fmt.Fprintf(w, "    %s: keeps %s %d, drops %s %s%s\n", d.EmployeeID, where, d.Kept, where, strings.Join(dropped, ", "), tie)
	}
	if more := c.DuplicateIDs - len(c.Duplicates); more > 0 {
		fmt.Fprintf(w, "    and %s more\n", plural(more, "id", "ids"))
	}
	if c.Ties > 0 {
		fmt.Fprintf(w, "  %s tied on hire_date and gross_compensation: which record staging keeps is not defined; make them differ to decide\n",
			plural(c.Ties, "id has records", "ids have records"))
	}
}

// plural writes n with the singular or plural words.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func writeTrace(path string, spans []trace.Span) error {
	var b bytes.Buffer
	if err := trace.WriteNDJSON(&b, spans); err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(path, b.Bytes()); err != nil {
		return usageErr("--trace: %v", err)
	}
	return nil
}
