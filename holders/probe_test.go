package holders

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inspected is what inspectMain prints.
type inspected struct {
	Lookup  []Holder
	Inspect []Holder
	Err     string
}

// inspectMain prints Lookup's and Inspect's findings on path as JSON.
func inspectMain(path string) int {
	var out inspected
	var err1, err2 error
	out.Lookup, err1 = Lookup(path)
	out.Inspect, err2 = Inspect(path)
	if err := errors.Join(err1, err2); err != nil {
		out.Err = err.Error()
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		return 1
	}
	return 0
}

// unshareOrSkip returns the unshare command, or skips the test when this machine cannot create
// PID namespaces (not root, no unshare, or a sandbox that forbids it).
func unshareOrSkip(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("no unshare command (util-linux) on PATH: cannot create PID namespaces")
	}
	if out, err := exec.Command(path, "--pid", "--fork", "--mount-proc", "true").CombinedOutput(); err != nil {
		t.Skipf("cannot create PID namespaces here (uid %d): unshare --pid --fork --mount-proc: %v: %s", os.Geteuid(), err, strings.TrimSpace(string(out)))
	}
	return path
}

func TestProbe(t *testing.T) {
	path := newDB(t)
	c, err := Probe(path)
	require.NoError(t, err)
	assert.Equal(t, Conflict{}, c, "nobody holds the file")

	w := startHolder(t, path, "rw-wal")
	c, err = Probe(path)
	require.NoError(t, err)
	assert.Equal(t, Conflict{Locked: true, Mode: ModeWrite, PID: w}, c)
	c, err = Probe(path + ".wal")
	require.NoError(t, err)
	assert.Equal(t, Conflict{Locked: true, Mode: ModeWrite, PID: w}, c)

	_, err = Probe(filepath.Join(t.TempDir(), "missing.db"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestProbeReaders(t *testing.T) {
	path := newDB(t)
	r1 := startHolder(t, path, "ro")
	r2 := startHolder(t, path, "ro")
	c, err := Probe(path)
	require.NoError(t, err)
	assert.True(t, c.Locked)
	assert.Equal(t, ModeRead, c.Mode)
	assert.Contains(t, []int{r1, r2}, c.PID, "F_GETLK names one of the readers")
}

// TestInspectSameAsLookupWhenEveryOwnerIsVisible checks that on the host, where /proc/locks
// lists every lock, the probe adds nothing and leaves the holder's locks in place.
func TestInspectSameAsLookupWhenEveryOwnerIsVisible(t *testing.T) {
	path := newDB(t)
	w := startHolder(t, path, "rw-wal")
	want, err := Lookup(path)
	require.NoError(t, err)
	require.Len(t, want, 2)
	for range 3 {
		got, err := Inspect(path)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	assert.Len(t, procLocksIDs(t, w), 2, "the holder keeps both locks")

	free := newDB(t)
	got, err := Inspect(free)
	require.NoError(t, err)
	assert.Empty(t, got)
}

// TestInspectOutsideNamespace runs Lookup and Inspect inside a new PID namespace while a
// process on the host holds the file: /proc/locks there lists nothing, F_GETLK reports the
// locks with PID 0, and Inspect lists them as held outside the namespace with the device and
// inode that /proc/locks on the host shows for the holder.
func TestInspectOutsideNamespace(t *testing.T) {
	unshare := unshareOrSkip(t)
	path := newDB(t)
	w := startHolder(t, path, "rw-wal")

	cmd := exec.Command(unshare, "--pid", "--fork", "--mount-proc", "--kill-child", os.Args[0], path)
	cmd.Env = append(os.Environ(), inspectEnv+"=1")
	out, err := cmd.Output()
	require.NoError(t, err)
	var got inspected
	require.NoError(t, json.Unmarshal(out, &got), "%s", out)
	assert.Empty(t, got.Err)
	assert.Empty(t, got.Lookup, "/proc/locks inside the namespace hides the host's lock")
	require.Len(t, got.Inspect, 2, "F_GETLK still sees the locks on the file and its .wal")
	for i, file := range []string{path, path + ".wal"} {
		h := got.Inspect[i]
		assert.Equal(t, file, h.File)
		assert.True(t, h.OutsideNamespace)
		assert.Equal(t, 0, h.PID)
		assert.Equal(t, ModeWrite, h.Mode)
		assert.Empty(t, h.Exe)
	}
	assert.ElementsMatch(t, procLocksIDs(t, w), []string{lockID(got.Inspect[0]), lockID(got.Inspect[1])},
		"device and inode match what the host's /proc/locks shows for the holder")
	assert.Equal(t, fmt.Sprintf("a process outside this PID namespace holds a write lock on %s (device %s, inode %d; F_GETLK says PID 0, /proc/locks here does not list it)",
		path, got.Inspect[0].Device, got.Inspect[0].Inode), Describe(got.Inspect[0]))
}

func TestProbeErrorUnwraps(t *testing.T) {
	e := fmt.Errorf("lock holders of x: %w", &ProbeError{Errs: []error{&os.PathError{Op: "open", Path: "/x", Err: os.ErrPermission}}})
	var pe *ProbeError
	assert.True(t, errors.As(e, &pe))
	assert.ErrorIs(t, e, os.ErrPermission)
	assert.Contains(t, e.Error(), "F_GETLK probe: open /x: permission denied")
}

// TestLocksIsLookupAndInspectWithoutNames checks that Locks lists the same locks as Lookup
// (probe false) and Inspect (probe true), with Exe and Cmdline left empty.
func TestLocksIsLookupAndInspectWithoutNames(t *testing.T) {
	path := newDB(t)
	startHolder(t, path, "rw-wal")
	for _, probe := range []bool{false, true} {
		want, err := Lookup(path)
		if probe {
			want, err = Inspect(path)
		}
		require.NoError(t, err)
		require.Len(t, want, 2)
		for i := range want {
			require.NotEmpty(t, want[i].Exe)
			want[i].Exe, want[i].Cmdline = "", ""
		}
		got, err := Locks(path, probe)
		require.NoError(t, err)
		assert.Equal(t, want, got, "probe %v", probe)
	}
}
