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

func TestEnterOpenExcludes(t *testing.T) {
	db := filepath.Join(t.TempDir(), "o.duckdb")
	ctx := context.Background()
	leave, waited, err := access.EnterOpen(ctx, db)
	require.NoError(t, err)
	assert.Zero(t, waited)
	assert.FileExists(t, access.OpenLockPath(db))

	type entered struct {
		leave  func()
		waited time.Duration
		err    error
	}
	second := make(chan entered, 1)
	go func() {
		l, w, err := access.EnterOpen(ctx, db)
		second <- entered{l, w, err}
	}()
	require.True(t, proc.WaitUntil(nil, time.Minute, time.Millisecond, func() bool { return waiters(t, access.OpenLockPath(db)) == 1 }),
		"the second EnterOpen blocks on the first")
	select {
	case <-second:
		t.Fatal("the second EnterOpen returned while the first held the lock")
	default:
	}
	leave()
	got := <-second
	require.NoError(t, got.err)
	assert.Positive(t, got.waited)

	// A third waits until ctx ends, and then says so.
	cctx, cancel := context.WithCancel(ctx)
	third := make(chan error, 1)
	go func() {
		_, _, err := access.EnterOpen(cctx, db)
		third <- err
	}()
	require.True(t, proc.WaitUntil(nil, time.Minute, time.Millisecond, func() bool { return waiters(t, access.OpenLockPath(db)) == 1 }))
	cancel()
	assert.ErrorIs(t, <-third, context.Canceled)
	got.leave()
	// The cancelled waiter's flock may still be granted for a moment, then its descriptor is
	// closed: the lock can be had again.
	l, _, err := access.EnterOpen(ctx, db)
	require.NoError(t, err, "the cancelled waiter left nothing held")
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
