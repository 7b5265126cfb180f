package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/internal/crash"
	"lockbench/internal/exitcode"
)

// panicEnv names the point (see reach) at which the test binary, run as lockbench, panics on
// purpose.
const panicEnv = "LOCKBENCH_TEST_PANIC"

// TestMain lets the test binary be lockbench itself when it re-executes itself as a trial,
// worker or holder (the runner starts os.Executable() with those commands). As lockbench, it
// panics at the point $LOCKBENCH_TEST_PANIC names, if any: in the command's goroutine, or, for
// "go:POINT", in a goroutine started there with crash.Go while the command waits.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-test.") {
		handleGoroutinePanics()
		if point := os.Getenv(panicEnv); point != "" {
			testPoint = func(name string) {
				switch point {
				case name:
					panic(panicEnv + " reached " + name)
				case "go:" + name:
					crash.Go(func() { panic(panicEnv + " reached " + point) })
					select {} // the goroutine's panic ends the program
				}
			}
		}
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// lockbench runs the CLI in this process and returns its exit code and output.
func lockbench(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestExitCodesAndErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unknown command", []string{"bogus"}, int(exitcode.Usage), `unknown command "bogus"`},
		{"unknown flag", []string{"simulate", "--bogus"}, int(exitcode.Usage), "unknown flag: --bogus"},
		{"threads below one", []string{"simulate", "--threads", "0"}, int(exitcode.Usage), "--threads 0: give an integer from 1 to 1024"},
		{"threads absurd", []string{"simulate", "--threads", "100000"}, int(exitcode.Usage), "--threads 100000: give an integer from 1 to 1024"},
		{"employees too few", []string{"simulate", "--employees", "5"}, int(exitcode.Usage), "--employees 5: give an integer from 10 to 10000000"},
		{"employees absurd", []string{"simulate", "--employees", "2000000000"}, int(exitcode.Usage), "--employees 2000000000"},
		{"negative duckdb threads", []string{"simulate", "--duckdb-threads", "-1"}, int(exitcode.Usage), "--duckdb-threads -1"},
		{"year out of range", []string{"simulate", "--years", "1999"}, int(exitcode.Usage), "year 1999 is outside 2000-2100"},
		{"hold for zero", []string{"hold", "--for", "0", "x.duckdb"}, int(exitcode.Usage), "--for 0s: give a positive duration"},
		{"hold for negative", []string{"hold", "--for", "-5s", "x.duckdb"}, int(exitcode.Usage), "--for -5s: give a positive duration"},
		{"hold write-every tiny", []string{"hold", "--write-every", "1ns", "x.duckdb"}, int(exitcode.Usage), "--write-every 1ns: give a period of at least 1ms"},
		{"hold for garbage", []string{"hold", "--for", "soon", "x.duckdb"}, int(exitcode.Usage), `invalid argument "soon" for "--for"`},
		{"check zero trials", []string{"check", "--trials", "0"}, int(exitcode.Usage), "--trials 0: give an integer from 1 to 10000"},
		{"check zero threads", []string{"check", "--threads", "0"}, int(exitcode.Usage), "--threads 0"},
		{"check employees", []string{"check", "--employees", "1"}, int(exitcode.Usage), "--employees 1"},
		{"check years", []string{"check", "--years", "2026", "2025"}, int(exitcode.Usage), "years are not strictly increasing: 2025 follows 2026"},
		{"bench zero trials", []string{"bench", "--trials", "0"}, int(exitcode.Usage), "--trials 0: give an integer from 1 to 10000"},
		{"bench negative warmup", []string{"bench", "--warmup", "-2"}, int(exitcode.Usage), "--warmup -2: give an integer from 0 to 10000"},
		{"bench max-cells zero", []string{"bench", "--max-cells", "0"}, int(exitcode.Usage), "--max-cells 0"},
		{"bench runs is a file", []string{"bench", "--runs", "testdata/tiny.yaml"}, int(exitcode.Usage), "--runs testdata/tiny.yaml is a file, not a directory"},
		{"resume with trials", []string{"bench", "--resume", "x", "--trials", "3"}, int(exitcode.Usage), "drop --trials"},
		{"bad filter", []string{"bench", "--filter", "bogus=1", "--runs", filepath.Join(t.TempDir(), "runs")}, int(exitcode.Usage), `unknown axis "bogus"`},
		{"years not increasing", []string{"simulate", "--years", "2026", "2025"}, int(exitcode.Usage), "years are not strictly increasing"},
		{"unknown mode", []string{"simulate", "--mode", "fast"}, int(exitcode.Usage), `unknown mode "fast"`},
		{"conflicting flags", []string{"simulate", "--force-sequential", "--mode", "threaded"}, int(exitcode.Usage), "--force-sequential conflicts with --mode threaded"},
		{"bad scenario names file, line and column", []string{"bench", "-m", "testdata/bad-threads.yaml"}, int(exitcode.Usage), "testdata/bad-threads.yaml:5:"},
		{"unknown matrix", []string{"bench", "-m", "nosuch"}, int(exitcode.Usage), `no built-in matrix or file "nosuch"`},
		{"missing run directory", []string{"report", filepath.Join(t.TempDir(), "none")}, int(exitcode.Usage), "manifest"},
		{"bad threshold", []string{"compare", "a", "b", "--threshold", "lots"}, int(exitcode.Usage), `--threshold "lots"`},
		{"NaN threshold", []string{"compare", "a", "b", "--threshold", "NaN%"}, int(exitcode.Usage), `--threshold "NaN%"`},
		{"negative threshold", []string{"compare", "a", "b", "--threshold", "-5%"}, int(exitcode.Usage), `--threshold "-5%"`},
		{"bad report format", []string{"report", "--format", "pdf", "x"}, int(exitcode.Usage), `--format "pdf"`},
		{"unknown repro", []string{"repro", "nosuch"}, int(exitcode.Usage), "nosuch"},
		{"resume of a missing run", []string{"bench", "--resume", filepath.Join(t.TempDir(), "gone")}, int(exitcode.Usage), "manifest"},
		{"resume with a matrix", []string{"bench", "--resume", "x", "-m", "quick"}, int(exitcode.Usage), "drop -m"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := lockbench(t, tc.args...)
			assert.Equal(t, tc.code, code, stderr)
			assert.Contains(t, stderr, tc.stderr)
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	code, out, _ := lockbench(t, "version")
	require.Equal(t, 0, code)
	// The expected versions come from elsewhere: the driver from go.mod, DuckDB from a query.
	assert.Contains(t, out, "duckdb    "+duckdbVersionByQuery(t))
	assert.Contains(t, out, "github.com/duckdb/duckdb-go/v2 "+driverVersionInGoMod(t))
	code, out, _ = lockbench(t, "--help")
	require.Equal(t, 0, code)
	for _, c := range []string{"simulate", "bench", "check", "report", "compare", "hold", "who", "repro", "version"} {
		assert.Contains(t, out, "\n  "+c+" ", "--help lists %s", c)
	}
}

func TestSimulateJSON(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.duckdb")
	code, out, stderr := lockbench(t, "simulate", "--db", db, "--employees", "300", "--years", "2025", "2026", "--json")
	require.Equal(t, 0, code, stderr)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	for _, k := range []string{"mode", "threads", "coordination", "years", "employees", "seed", "outcome", "error",
		"wall_s", "sql_s", "overhead_s", "overhead_by_kind", "fingerprint", "per_year"} {
		assert.Contains(t, got, k)
	}
	assert.Equal(t, "threaded", got["mode"])
	assert.Equal(t, []any{2025.0, 2026.0}, got["years"])
	years := got["per_year"].([]any)
	require.Len(t, years, 2)
	for _, k := range []string{"year", "active_start", "active_end", "hires", "terminations", "new_hire_terminations", "promotions", "raises"} {
		assert.Contains(t, years[0], k)
	}
}

// startHolder runs `lockbench hold` (this test binary) on db and returns its PID once it holds
// the lock.
func startHolder(t *testing.T, args ...string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"hold"}, args...)...)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "holding "), line)
	return cmd.Process.Pid
}

func TestSimulateOnALockedFileNamesTheHolder(t *testing.T) {
	db := filepath.Join(t.TempDir(), "held.duckdb")
	pid := startHolder(t, db)

	code, who, _ := lockbench(t, "who", db)
	require.Equal(t, 0, code)
	assert.Contains(t, who, "pid "+strconv.Itoa(pid)+" holds a write lock on "+db)

	code, _, stderr := lockbench(t, "simulate", "--db", db, "--employees", "100", "--years", "2025")
	assert.Equal(t, int(exitcode.Fail), code)
	assert.Contains(t, stderr, "Conflicting lock is held in")
	assert.Contains(t, stderr, "holder: PID "+strconv.Itoa(pid))
	assert.Contains(t, stderr, "command line: "+os.Args[0]+" hold "+db)
	assert.Contains(t, stderr, "next: close or stop the other program (kill "+strconv.Itoa(pid)+")")

	free := filepath.Join(t.TempDir(), "free.duckdb")
	code, _, _ = lockbench(t, "who", free)
	assert.Equal(t, int(exitcode.Usage), code, "a missing file is bad input")
	require.NoError(t, os.WriteFile(free, nil, 0o644))
	code, who, _ = lockbench(t, "who", free)
	assert.Equal(t, 0, code)
	assert.Contains(t, who, "nobody holds a lock on")
}

func TestBenchEndToEndWritesEveryReport(t *testing.T) {
	runs := t.TempDir()
	code, out, stderr := lockbench(t, "bench", "-m", "testdata/tiny.yaml", "--runs", runs, "--quiet")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, out, "verdict: PASS")
	dir, err := filepath.EvalSymlinks(filepath.Join(runs, "latest"))
	require.NoError(t, err)
	for _, f := range []string{"manifest.json", "history.ndjson", "scenario.yaml", "report.txt", "report.md",
		"report.json", "report.junit.xml", "report.html", "report.bench.txt"} {
		assert.FileExists(t, filepath.Join(dir, f))
	}
	// The stored history gives the same verdict again, in any format.
	code, md, _ := lockbench(t, "report", "--format", "md", dir)
	assert.Equal(t, 0, code)
	assert.Contains(t, md, "✅ pass")
	// Two trials a side cannot show that nothing changed: compare says unknown, and why.
	code, cmp, _ := lockbench(t, "compare", dir, dir)
	assert.Equal(t, int(exitcode.Unknown), code, cmp)
	assert.Contains(t, cmp, "too few ok trials to tell a change from noise (need >= 6 per side)")
}

// TestReportRefusesCorruptHistory gives report a history whose ok trial has absurd and missing
// timings: every format exits 2 naming the file and line, never 4.
func TestReportRefusesCorruptHistory(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"schema_version":1,"id":"x","scenario":null}`), 0o644))
	ok := `{"cell":"mode=a","trial":%d,"outcome":{"kind":"ok"},"wall_s":%s,"sql_s":0.5,"overhead_s":0.5}` + "\n"
	for _, wall := range []string{"1e308", "null"} {
		var h strings.Builder
		for i := range 6 {
			w := "1.0"
			if i == 4 {
				w = wall
			}
			fmt.Fprintf(&h, ok, i, w)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, "history.ndjson"), []byte(h.String()), 0o644))
		for _, format := range []string{"json", "text", "html"} {
			code, out, stderr := lockbench(t, "report", "--format", format, dir)
			assert.Equal(t, int(exitcode.Usage), code, "wall %s, %s: %s", wall, format, stderr)
			assert.Empty(t, out)
			assert.Contains(t, stderr, filepath.Join(dir, "history.ndjson")+":5: corrupt trial mode=a #4: ")
		}
	}
}

func TestCheckWithoutComparison(t *testing.T) {
	code, out, stderr := lockbench(t, "check", "--no-compare", "--employees", "150", "--years", "2025", "--runs", t.TempDir(), "--quiet")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, out, "mode=parallel-processes")
	assert.Contains(t, out, "Conflicting lock is held", "the negative control reproduced the bug")
	assert.Contains(t, out, "verdict: PASS")
}

// duckdbVersionByQuery asks an in-memory DuckDB of this test binary for its version.
func duckdbVersionByQuery(t *testing.T) string {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	require.NoError(t, err)
	defer db.Close()
	var v string
	require.NoError(t, db.QueryRow("SELECT version()").Scan(&v))
	return v
}

// driverVersionInGoMod reads the duckdb-go version that go.mod requires.
func driverVersionInGoMod(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "go.mod"))
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^\s*github\.com/duckdb/duckdb-go/v2 (v\S+)`).FindStringSubmatch(string(b))
	require.NotNil(t, m, "go.mod requires duckdb-go")
	return m[1]
}
