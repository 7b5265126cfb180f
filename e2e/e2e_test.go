package e2e

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/release"
	"lockbench/trace"
	"lockbench/vocab"
)

// repo is the repository's root; bin holds the binaries TestMain builds.
var repo, bin string

// TestMain builds lockbench and duckdb-sql once into a temporary directory and puts it first on
// PATH, as a user who followed the README has them, with the tests' own DuckDB reader
// (testdata/poller) beside them.
func TestMain(m *testing.M) {
	os.Exit(func() int {
		var err error
		if repo, err = filepath.Abs(".."); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if bin, err = os.MkdirTemp("", "lockbench-e2e-bin-"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(bin)
		build := exec.Command("go", "build", "-o", bin+string(filepath.Separator), "./cmd/lockbench", "./examples/exec-shell/duckdb-sql", "./e2e/testdata/poller")
		build.Dir = repo
		if out, err := build.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build lockbench: %v\n%s", err, out)
			return 1
		}
		os.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		return m.Run()
	}())
}

// userDir is a fresh working directory, not the repository's root, in which `examples` is the
// repository's examples directory (a link), as in a user's checkout: the README's commands
// name the shipped files by those relative paths.
func userDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "work")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.Symlink(filepath.Join(repo, "examples"), filepath.Join(dir, "examples")))
	return dir
}

// lockbench runs the built lockbench in dir and returns its exit code and output.
func lockbench(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "lockbench", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		require.NoError(t, err)
	}
	return code, out.String(), errb.String()
}

// latestTrials reads the history of runs/latest under runsDir.
func latestTrials(t *testing.T, runsDir string) []history.Trial {
	t.Helper()
	dir, err := filepath.EvalSymlinks(filepath.Join(runsDir, "latest"))
	require.NoError(t, err, "%s/latest points at the run", runsDir)
	trials, err := history.ReadTrials(dir)
	require.NoError(t, err)
	return trials
}

var reCompetitorPID = regexp.MustCompile(`^(\S+) pid (\d+)$`)

// competitorPIDs returns the PIDs of the competitor processes a trial recorded as spans (named
// "reader-process pid 4242").
func competitorPIDs(tr history.Trial) []int {
	var pids []int
	for _, s := range tr.Spans {
		if m := reCompetitorPID.FindStringSubmatch(s.Name); s.Kind == trace.Competitor && m != nil {
			pid, _ := strconv.Atoi(m[2])
			pids = append(pids, pid)
		}
	}
	return pids
}

// checkOK asserts what an ok trial of an exec workload must show: its own spans were read, and
// its timings are sane (wall ≥ sql > 0, sql the union of its model spans, every span inside the
// trial's wall time).
func checkOK(t *testing.T, tr history.Trial) {
	t.Helper()
	require.Equal(t, vocab.OK, tr.Outcome.Kind, "%s: %s", tr.Cell, tr.Outcome.Message)
	var models []trace.Span
	for _, s := range tr.Spans {
		if s.Kind == trace.Model {
			models = append(models, s)
		}
	}
	require.NotEmpty(t, models, "%s: the pipeline's spans were read from $LOCKBENCH_TRACE", tr.Cell)
	assert.Positive(t, tr.SQLS, tr.Cell)
	assert.GreaterOrEqual(t, tr.WallS, tr.SQLS, tr.Cell)
	assert.InDelta(t, tr.WallS-tr.SQLS, tr.OverheadS, 1e-9, tr.Cell)
	assert.InDelta(t, union(models), tr.SQLS, 1e-6, "%s: sql is the union of the model spans", tr.Cell)
	for _, s := range tr.Spans {
		assert.True(t, 0 <= s.Start && s.Start <= s.End && s.End <= tr.WallS+1e-3,
			"%s: span %s %s [%f, %f] lies within the wall time %f", tr.Cell, s.Kind, s.Name, s.Start, s.End, tr.WallS)
	}
}

// union is the length of the union of spans' intervals.
func union(spans []trace.Span) float64 {
	var total, end float64
	started := false
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b trace.Span) int { return cmp.Compare(a.Start, b.Start) })
	for _, s := range sorted {
		switch {
		case !started || s.Start >= end:
			total += s.End - s.Start
			end, started = s.End, true
		case s.End > end:
			total += s.End - end
			end = s.End
		}
	}
	return total
}

// checkConflict asserts that a trial failed with DuckDB's lock error, naming as the holder the
// competitor process that lockbench started for it.
func checkConflict(t *testing.T, tr history.Trial, readOnlyHint bool) {
	t.Helper()
	o := tr.Outcome
	require.Equal(t, vocab.LockConflict, o.Kind, "%s: %s", tr.Cell, o.Message)
	pids := competitorPIDs(tr)
	require.Len(t, pids, 1, "%s: one competitor process", tr.Cell)
	assert.Equal(t, pids[0], o.HolderPID, "%s: DuckDB names the competitor's PID", tr.Cell)
	assert.Equal(t, vocab.RoleCompetitor, o.HolderRole, tr.Cell)
	assert.Equal(t, filepath.Join(bin, "lockbench"), o.HolderExe, "%s: the holder is `lockbench hold`", tr.Cell)
	assert.Equal(t, "$TRIAL_DIR/trial.duckdb", o.Path, tr.Cell)
	assert.Equal(t, readOnlyHint, o.ReadOnlyWouldWork, tr.Cell)
	assert.True(t, strings.HasPrefix(o.Message, `IO Error: Could not set lock on file "$TRIAL_DIR/trial.duckdb": Conflicting lock is held in `), o.Message)
	assert.NotContains(t, o.Message, "\n", "%s: DuckDB's message, one line", tr.Cell)
}

// TestShippedExecPipeline runs examples/exec-pipeline.yaml exactly as the README says, from a
// fresh working directory with the default runs/, one trial per cell.
func TestShippedExecPipeline(t *testing.T) {
	dir := userDir(t)
	code, out, stderr := lockbench(t, dir, "bench", "-m", "examples/exec-pipeline.yaml", "--trials", "1", "--warmup", "0")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, out, "verdict: PASS")
	trials := latestTrials(t, filepath.Join(dir, "runs"))
	require.Len(t, trials, 4, "2 modes × 2 competitors")
	for _, tr := range trials {
		switch tr.Params["competitor"] {
		case "none":
			checkOK(t, tr)
		case "reader-process":
			checkConflict(t, tr, true)
		default:
			t.Errorf("unexpected cell %s", tr.Cell)
		}
	}
}

// reducedExecPipeline is the shipped exec-pipeline.yaml with a smaller census and a second
// writer added, so that a run takes a second or two.
func reducedExecPipeline(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repo, "examples", "exec-pipeline.yaml"))
	require.NoError(t, err)
	src := string(b)
	for old, repl := range map[string]string{
		"employees: 1000":                     "employees: 150",
		"years: 2025-2026":                    "years: 2025",
		"competitor: [none, reader-process]":  "competitor: [none, writer-process]",
		"cells: {competitor: reader-process}": "cells: {competitor: writer-process}",
		"mode: [sequential, threaded]":        "mode: [threaded]",
		"trials: 5":                           "trials: 1",
		"warmup: 1":                           "warmup: 0",
	} {
		require.Contains(t, src, old, "the shipped example changed: update this test")
		src = strings.Replace(src, old, repl, 1)
	}
	path := filepath.Join(dir, "reduced.yaml")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	return path
}

// TestRelativeRunsAndResume runs the exec pipeline with --runs relative to the working
// directory (below it and beside it), then finishes an interrupted run with --resume given a
// relative path: every trial must find its database.
func TestRelativeRunsAndResume(t *testing.T) {
	dir := userDir(t)
	reducedExecPipeline(t, dir)
	for _, runs := range []string{"out/runs", "../beside/runs"} {
		t.Run(runs, func(t *testing.T) {
			code, out, stderr := lockbench(t, dir, "bench", "-m", "reduced.yaml", "--runs", runs, "--quiet")
			require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
			trials := latestTrials(t, filepath.Join(dir, runs))
			require.Len(t, trials, 2)
			for _, tr := range trials {
				if tr.Params["competitor"] == "none" {
					checkOK(t, tr)
				} else {
					checkConflict(t, tr, false)
				}
			}

			// Cut the history to its first trial, as an interrupted run leaves it, and resume.
			latest := filepath.Join(runs, "latest")
			hist := filepath.Join(dir, latest, history.HistoryFile)
			b, err := os.ReadFile(hist)
			require.NoError(t, err)
			first, _, _ := strings.Cut(string(b), "\n")
			require.NoError(t, os.WriteFile(hist, []byte(first+"\n"), 0o644))
			code, out, stderr = lockbench(t, dir, "bench", "--resume", latest, "--quiet")
			require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
			trials = latestTrials(t, filepath.Join(dir, runs))
			require.Len(t, trials, 2, "the resumed run ran the missing trial")
			for _, tr := range trials {
				if tr.Params["competitor"] == "none" {
					checkOK(t, tr)
				} else {
					checkConflict(t, tr, false)
				}
			}
		})
	}
}

// TestExecShellPipeline runs the shipped examples/exec-shell/pipeline.yaml, a shell script
// around a DuckDB client that is not lockbench, as its comment says: alone it passes with its
// own spans, next to a viewer or a second writer that lockbench starts it fails with DuckDB's
// lock error naming that competitor.
func TestExecShellPipeline(t *testing.T) {
	dir := userDir(t)
	code, out, stderr := lockbench(t, dir, "bench", "-m", "examples/exec-shell/pipeline.yaml", "--trials", "2", "--warmup", "0", "--quiet")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, out, "verdict: PASS")
	trials := latestTrials(t, filepath.Join(dir, "runs"))
	require.Len(t, trials, 6, "3 competitors × 2 trials")
	seen := map[string]int{}
	for _, tr := range trials {
		seen[tr.Params["competitor"]]++
		switch tr.Params["competitor"] {
		case "none":
			checkOK(t, tr)
			var names []string
			for _, s := range tr.Spans {
				names = append(names, string(s.Kind)+":"+s.Name)
			}
			assert.Equal(t, []string{"model:load", "model:payroll-2025", "model:payroll-2026", "model:payroll-2027", "validate:validate"}, names)
			assert.Positive(t, tr.OverheadByKind[trace.Validate], "the validate step is overhead")
		case "reader-process":
			checkConflict(t, tr, true)
		case "writer-process":
			checkConflict(t, tr, false)
		}
	}
	assert.Equal(t, map[string]int{"none": 2, "reader-process": 2, "writer-process": 2}, seen)
}

// TestExecShellPipelineData runs pipeline.sh by hand, as lockbench would, and checks what it
// wrote against figures computed here: the departments of the shipped CSV, the census size,
// one payroll per year, raises every year.
func TestExecShellPipelineData(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "payroll.duckdb")
	tracePath := filepath.Join(dir, "trace.ndjson")
	cmd := exec.Command("sh", filepath.Join(repo, "examples", "exec-shell", "pipeline.sh"),
		"--db", db, "--employees", "500", "--years", "2025 2026", "--seed", "7")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LOCKBENCH_TRACE="+tracePath)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "validate: ok, 500 employees, 2 years")

	f, err := os.Open(filepath.Join(repo, "examples", "exec-shell", "data", "departments.csv"))
	require.NoError(t, err)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	require.NoError(t, err)
	departments := len(rows) - 1 // the header

	h, err := sql.Open("duckdb", db+"?access_mode=read_only")
	require.NoError(t, err)
	defer h.Close()
	scalar := func(q string) float64 {
		var v float64
		require.NoError(t, h.QueryRow(q).Scan(&v), q)
		return v
	}
	assert.Equal(t, 500.0, scalar("SELECT count(*) FROM employees"))
	assert.Equal(t, float64(2*departments), scalar("SELECT count(*) FROM payroll"), "one row per year and department")
	assert.Equal(t, 500.0, scalar("SELECT sum(headcount) FROM payroll WHERE year = 2025"))
	assert.Equal(t, 500.0, scalar("SELECT sum(headcount) FROM payroll WHERE year = 2026"))
	p25, p26 := scalar("SELECT sum(total_salary) FROM payroll WHERE year = 2025"), scalar("SELECT sum(total_salary) FROM payroll WHERE year = 2026")
	assert.Greater(t, p26, p25, "every department gets a raise each year")
	assert.Less(t, p26, p25*1.05, "raises are at most 4%")
	assert.Equal(t, p26, scalar("SELECT sum(salary) FROM employees"), "the last payroll is the salaries in force")

	tf, err := os.Open(tracePath)
	require.NoError(t, err)
	defer tf.Close()
	var spans []trace.Span
	sc := bufio.NewScanner(tf)
	for sc.Scan() {
		var s trace.Span
		require.NoError(t, json.Unmarshal(sc.Bytes(), &s), sc.Text())
		spans = append(spans, s)
	}
	require.Len(t, spans, 4, "load, two payroll steps, validate")
	for i, s := range spans {
		assert.LessOrEqual(t, s.Start, s.End, s.Name)
		assert.Empty(t, s.Error, s.Name)
		if i > 0 {
			assert.GreaterOrEqual(t, s.Start, spans[i-1].End, "the steps run one after another")
		}
	}
}

// TestExecShellPipelineOnDuckDB15 runs the shipped exec-shell pipeline with its DuckDB client
// built against DuckDB 1.5.6, as a team that has not upgraded yet has it, next to lockbench's
// own competitors (which run the DuckDB lockbench links). The file lockbench creates for the
// pipeline must be one 1.5.6 reads: alone the pipeline passes, and next to a competitor it
// meets a lock conflict, not a storage-format error.
func TestExecShellPipelineOnDuckDB15(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a DuckDB 1.5.6 client: skipped by -short")
	}
	old, err := release.Lookup("1.5.6")
	require.NoError(t, err)
	client := filepath.Join(t.TempDir(), "duckdb-sql-1.5.6")
	bins := &release.Binaries{Source: repo}
	if err := bins.GoBuild(context.Background(), old, "./examples/exec-shell/duckdb-sql", client); err != nil {
		var be *release.BuildError
		if errors.As(err, &be) && strings.Contains(be.Reason, "Go toolchain") {
			t.Skip(err)
		}
		require.NoError(t, err)
	}
	dir := userDir(t)
	t.Setenv("DUCKDB", client)
	code, out, stderr := lockbench(t, dir, "bench", "-m", "examples/exec-shell/pipeline.yaml", "--trials", "2", "--warmup", "0", "--quiet")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	trials := latestTrials(t, filepath.Join(dir, "runs"))
	require.Len(t, trials, 6)
	for _, tr := range trials {
		assert.Equal(t, release.MinStorage, tr.StorageVersion, "%s: the trial's file is in the format every 1.x release reads", tr.Cell)
		switch tr.Params["competitor"] {
		case "none":
			checkOK(t, tr)
		case "reader-process":
			checkConflict(t, tr, true)
		case "writer-process":
			checkConflict(t, tr, false)
		}
	}
	// The client really was 1.5.6: it reads a file of 1.5's format and not one of 2.0's.
	v2 := filepath.Join(t.TempDir(), "v2.duckdb")
	db, err := sql.Open("duckdb", v2)
	require.NoError(t, err)
	_, err = db.Exec("CREATE TABLE t AS SELECT 1 AS a")
	require.NoError(t, err)
	require.NoError(t, db.Close())
	cmd := exec.Command(client, v2)
	cmd.Stdin = strings.NewReader("SELECT count(*) FROM t;")
	msg, err := cmd.CombinedOutput()
	require.Error(t, err, "%s", msg)
	assert.Contains(t, string(msg), "version number 69", "a 1.5.6 client cannot read DuckDB 2.0.0's format")
}
