package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/harness/repro"
	"lockbench/internal/exitcode"
)

// startWriter runs `lockbench hold --write-every=1h DB` (this test binary) and returns its PID
// once it holds DB and DB.wal, and a function that stops it and waits for it.
func startWriter(t *testing.T, db string) (int, func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "hold", "--write-every=1h", db)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}
	t.Cleanup(stop)
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(line, "holding "), line)
	return cmd.Process.Pid, stop
}

// lockIDs maps each inode that pid locks to the dev:ino column /proc/locks prints for it, read
// with a plain field split.
func lockIDs(t *testing.T, pid int) map[uint64]string {
	t.Helper()
	b, err := os.ReadFile("/proc/locks")
	require.NoError(t, err)
	ids := map[uint64]string{}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[4] == strconv.Itoa(pid) {
			parts := strings.Split(f[5], ":")
			ino, err := strconv.ParseUint(parts[len(parts)-1], 10, 64)
			require.NoError(t, err)
			ids[ino] = f[5]
		}
	}
	return ids
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Sys().(*syscall.Stat_t).Ino
}

// whoInNamespace runs `lockbench who ARGS...` as PID 1 of a new PID namespace (a container's
// view) and returns its exit code and stdout.
func whoInNamespace(t *testing.T, unshare string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(unshare, append([]string{"--pid", "--fork", "--mount-proc", "--kill-child", os.Args[0], "who"}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, string(out)
}

// TestWhoOutsideThePIDNamespace runs `who` in a new PID namespace while a process on the host
// holds the file, as in a container sharing a volume with the host: /proc/locks there shows
// nothing, and who must still report both locks, truthfully, with device and inode.
func TestWhoOutsideThePIDNamespace(t *testing.T) {
	unshare, err := repro.PIDNamespaceSupport()
	if err != nil {
		t.Skip(err)
	}
	db := filepath.Join(t.TempDir(), "shared.duckdb")
	pid, stop := startWriter(t, db)
	ids := lockIDs(t, pid)
	dbID, walID := ids[inode(t, db)], ids[inode(t, db+".wal")]
	require.NotEmpty(t, dbID)
	require.NotEmpty(t, walID)
	devIno := func(id string) (string, string) {
		i := strings.LastIndexByte(id, ':')
		return id[:i], id[i+1:]
	}
	dbDev, dbIno := devIno(dbID)
	walDev, walIno := devIno(walID)

	code, out := whoInNamespace(t, unshare, db)
	assert.Equal(t, 0, code)
	want := fmt.Sprintf(`a process outside this PID namespace holds a write lock on %[1]s (device %[2]s, inode %[3]s; F_GETLK says PID 0, /proc/locks here does not list it)
a process outside this PID namespace holds a write lock on %[1]s.wal (device %[4]s, inode %[5]s; F_GETLK says PID 0, /proc/locks here does not list it)
to name it, run `+"`lockbench who %[1]s`"+` on the host or in the holder's container (the path may differ there; look for %[6]s and %[7]s in the host's /proc/locks)
`, db, dbDev, dbIno, walDev, walIno, dbID, walID)
	listed, storage := cutStorageLine(t, out)
	assert.Equal(t, want, listed)
	assert.True(t, strings.HasPrefix(storage, "storage version "), storage)

	code, out = whoInNamespace(t, unshare, "--json", db)
	assert.Equal(t, 0, code)
	var whoOut struct {
		Holders        []map[string]any `json:"holders"`
		StorageVersion map[string]any   `json:"storage_version"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &whoOut), out)
	hs := whoOut.Holders
	require.Len(t, hs, 2)
	assert.NotNil(t, whoOut.StorageVersion, "the headers are read through the namespace too")
	for i, file := range []string{db, db + ".wal"} {
		assert.Equal(t, file, hs[i]["File"])
		assert.Equal(t, true, hs[i]["OutsideNamespace"], "--json marks the entry")
		assert.Equal(t, 0.0, hs[i]["PID"])
		assert.Equal(t, "write", hs[i]["Mode"])
	}
	assert.Equal(t, []string{dbID, walID}, []string{fmt.Sprintf("%s:%.0f", hs[0]["Device"], hs[0]["Inode"]), fmt.Sprintf("%s:%.0f", hs[1]["Device"], hs[1]["Inode"])})

	// On the host the same command names the holder.
	code, host, _ := lockbench(t, "who", db)
	assert.Equal(t, 0, code)
	assert.Contains(t, host, fmt.Sprintf("pid %d holds a write lock on %s (", pid, db))
	assert.NotContains(t, host, "outside")

	// A competing open from the namespace gets DuckDB's PID 0, and the explanation says where
	// the holder can be named.
	open := exec.Command(unshare, "--pid", "--fork", "--mount-proc", "--kill-child", os.Args[0], "hold", "--for=1ms", db)
	var stderr strings.Builder
	open.Stderr = &stderr
	err = open.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, int(exitcode.Fail), ee.ExitCode())
	assert.Contains(t, stderr.String(), `DuckDB said: IO Error: Could not set lock on file "`+db+`": Conflicting lock is held in PID 0.`)
	assert.Contains(t, stderr.String(), "next: the holder is in another container or PID namespace")
	assert.Contains(t, stderr.String(), "`lockbench who "+db+"` on the host names it.")

	// Once the holder is gone, and only then, nobody holds a lock.
	stop()
	code, out = whoInNamespace(t, unshare, db)
	assert.Equal(t, 0, code)
	listed, _ = cutStorageLine(t, out)
	assert.Equal(t, "nobody holds a lock on "+db+"\n", listed)
}

// cutStorageLine splits who's output into the holders and its last line, the storage version.
func cutStorageLine(t *testing.T, out string) (listed, storage string) {
	t.Helper()
	trimmed := strings.TrimSuffix(out, "\n")
	i := strings.LastIndexByte(trimmed, '\n')
	require.Greater(t, i, 0, "who prints the holders, then the storage version: %q", out)
	return trimmed[:i+1], trimmed[i+1:]
}

// TestWhoCannotProbe checks that who does not claim that nobody holds a file it could not probe:
// a DuckDB file this user may not open can be stat'ed but not opened, so F_GETLK cannot check it.
// (A socket, which cannot be opened either, is not a database at all: bad input, exit 2.)
func TestWhoCannotProbe(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	db := filepath.Join(dir, "private.duckdb")
	code, _, stderr := lockbench(t, "simulate", "--db", db, "--employees", "50", "--years", "2025")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, os.Chmod(db, 0o600))
	who := func(args ...string) (int, string, string) {
		if os.Geteuid() == 0 {
			return asNobody(t, dir, args...) // root may open any file
		}
		require.NoError(t, os.Chmod(db, 0o000))
		defer os.Chmod(db, 0o600)
		return lockbench(t, args...)
	}

	code, out, stderr := who("who", db)
	assert.Equal(t, int(exitcode.Unknown), code, stderr)
	assert.Equal(t, "no lock on "+db+" is listed in /proc/locks, and F_GETLK could not check it\n", out)
	assert.Contains(t, stderr, "F_GETLK probe: open "+db)
	assert.Contains(t, stderr, "run `lockbench who` on the host to be sure")
	assert.NotContains(t, out, "nobody")

	code, out, _ = who("who", "--json", db)
	assert.Equal(t, int(exitcode.Unknown), code)
	assert.Contains(t, out, `"holders": []`)

	sockDir, err := os.MkdirTemp("", "who") // a short path: socket paths are limited to 108 bytes
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(sockDir) })
	sock := filepath.Join(sockDir, "s.duckdb")
	l, err := net.Listen("unix", sock)
	require.NoError(t, err)
	defer l.Close()
	code, _, stderr = lockbench(t, "who", sock)
	assert.Equal(t, int(exitcode.Usage), code)
	assert.Contains(t, stderr, sock+" is not a regular file")
}
