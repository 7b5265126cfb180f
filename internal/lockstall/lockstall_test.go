package lockstall_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"lockbench/internal/lockstall"
)

// lockerEnv makes the test binary a locker: it write-locks each file named in its arguments
// with fcntl(F_SETLK), in order, prints "locked PATH" after each, and exits when its standard
// input closes.
const lockerEnv = "LOCKSTALL_TEST_LOCKER"

func TestMain(m *testing.M) {
	if os.Getenv(lockerEnv) == "1" {
		os.Exit(locker(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func locker(paths []string) int {
	for _, p := range paths {
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		lk := unix.Flock_t{Type: unix.F_WRLCK}
		if err := unix.FcntlFlock(f.Fd(), unix.F_SETLK, &lk); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Printf("locked %s\n", p)
		defer f.Close()
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	return 0
}

// lockHolder returns the PID of the process holding a POSIX lock on path, or 0. The test
// process holds no lock on the file, so F_GETLK from here reports the locker's.
func lockHolder(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	lk := unix.Flock_t{Type: unix.F_RDLCK}
	require.NoError(t, unix.FcntlFlock(f.Fd(), unix.F_GETLK, &lk))
	if lk.Type == unix.F_UNLCK {
		return 0
	}
	return int(lk.Pid)
}

func TestStallHoldsTheLockCallOnTheFileOnly(t *testing.T) {
	dir := t.TempDir()
	other, target := filepath.Join(dir, "other"), filepath.Join(dir, "target")
	for _, p := range []string{other, target} {
		require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	cmd := exec.Command(exe, other, target)
	cmd.Env = append(os.Environ(), lockerEnv+"=1")
	cmd.SysProcAttr = &unix.SysProcAttr{Pdeathsig: unix.SIGKILL}
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	s, err := lockstall.Start(cmd, target)
	if errors.Is(err, lockstall.ErrUnsupported) {
		t.Skip(err)
	}
	require.NoError(t, err)
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
		s.Close()
	}()
	lines := bufio.NewScanner(out)

	require.True(t, lines.Scan(), "the lock on the other file is not held back")
	assert.Equal(t, "locked "+other, lines.Text())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	select {
	case <-s.Reached():
	case <-ctx.Done():
		t.Fatal("the locker never called fcntl(F_SETLK) on the target")
	}
	assert.Equal(t, cmd.Process.Pid, lockHolder(t, other))
	assert.Zero(t, lockHolder(t, target), "held at its lock call, the locker has no lock on the target")

	require.NoError(t, s.Release())
	require.True(t, lines.Scan())
	assert.Equal(t, "locked "+target, lines.Text())
	assert.Equal(t, cmd.Process.Pid, lockHolder(t, target))
	stdin.Close()
	require.NoError(t, cmd.Wait())
	assert.NoError(t, s.Err())
}

func TestStartFailure(t *testing.T) {
	s, err := lockstall.Start(exec.Command(filepath.Join(t.TempDir(), "missing")), "/nonexistent")
	if errors.Is(err, lockstall.ErrUnsupported) {
		t.Skip(err)
	}
	require.Error(t, err)
	assert.Nil(t, s)
	assert.True(t, strings.Contains(err.Error(), "no such file"), "%v", err)
}
