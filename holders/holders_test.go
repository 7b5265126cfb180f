package holders

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"lockbench/internal/proc"
	"lockbench/outcome"
	"lockbench/release"
	"lockbench/vocab"
)

// holderEnv makes the test binary act as a lock holder instead of running tests.
const holderEnv = "LOCKBENCH_HOLDERS_TEST_HOLDER"

// inspectEnv makes the test binary print what Lookup and Inspect find on the path it is given,
// as JSON, instead of running tests (run inside a PID namespace by TestInspectOutsideNamespace).
const inspectEnv = "LOCKBENCH_HOLDERS_TEST_INSPECT"

func TestMain(m *testing.M) {
	if os.Getenv(inspectEnv) != "" {
		os.Exit(inspectMain(os.Args[len(os.Args)-1]))
	}
	if mode := os.Getenv(holderEnv); mode != "" {
		hold := hold
		if mode == "wait" {
			hold = waitForLock
		}
		if err := hold(mode, os.Args[len(os.Args)-1]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// hold opens path (mode "rw", "ro", "rw-wal": read-write with a write left in the WAL, or
// "rw-lost": the same, then drops its lock on the database file by reading it),
// prints "ready" and holds the file until its stdin is closed.
func hold(mode, path string) error {
	dsn := path
	if mode == "ro" {
		dsn += "?access_mode=read_only"
	}
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	q := "SELECT count(*) FROM duckdb_tables()"
	if mode == "rw-wal" || mode == "rw-lost" {
		q = "INSERT INTO t VALUES (2)"
	}
	if _, err := db.Exec(q); err != nil {
		return err
	}
	if mode == "rw-lost" {
		// The hazard of docs/duckdb-locking.md#locks-belong-to-the-process: reading the file
		// through another descriptor and closing it drops this process's lock on the database
		// file (the .wal keeps its own).
		if _, err := os.ReadFile(path); err != nil {
			return err
		}
	}
	fmt.Println("ready")
	_, err = io.Copy(io.Discard, os.Stdin)
	return err
}

// waitForLock opens path, prints "ready", asks for a write lock on the whole file with F_SETLKW
// (it blocks while another process holds one), prints "locked" once it has it and holds it until
// its stdin is closed. It is a process that waits for DuckDB's lock, as a blocking POSIX lock
// call of another program would.
func waitForLock(_, path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Println("ready")
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
	if err := unix.FcntlFlock(f.Fd(), unix.F_SETLKW, &lk); err != nil {
		return err
	}
	fmt.Println("locked")
	_, err = io.Copy(io.Discard, os.Stdin)
	return err
}

// startHolder runs a holder process on path and returns its PID once it holds the lock. The
// process is released (stdin closed) and reaped when the test ends.
func startHolder(t *testing.T, path, mode string) int {
	t.Helper()
	pid, _ := startReleasableHolder(t, path, mode)
	return pid
}

// startReleasableHolder is startHolder that also returns a function that releases the holder
// and waits for it to end.
func startReleasableHolder(t *testing.T, path, mode string) (int, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "hold", path)
	cmd.Env = append(os.Environ(), holderEnv+"="+mode)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stdin.Close()
		_ = cmd.Wait()
		t.Fatalf("holder did not get ready: %v: %s", err, stderr.String())
	}
	require.Equal(t, "ready\n", line)
	return cmd.Process.Pid, func() {
		stdin.Close()
		_ = cmd.Wait()
	}
}

// newDB creates a database file with a table t and closes it.
func newDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "a.db")
	db, err := sql.Open("duckdb", path)
	require.NoError(t, err)
	_, err = db.Exec("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1)")
	require.NoError(t, err)
	require.NoError(t, db.Close())
	return path
}

// openErr tries to open path read-write from the test process and returns DuckDB's error.
func openErr(t *testing.T, path string) error {
	t.Helper()
	db, err := sql.Open("duckdb", path)
	if err == nil {
		db.Close()
		t.Fatal("open succeeded while the file was held")
	}
	return err
}

func pids(hs []Holder) []int {
	var out []int
	for _, h := range hs {
		out = append(out, h.PID)
	}
	return out
}

func TestLookupWriter(t *testing.T) {
	path := newDB(t)
	pid := startHolder(t, path, "rw")

	hs, err := Lookup(path)
	require.NoError(t, err)
	require.Len(t, hs, 1)
	assert.Equal(t, pid, hs[0].PID)
	assert.Equal(t, ModeWrite, hs[0].Mode)
	assert.Equal(t, "POSIX", hs[0].Type)
	assert.Equal(t, path, hs[0].File)
	assert.Equal(t, selfExe(t), hs[0].Exe, "the holder is this test binary")
	assert.Equal(t, fmt.Sprintf("%s hold %s", os.Args[0], path), hs[0].Cmdline)
	assert.Equal(t, fmt.Sprintf("pid %d holds a write lock on %s (%s hold %s)", pid, path, os.Args[0], path), Describe(hs[0]))

	// DuckDB names the same process, and the same executable.
	o := outcome.Classify(openErr(t, path))
	assert.Equal(t, vocab.LockConflict, o.Kind)
	assert.Equal(t, pid, o.HolderPID)
	assert.Equal(t, hs[0].Exe, o.HolderExe)
	assert.Equal(t, path, o.Path)
	assert.False(t, o.ReadOnlyWouldWork)

	outcome.Enrich(&o, release.Release{})
	assert.Equal(t, hs[0].Cmdline, o.HolderCmdline)
}

func TestLookupWriterWithWAL(t *testing.T) {
	path := newDB(t)
	pid := startHolder(t, path, "rw-wal")

	hs, err := Lookup(path)
	require.NoError(t, err)
	require.Len(t, hs, 2)
	assert.Equal(t, []Holder{
		{PID: pid, Mode: ModeWrite, Type: "POSIX", File: path, Exe: hs[0].Exe, Cmdline: hs[0].Cmdline, Device: hs[0].Device, Inode: hs[0].Inode},
		{PID: pid, Mode: ModeWrite, Type: "POSIX", File: path + ".wal", Exe: hs[0].Exe, Cmdline: hs[0].Cmdline, Device: hs[1].Device, Inode: hs[1].Inode},
	}, hs)
	// Device and inode are what /proc/locks prints for the holder's two locks.
	assert.ElementsMatch(t, procLocksIDs(t, pid), []string{lockID(hs[0]), lockID(hs[1])})
	assert.NotEqual(t, hs[0].Inode, hs[1].Inode)
}

// procLocksIDs returns the dev:ino column of every /proc/locks line owned by pid, as the file
// prints it (a plain field split: no parser shared with the code under test).
func procLocksIDs(t *testing.T, pid int) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/locks")
	require.NoError(t, err)
	var ids []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[4] == strconv.Itoa(pid) {
			ids = append(ids, f[5])
		}
	}
	return ids
}

// lockID is h's device and inode as /proc/locks writes them.
func lockID(h Holder) string { return fmt.Sprintf("%s:%d", h.Device, h.Inode) }

func TestLookupReaders(t *testing.T) {
	path := newDB(t)
	r1 := startHolder(t, path, "ro")
	r2 := startHolder(t, path, "ro")

	hs, err := Lookup(path)
	require.NoError(t, err)
	assert.ElementsMatch(t, []int{r1, r2}, pids(hs))
	for _, h := range hs {
		assert.Equal(t, ModeRead, h.Mode)
		assert.Equal(t, path, h.File)
	}

	// DuckDB names only one of them, and says read-only would work.
	o := outcome.Classify(openErr(t, path))
	assert.Equal(t, vocab.LockConflict, o.Kind)
	assert.Contains(t, []int{r1, r2}, o.HolderPID)
	assert.True(t, o.ReadOnlyWouldWork)
	assert.True(t, outcome.IsLockConflict(openErr(t, path)))
}

func TestLookupNobody(t *testing.T) {
	path := newDB(t)
	hs, err := Lookup(path)
	require.NoError(t, err)
	assert.Empty(t, hs)

	_, err = Lookup(filepath.Join(t.TempDir(), "missing.db"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
}

// TestLookupDoesNotDropLocks checks that a lookup from the process that holds the database
// keeps its lock: the lookup must not open the file.
func TestLookupDoesNotDropLocks(t *testing.T) {
	path := newDB(t)
	db, err := sql.Open("duckdb", path)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.ExecContext(context.Background(), "INSERT INTO t VALUES (3)")
	require.NoError(t, err)

	for range 3 {
		hs, err := Lookup(path)
		require.NoError(t, err)
		require.NotEmpty(t, hs)
		assert.Equal(t, os.Getpid(), hs[0].PID)
	}
	hs, err := Lookup(path)
	require.NoError(t, err)
	assert.Contains(t, pids(hs), os.Getpid(), "still locked after lookups")
}

func TestParseLocks(t *testing.T) {
	const locks = `1: POSIX  ADVISORY  WRITE 300 fe:00:100 0 EOF
2: POSIX  ADVISORY  WRITE 300 fe:00:101 0 EOF
3: -> POSIX  ADVISORY  WRITE 301 fe:00:100 0 EOF
4: POSIX  ADVISORY  READ 200 fe:00:100 0 EOF
5: POSIX  ADVISORY  READ 100 00:2a:100 0 EOF
6: POSIX  ADVISORY  READ 101 00:2a:100 0 EOF
7: OFDLCK ADVISORY  WRITE -1 00:2a:100 0 EOF
8: FLOCK  ADVISORY  WRITE 400 fe:00:100 0 EOF
9: POSIX  ADVISORY  WRITE 500 fe:00:999 0 EOF
garbage line
10: POSIX  ADVISORY  WRITE x fe:00:100 0 EOF
`
	db := target{path: "/d/a.db", ino: 100, maj: 0xfe, min: 0}
	wal := target{path: "/d/a.db.wal", ino: 101, maj: 0xfe, min: 0}
	// Process 100 has the file open (overlay: other device, same inode); 101 does not.
	confirm := func(pid int, path string) bool { return pid == 100 && path == "/d/a.db" }

	tests := []struct {
		name    string
		targets []target
		waiters bool
		want    []Holder
	}{
		{
			name:    "database and wal",
			targets: []target{db, wal},
			want: []Holder{
				{PID: 100, Mode: ModeRead, Type: "POSIX", File: "/d/a.db", Device: "fe:00", Inode: 100},
				{PID: 200, Mode: ModeRead, Type: "POSIX", File: "/d/a.db", Device: "fe:00", Inode: 100},
				{PID: 300, Mode: ModeWrite, Type: "POSIX", File: "/d/a.db", Device: "fe:00", Inode: 100},
				{PID: 400, Mode: ModeWrite, Type: "FLOCK", File: "/d/a.db", Device: "fe:00", Inode: 100},
				{PID: 300, Mode: ModeWrite, Type: "POSIX", File: "/d/a.db.wal", Device: "fe:00", Inode: 101},
			},
		},
		{
			name:    "database and wal, with waiters",
			targets: []target{db, wal},
			waiters: true,
			want: []Holder{
				{PID: 100, Mode: ModeRead, Type: "POSIX", File: "/d/a.db", Device: "fe:00", Inode: 100},
				{PID: 200, Mode: ModeRead, Type: "POSIX", File: "/d/a.db", Device: "fe:00", Inode: 100},
				{PID: 300, Mode: ModeWrite, Type: "POSIX", File: "/d/a.db", Device: "fe:00", Inode: 100},
				{PID: 400, Mode: ModeWrite, Type: "FLOCK", File: "/d/a.db", Device: "fe:00", Inode: 100},
				{PID: 301, Mode: ModeWrite, Type: "POSIX", File: "/d/a.db", Device: "fe:00", Inode: 100, Waiting: true},
				{PID: 300, Mode: ModeWrite, Type: "POSIX", File: "/d/a.db.wal", Device: "fe:00", Inode: 101},
			},
		},
		{
			name:    "no wal",
			targets: []target{db},
			want: []Holder{
				{PID: 100, Mode: ModeRead, Type: "POSIX", File: "/d/a.db", Device: "fe:00", Inode: 100},
				{PID: 200, Mode: ModeRead, Type: "POSIX", File: "/d/a.db", Device: "fe:00", Inode: 100},
				{PID: 300, Mode: ModeWrite, Type: "POSIX", File: "/d/a.db", Device: "fe:00", Inode: 100},
				{PID: 400, Mode: ModeWrite, Type: "FLOCK", File: "/d/a.db", Device: "fe:00", Inode: 100},
			},
		},
		{
			name:    "nothing on another inode",
			targets: []target{{path: "/d/b.db", ino: 7, maj: 0xfe}},
			want:    nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLocks(strings.NewReader(locks), tt.targets, confirm, tt.waiters)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		h    Holder
		want string
	}{
		{"cmdline", Holder{PID: 7, Mode: ModeWrite, Type: "POSIX", File: "/a.db", Exe: "/bin/x", Cmdline: "x hold /a.db"}, "pid 7 holds a write lock on /a.db (x hold /a.db)"},
		{"exe only", Holder{PID: 7, Mode: ModeRead, Type: "POSIX", File: "/a.db", Exe: "/bin/x"}, "pid 7 holds a read lock on /a.db (/bin/x)"},
		{"flock", Holder{PID: 7, Mode: ModeWrite, Type: "FLOCK", File: "/a.db"}, "pid 7 holds a write lock on /a.db (FLOCK)"},
		{"ofd", Holder{PID: -1, Mode: ModeWrite, Type: "OFDLCK", File: "/a.db"}, "an open file description holds a write lock on /a.db (OFDLCK)"},
		{"outside the namespace", Holder{Mode: ModeWrite, Type: "POSIX", File: "/a.db", OutsideNamespace: true, Device: "fe:00", Inode: 42},
			"a process outside this PID namespace holds a write lock on /a.db (device fe:00, inode 42; F_GETLK says PID 0, /proc/locks here does not list it)"},
		{"readers outside the namespace", Holder{Mode: ModeRead, Type: "POSIX", File: "/a.db", OutsideNamespace: true, Device: "00:2d", Inode: 7},
			"a process outside this PID namespace holds a read lock (one reader shown; there may be more) on /a.db (device 00:2d, inode 7; F_GETLK says PID 0, /proc/locks here does not list it)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Describe(tt.h))
		})
	}
}

// selfExe returns this test binary's executable with symbolic links resolved, as
// /proc/PID/exe names it.
func selfExe(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	exe, err = filepath.EvalSymlinks(exe)
	require.NoError(t, err)
	return exe
}

// TestLookupLostLock reproduces the lost main-file lock: Lookup sees only the .wal lock, a
// second process opens the file read-write, and its commit fails on the .wal lock, which
// outcome classifies as a lock-conflict on the WAL naming the holder.
func TestLookupLostLock(t *testing.T) {
	path := newDB(t)
	pid := startHolder(t, path, "rw-lost")

	hs, err := Lookup(path)
	require.NoError(t, err)
	require.Len(t, hs, 1)
	assert.Equal(t, path+".wal", hs[0].File)
	assert.Equal(t, pid, hs[0].PID)

	db, err := sql.Open("duckdb", path)
	require.NoError(t, err, "the database file is no longer locked")
	defer db.Close()
	_, err = db.Exec("CREATE TABLE w (a INTEGER)")
	require.Error(t, err)
	var de *duckdb.Error
	require.True(t, errors.As(err, &de))
	assert.Equal(t, duckdb.ErrorTypeTransaction, de.Type, "a commit-time lock error is typed as a transaction error")
	o := outcome.Classify(err)
	assert.Equal(t, vocab.LockConflict, o.Kind, err.Error())
	assert.Equal(t, vocab.SubWAL, o.Sub)
	assert.Equal(t, path+".wal", o.Path)
	assert.Equal(t, pid, o.HolderPID)
	assert.True(t, outcome.IsLockConflict(err))
}

// TestLocksAndWaiters: a process blocked in F_SETLKW behind a DuckDB reader is a waiter for a
// write lock, listed after the holder, and only LocksAndWaiters lists it; once the reader lets
// go, it holds the lock.
func TestLocksAndWaiters(t *testing.T) {
	path := newDB(t)
	reader, release := startReleasableHolder(t, path, "ro")

	cmd := exec.Command(os.Args[0], "wait", path)
	cmd.Env = append(os.Environ(), holderEnv+"=wait")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "ready\n", line)
	waiter := cmd.Process.Pid

	var hs []Holder
	waiting := func() bool {
		hs, err = LocksAndWaiters(path, false)
		require.NoError(t, err)
		return slices.ContainsFunc(hs, func(h Holder) bool { return h.PID == waiter })
	}
	require.True(t, proc.WaitUntil(nil, time.Minute, 5*time.Millisecond, waiting), "the waiter never showed in /proc/locks")
	require.Len(t, hs, 2, "%+v", hs)
	assert.Equal(t, Holder{PID: reader, Mode: ModeRead, Type: "POSIX", File: hs[0].File, Device: hs[0].Device, Inode: hs[0].Inode}, hs[0])
	assert.Equal(t, Holder{PID: waiter, Mode: ModeWrite, Type: "POSIX", File: hs[0].File, Device: hs[0].Device, Inode: hs[0].Inode, Waiting: true}, hs[1])
	plain, err := Locks(path, true)
	require.NoError(t, err)
	assert.Equal(t, []int{reader}, pids(plain), "Locks lists no waiter")
	inspected, err := LocksAndWaiters(path, true)
	require.NoError(t, err)
	assert.Equal(t, hs, inspected, "F_GETLK adds nothing /proc/locks lists")

	// The reader lets go: the waiter takes the lock.
	release()
	line, err = out.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "locked\n", line)
	hs, err = LocksAndWaiters(path, false)
	require.NoError(t, err)
	require.Len(t, hs, 1)
	assert.Equal(t, waiter, hs[0].PID)
	assert.False(t, hs[0].Waiting)
	assert.Equal(t, ModeWrite, hs[0].Mode)
}
