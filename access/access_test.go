package access_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"lockbench/access"
	"lockbench/internal/proc"
)

// waiters counts the flock(2) waiters on path (the "->" lines of /proc/locks on its inode).
func waiters(t *testing.T, path string) int {
	var st unix.Stat_t
	if unix.Stat(path, &st) != nil {
		return 0
	}
	b, err := os.ReadFile("/proc/locks")
	require.NoError(t, err)
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 7 && f[1] == "->" && strings.HasSuffix(f[6], ":"+strconv.FormatUint(st.Ino, 10)) {
			n++
		}
	}
	return n
}

// TestOpensShareACloseExcludes: opens take the open lock together; a close waits for the opens
// in progress, and an open waits for a close in progress.
func TestOpensShareACloseExcludes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "o.duckdb")
	ctx := context.Background()
	open1, waited, err := access.EnterOpen(ctx, db)
	require.NoError(t, err)
	assert.Zero(t, waited)
	assert.FileExists(t, access.OpenLockPath(db))
	open2, waited, err := access.EnterOpen(ctx, db)
	require.NoError(t, err)
	assert.Zero(t, waited, "opens share the lock")

	type entered struct {
		leave  func()
		waited time.Duration
		err    error
	}
	enter := func(f func(context.Context, string) (func(), time.Duration, error), ctx context.Context) <-chan entered {
		ch := make(chan entered, 1)
		go func() {
			l, w, err := f(ctx, db)
			ch <- entered{l, w, err}
		}()
		return ch
	}
	blocked := func(ch <-chan entered, what string) {
		t.Helper()
		require.True(t, proc.WaitUntil(nil, time.Minute, time.Millisecond, func() bool { return waiters(t, access.OpenLockPath(db)) == 1 }),
			"%s blocks", what)
		select {
		case <-ch:
			t.Fatalf("%s returned while the lock was held", what)
		default:
		}
	}
	closing := enter(access.EnterClose, ctx)
	blocked(closing, "a close during two opens")
	open1()
	blocked(closing, "a close during one open")
	open2()
	c := <-closing
	require.NoError(t, c.err)
	assert.Positive(t, c.waited)

	opening := enter(access.EnterOpen, ctx)
	blocked(opening, "an open during a close")
	c.leave()
	o := <-opening
	require.NoError(t, o.err)
	assert.Positive(t, o.waited)

	// A close that waits until ctx ends says so, and leaves nothing held.
	cctx, cancel := context.WithCancel(ctx)
	cancelled := enter(access.EnterClose, cctx)
	blocked(cancelled, "a close during an open")
	cancel()
	assert.ErrorIs(t, (<-cancelled).err, context.Canceled)
	o.leave()
	// The cancelled close's flock may still be granted for a moment, then its descriptor is
	// closed: the lock can be had again.
	l, _, err := access.EnterClose(ctx, db)
	require.NoError(t, err)
	l()
}

// TestEnterOpenUnguarded: where the lock file cannot be made, the open goes ahead without it,
// and DuckDB reports what is wrong with the path.
func TestEnterOpenUnguarded(t *testing.T) {
	db := filepath.Join(t.TempDir(), "missing", "o.duckdb")
	leave, waited, err := access.EnterOpen(context.Background(), db)
	require.NoError(t, err)
	assert.Zero(t, waited)
	leave()
	assert.NoFileExists(t, access.OpenLockPath(db))
}
