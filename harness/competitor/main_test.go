package competitor_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/harness/competitor"
	"lockbench/internal/proc"
	"lockbench/outcome"
	"lockbench/vocab"
)

// holdEnv makes the test binary act as `lockbench hold` instead of running tests.
const holdEnv = "LOCKBENCH_COMPETITOR_TEST_HOLD"

func TestMain(m *testing.M) {
	if os.Getenv(holdEnv) == "1" {
		os.Exit(holdMain(os.Args[2:]))
	}
	if os.Getenv(coopEnv) == "1" {
		os.Exit(coopMain(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// holdMain is what `lockbench hold` does: parse, hold until SIGINT/SIGTERM, report errors.
func holdMain(args []string) int {
	o, err := competitor.ParseHoldArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o.Ready = os.Stdout
	if err := competitor.Hold(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "lockbench:", err)
		return 1
	}
	return 0
}

// launcher runs this test binary as the holder.
var launcher = competitor.Launcher{Path: os.Args[0], Args: []string{"hold"}, Env: []string{holdEnv + "=1"}}

// coopEnv makes the test binary act as `lockbench cooperate`.
const coopEnv = "LOCKBENCH_COMPETITOR_TEST_COOPERATE"

// cooperator runs this test binary as a cooperating viewer or writer.
var cooperator = competitor.Launcher{Path: os.Args[0], Args: []string{"cooperate"}, Env: []string{coopEnv + "=1"}}

// coopMain is what `lockbench cooperate` does.
func coopMain(args []string) int {
	o, err := competitor.ParseCoopArgs(args)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o.Out = os.Stdout
	if err := competitor.Cooperate(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "lockbench:", err)
		return 2
	}
	return 0
}

func testEnv(db string) competitor.Env {
	return competitor.Env{DB: db, Launcher: launcher, Cooperator: cooperator}
}

// newDB creates a database file with a table t of 100 rows and closes it.
func newDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "a.db")
	db, err := sql.Open("duckdb", path)
	require.NoError(t, err)
	_, err = db.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t SELECT range, 0 FROM range(100)")
	require.NoError(t, err)
	require.NoError(t, db.Close())
	return path
}

// start starts a competitor and stops it when the test ends.
func start(t *testing.T, spec competitor.Spec, env competitor.Env) *competitor.Running {
	t.Helper()
	r, err := competitor.Start(context.Background(), spec, env)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, r.Stop()) })
	return r
}

// openErr opens path from the test process (read-only when ro) and returns the open's error,
// closing the database when the open worked.
func openErr(path string, ro bool) error {
	dsn := path
	if ro {
		dsn += "?access_mode=read_only"
	}
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return err
	}
	return db.Close()
}

// count returns the number of rows of table in the database at path (opened read-write).
func count(t *testing.T, path, table string) int {
	t.Helper()
	db, err := sql.Open("duckdb", path)
	require.NoError(t, err)
	defer db.Close()
	var n int
	require.NoError(t, db.QueryRow("SELECT count(*) FROM "+table).Scan(&n))
	return n
}

// requireLockConflict asserts that err is DuckDB's lock error naming one of pids.
func requireLockConflict(t *testing.T, err error, pids []int, readOnlyWouldWork bool) outcome.Outcome {
	t.Helper()
	require.Error(t, err)
	o := outcome.Classify(err)
	require.Equal(t, vocab.LockConflict, o.Kind, err.Error())
	assert.Contains(t, pids, o.HolderPID, err.Error())
	assert.Equal(t, readOnlyWouldWork, o.ReadOnlyWouldWork, err.Error())
	assert.True(t, outcome.IsLockConflict(err))
	return o
}

// gone asserts that pid no longer exists: not running, and reaped (no zombie left).
func gone(t *testing.T, pid int) {
	t.Helper()
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	assert.True(t, os.IsNotExist(err), "pid %d is still there (%s)", pid, procLine(pid))
}

// groupGone asserts that no process (not even a zombie) is left in process group pg.
func groupGone(t *testing.T, pg int) {
	t.Helper()
	for _, pid := range proc.Members(pg) {
		t.Errorf("pid %d of group %d is left: %s", pid, pg, procLine(pid))
	}
}

// procLine returns pid's /proc/PID/stat line, for messages.
func procLine(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	return strings.TrimSpace(string(b))
}

// group returns pid's process group.
func group(pid int) int {
	st, _ := proc.ReadStat(pid)
	return st.PGRP
}

// eventually polls cond until it holds, failing the test after a generous deadline (this is
// synchronisation, not a timing assertion).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if !proc.WaitUntil(nil, 30*time.Second, 5*time.Millisecond, cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}

// actions counts r's events with action a.
func actions(r *competitor.Running, a string) int {
	n := 0
	for _, e := range r.Events() {
		if e.Action == a {
			n++
		}
	}
	return n
}

func distinct(pids []int) []int {
	s := slices.Clone(pids)
	slices.Sort(s)
	return slices.Compact(s)
}
