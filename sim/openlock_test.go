package sim

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"lockbench/access"
	"lockbench/internal/lockstall"
	"lockbench/internal/proc"
	"lockbench/trace"
)

// writerEnv makes the test binary a writer that opens the database as the workload's steps do
// (openDB with the lock-retry policy), commits the rows it is asked for into table t, prints
// "ready", and closes the database as the steps do (closeDB) once its standard input ends.
const writerEnv = "LOCKBENCH_SIM_TEST_WRITER"

func writerMain(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: DB ROWS")
		return 2
	}
	rows, err := strconv.Atoi(args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	retry := access.DefaultRetry
	cfg := &Config{DBPath: args[0], LockRetry: &retry}
	rec := trace.NewRecorder(time.Now())
	db, err := openDB(ctx, cfg, rec, 0, "writer", 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS t (i INTEGER)"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := range rows {
		if _, err := db.ExecContext(ctx, "INSERT INTO t VALUES (?)", i); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	if err := closeDB(db, cfg.DBPath, rec, 0, "writer", 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// writer is a writer process started by startWriter.
type writer struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr strings.Builder
	exited chan error
}

func writerCommand(t *testing.T, db string, rows int) *writer {
	exe, err := os.Executable()
	require.NoError(t, err)
	w := &writer{cmd: exec.Command(exe, db, strconv.Itoa(rows)), exited: make(chan error, 1)}
	w.cmd.Env = append(os.Environ(), writerEnv+"=1")
	w.cmd.Stderr = &w.stderr
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	w.stdin, err = w.cmd.StdinPipe()
	require.NoError(t, err)
	return w
}

func (w *writer) waited() { go func() { w.exited <- w.cmd.Wait() }() }

// TestOpenLockKeepsAClosingWritersRows is the race that lost the lock-retry workload's tables
// on DuckDB 2.0.0, made deterministic: writer A holds the file with rows it committed; writer B
// opens it and is held at its lock call (after DuckDB 2.0.0 has read the file's headers); A is
// told to close; B goes on once A has either closed or is waiting to. Every row must be there
// at the end. Without the open lock A checkpoints and closes while B waits, B's lock is then
// granted and B writes back the state it read before A's checkpoint: A's rows are lost.
func TestOpenLockKeepsAClosingWritersRows(t *testing.T) {
	const rows = 50
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := filepath.Join(t.TempDir(), "a.duckdb")
	setup, err := sql.Open("duckdb", db)
	require.NoError(t, err)
	_, err = setup.Exec("CREATE TABLE t (i INTEGER); INSERT INTO t VALUES (-1)")
	require.NoError(t, err)
	require.NoError(t, setup.Close())

	a := writerCommand(t, db, rows)
	out, err := a.cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, a.cmd.Start())
	t.Cleanup(func() { proc.KillGroup(a.cmd.Process.Pid) })
	a.waited()
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, "writer A: %s", a.stderr.String())
	require.Equal(t, "ready\n", line)

	b := writerCommand(t, db, 1)
	require.NoError(t, b.stdin.Close(), "B closes as soon as it has written")
	stall, err := lockstall.Start(b.cmd, db)
	if errors.Is(err, lockstall.ErrUnsupported) {
		t.Skip(err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { proc.KillGroup(b.cmd.Process.Pid); stall.Close() })
	b.waited()
	select {
	case <-stall.Reached():
	case err := <-b.exited:
		t.Fatalf("writer B ended before its lock call: %v: %s", err, b.stderr.String())
	case <-ctx.Done():
		t.Fatal("writer B never reached its lock call")
	}

	// A closes, or waits for B's open to finish before it may close.
	require.NoError(t, a.stdin.Close())
	var aErr error
	aDone := false
	require.True(t, proc.WaitUntil(ctx.Done(), time.Minute, 5*time.Millisecond, func() bool {
		select {
		case aErr = <-a.exited:
			aDone = true
			return true
		default:
		}
		return slices.Contains(flockWaiters(t, access.OpenLockPath(db)), a.cmd.Process.Pid)
	}), "writer A neither closed nor waited for the open lock")
	if aDone {
		t.Logf("writer A closed while B was at its lock call (%v)", aErr)
	} else {
		t.Log("writer A waits for the open lock, which B holds")
	}

	require.NoError(t, stall.Release())
	select {
	case err := <-b.exited:
		require.NoError(t, err, "writer B: %s", b.stderr.String())
	case <-ctx.Done():
		t.Fatal("writer B did not finish")
	}
	if !aDone {
		select {
		case aErr = <-a.exited:
		case <-ctx.Done():
			t.Fatal("writer A did not finish")
		}
	}
	require.NoError(t, aErr, "writer A: %s", a.stderr.String())

	check, err := sql.Open("duckdb", db+"?access_mode=read_only")
	require.NoError(t, err)
	defer check.Close()
	var n int
	require.NoError(t, check.QueryRow("SELECT count(*) FROM t").Scan(&n))
	assert.Equal(t, 1+rows+1, n, "the setup's row, A's %d and B's one", rows)
}

// flockWaiters returns the PIDs blocked on a flock(2) of path (the "->" lines of /proc/locks on
// its inode).
func flockWaiters(t *testing.T, path string) []int {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return nil
	}
	b, err := os.ReadFile("/proc/locks")
	require.NoError(t, err)
	var pids []int
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		// 7: -> FLOCK  ADVISORY  WRITE 4242 fe:01:1234 0 EOF
		if len(f) < 7 || f[1] != "->" {
			continue
		}
		if parts := strings.Split(f[6], ":"); len(parts) == 3 && parts[2] == strconv.FormatUint(st.Ino, 10) {
			if pid, err := strconv.Atoi(f[5]); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids
}
