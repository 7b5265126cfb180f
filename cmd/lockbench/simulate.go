package main

import (
	"bytes"
	"errors"
	"fmt"
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

func init() { register(newSimulateCmd) }

type simulateFlags struct {
	years           []int
	threads         int
	forceSequential bool
	mode            string
	coordination    bool
	noCoordination  bool
	employees       int
	seed            int64
	db              string
	storageVersion  string
	verbose         bool
	traceFile       string
	jsonOut         bool
	lockRetry       bool
	duckdbThreads   int
	params          string
	scenario        string
	census          string
	profile         string
	allOpts         bool
	strategy        string
}

func newSimulateCmd(a *app) *cobra.Command {
	f := &simulateFlags{}
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
                   Export one from a run with: COPY raw_census TO 'census.csv' (HEADER)`,
		Example: `  lockbench simulate --years 2025 2026 2027
  lockbench simulate --force-sequential --verbose
  lockbench simulate --mode parallel-processes --threads 4 --lock-retry`,
		Args: positional(cobra.NoArgs),
		RunE: func(c *cobra.Command, _ []string) error { return runSimulate(a, c, f) },
	}
	fl := c.Flags()
	fl.IntSliceVar(&f.years, "years", []int{2025, 2026, 2027}, "simulation years, increasing (e.g. --years 2025 2026 2027 or --years 2025,2026)")
	fl.IntVar(&f.threads, "threads", 4, "connections (threaded) or concurrent workers (parallel-processes)")
	fl.BoolVar(&f.forceSequential, "force-sequential", false, "same as --mode sequential")
	fl.StringVar(&f.mode, "mode", string(vocab.Threaded), vocab.Join(vocab.Modes))
	fl.BoolVar(&f.coordination, "enable-coordination", true, "build invariants once, hold one handle, validate year N only")
	fl.BoolVar(&f.noCoordination, "no-coordination", false, "turn the coordination optimisations off (the legacy costs)")
	fl.IntVar(&f.employees, "employees", 5000, "census size")
	fl.Int64Var(&f.seed, "seed", 42, "seed of the census and of every draw")
	fl.StringVar(&f.db, "db", "simulation.duckdb", "database file, optionally with DuckDB options: 'sim.duckdb?storage_compatibility_version=v1.5.0'")
	fl.StringVar(&f.storageVersion, "storage-version", "", "create the database in the format of this DuckDB version, e.g. v1.5.0 so that DuckDB 1.5 can open it (default: the linked DuckDB's own format)")
	fl.BoolVar(&f.verbose, "verbose", false, "print a line per model with its time")
	fl.StringVar(&f.traceFile, "trace", "", "write the spans as NDJSON to this file")
	fl.BoolVar(&f.jsonOut, "json", false, "print one JSON object instead of tables")
	fl.BoolVar(&f.lockRetry, "lock-retry", false, "retry opens that hit a lock conflict with bounded exponential backoff")
	fl.IntVar(&f.duckdbThreads, "duckdb-threads", 0, "DuckDB's own thread count per instance (0: DuckDB's default)")
	fl.StringVar(&f.params, "params", "", "directory of CSV files that replace the embedded parameter tables of the same name")
	fl.StringVar(&f.scenario, "scenario", sim.DefaultScenario, "parameter scenario whose levers outrank the default ones")
	fl.StringVar(&f.census, "census", "", "census file (CSV or Parquet) to use instead of the generated census")
	fl.BoolVar(&f.allOpts, "enable-all-optimizations", false, "every optimisation the simulation has: coordination and the workload's DuckDB settings (--verbose lists them)")
	fl.StringVar(&f.profile, "profile", "", "write DuckDB's JSON query profile of every model to DIR and print the slowest operators")
	fl.StringVar(&f.strategy, "strategy", string(vocab.NoStrategy), "how to share the file with other users: "+strategyNames()+" (sets the mode)")
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

// trailingYears lets --years take several values separated by spaces, as the tool it replaces
// did (--years 2025 2026 2027): the extra positional numbers are appended to --years.
func trailingYears(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		if args[i] == "--" {
			// What follows is another program's command line (watch --db F -- CMD): as given.
			return append(out, args[i:]...)
		}
		out = append(out, args[i])
		if args[i] == "--years" {
			j := i + 1
			var vals []string
			for ; j < len(args) && isYear(args[j]); j++ {
				vals = append(vals, args[j])
			}
			if len(vals) > 1 {
				out = append(out, strings.Join(vals, ","))
				i = j - 1
			}
		}
	}
	return out
}

func isYear(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (f *simulateFlags) config(c *cobra.Command) (sim.Config, error) {
	mode := f.mode
	if f.forceSequential {
		if c.Flags().Changed("mode") && f.mode != string(vocab.Sequential) {
			return sim.Config{}, usageErr("--force-sequential conflicts with --mode %s: use one of them", f.mode)
		}
		mode = string(vocab.Sequential)
	}
	st, err := vocab.ParseStrategy(f.strategy)
	if err != nil {
		return sim.Config{}, usageErr("--strategy: %v", err)
	}
	if st != vocab.NoStrategy && !c.Flags().Changed("mode") && !f.forceSequential {
		mode = string(st.Mode())
	}
	m, err := vocab.ParseMode(mode)
	if err != nil {
		return sim.Config{}, usageErr("--mode: %v", err)
	}
	if f.noCoordination && c.Flags().Changed("enable-coordination") && f.coordination {
		return sim.Config{}, usageErr("--enable-coordination conflicts with --no-coordination: use one of them")
	}
	if f.allOpts && (f.noCoordination || (c.Flags().Changed("enable-coordination") && !f.coordination)) {
		return sim.Config{}, usageErr("--enable-all-optimizations includes coordination: drop --no-coordination")
	}
	for _, r := range []struct {
		flag      string
		v, lo, hi int
	}{
		{"threads", f.threads, 1, vocab.MaxThreads},
		{"employees", f.employees, vocab.MinEmployees, vocab.MaxEmployees},
		{"duckdb-threads", f.duckdbThreads, 0, vocab.MaxThreads},
	} {
		if err := checkRange(r.flag, r.v, r.lo, r.hi); err != nil {
			return sim.Config{}, err
		}
	}
	if err := checkYears(f.years); err != nil {
		return sim.Config{}, err
	}
	path, opts, err := sim.ParseDB(f.db)
	if err != nil {
		return sim.Config{}, usageErr("--db: %v", err)
	}
	if f.storageVersion != "" {
		name, _, err := release.ParseCompat(f.storageVersion)
		if err != nil {
			return sim.Config{}, usageErr("--storage-version: %v", err)
		}
		if v, ok := opts[sim.StorageOption]; ok && v != name {
			return sim.Config{}, usageErr("--storage-version %s conflicts with %s=%s in --db: give it once", f.storageVersion, sim.StorageOption, v)
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
		DBPath: path, Options: opts, Mode: m, Threads: f.threads, Coordination: f.coordination && !f.noCoordination,
		Employees: f.employees, Years: f.years, Seed: f.seed, DuckDBThreads: f.duckdbThreads,
		ParamsDir: f.params, Scenario: f.scenario, CensusPath: f.census, ProfileDir: f.profile, Strategy: st,
	}
	if f.lockRetry {
		r := access.DefaultRetry
		cfg.LockRetry = &r
	}
	if err := cfg.Validate(); err != nil {
		return sim.Config{}, usage(err)
	}
	return cfg, nil
}

// simulateJSON is simulate's --json output.
type simulateJSON struct {
	Mode           string                 `json:"mode"`
	Threads        int                    `json:"threads"`
	Coordination   bool                   `json:"coordination"`
	Years          []int                  `json:"years"`
	Employees      int                    `json:"employees"`
	Seed           int64                  `json:"seed"`
	DB             string                 `json:"db"`
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

func runSimulate(a *app, c *cobra.Command, f *simulateFlags) error {
	cfg, err := f.config(c)
	if err != nil {
		return err
	}
	if f.verbose && !f.jsonOut {
		cfg.Log = a.stderr
		fmt.Fprintln(a.stderr, cfg.Optimisations())
	}
	if err := checkDBPath(cfg.DBPath, true); err != nil {
		return err
	}
	res, runErr := sim.Run(a.ctx, cfg)
	if bad := asBadPath(runErr); bad != nil {
		return bad
	}
	if res == nil {
		return fmt.Errorf("simulate: %w", runErr)
	}
	if f.traceFile != "" {
		if err := writeTrace(f.traceFile, res.Spans); err != nil {
			return err
		}
	}
	result := harness.ClassifyRun(runErr)
	if f.jsonOut {
		out := simulateJSON{
			Mode: string(cfg.Mode), Threads: cfg.Threads, Coordination: cfg.Coordination, Years: cfg.Years,
			Employees: cfg.Employees, Seed: cfg.Seed, DB: cfg.DBPath, Outcome: result,
			WallS: res.Summary.Wall, SQLS: res.Summary.SQL, OverheadS: res.Summary.Overhead,
			OverheadByKind: res.Summary.ByKind, Fingerprint: res.Fingerprint, PerYear: res.PerYear,
			Parallelism: res.Parallelism, Settings: sim.Settings,
		}
		if runErr != nil {
			out.Error = runErr.Error()
		}
		if err := writeJSON(a.stdout, out); err != nil {
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
	sim.WriteSummary(a.stdout, res)
	if cfg.ProfileDir != "" {
		return sim.WriteSlowestOperators(a.stdout, cfg.ProfileDir, 15)
	}
	return nil
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
