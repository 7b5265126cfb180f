package harness

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"lockbench/harness/competitor"
	"lockbench/history"
	"lockbench/holders"
	"lockbench/internal/proc"
	"lockbench/outcome"
	"lockbench/vocab"
)

// strangerLife bounds how long a stranger started by a test lives if the test cannot kill it.
const strangerLife = 3 * time.Minute

// waitForLock is the "waitlock" role: it opens path, prints "waiting", waits for a write lock on
// the whole file with F_SETLKW (as a program blocked on the file would), prints "locked" once it
// has it and keeps it. It ends after strangerLife, or when it is killed.
func waitForLock(path string) int {
	time.AfterFunc(strangerLife, func() { os.Exit(0) })
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("waiting")
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
	if err := unix.FcntlFlock(f.Fd(), unix.F_SETLKW, &lk); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	select {}
}

// startStranger starts this test binary in role with args as a process that does not descend
// from the test: a shell in a session of its own starts it in the background and exits, so it is
// re-parented (to init or the nearest subreaper, an ancestor of the test) and its process group
// is the shell's, which is gone. It returns the stranger's PID once its output starts with
// ready. The stranger is killed when the test ends.
func startStranger(t *testing.T, role, ready string, args ...string) int {
	t.Helper()
	out := filepath.Join(t.TempDir(), "stranger.out")
	sh := exec.Command("sh", append([]string{"-c", `"$@" >"$STRANGER_OUT" 2>&1 </dev/null & echo $!`, "sh", self()}, args...)...)
	sh.Env = append(os.Environ(), roleEnv+"="+role, "STRANGER_OUT="+out)
	sh.SysProcAttr = &unix.SysProcAttr{Setsid: true}
	b, err := sh.Output()
	require.NoError(t, err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	t.Cleanup(func() { _ = unix.Kill(pid, unix.SIGKILL) })
	var text string
	ok := proc.WaitUntil(nil, time.Minute, 10*time.Millisecond, func() bool {
		b, _ := os.ReadFile(out)
		text = string(b)
		return strings.HasPrefix(text, ready)
	})
	require.True(t, ok, "the stranger did not get ready: %q", text)
	st, ok := proc.ReadStat(pid)
	require.True(t, ok)
	require.NotEqual(t, os.Getpid(), st.PPID, "the stranger is not the test's child")
	return pid
}

// TestStrangerWatchTellsStrangersFromOwnProcesses watches a trial file on which lockbench's own
// competitors (two readers, children of this process, as they are of the runner) and two
// strangers (a DuckDB reader and a process blocked waiting for a write lock, started outside
// this process's tree) take locks. The interval is an hour: the watch samples only when it
// starts, when the test asks, and when it finishes, so every sample falls at a moment the test
// knows.
func TestStrangerWatchTellsStrangersFromOwnProcesses(t *testing.T) {
	db := filepath.Join(t.TempDir(), DBName)
	sw := startStrangerWatch(context.Background(), time.Hour, db)
	require.NotNil(t, sw)
	require.NoError(t, sw.err)

	comp, err := competitor.Start(context.Background(), competitor.Spec{Kind: vocab.Readers, Count: 2}, competitor.Env{DB: db, Launcher: testRoles().Holder})
	require.NoError(t, err)
	defer comp.Stop()
	require.NoError(t, sw.s.Sample())

	reader := startStranger(t, "hold", competitor.ReadyPrefix, "--read-only", "--for", strangerLife.String(), db)
	waiter := startStranger(t, "waitlock", "waiting", db)
	blocked := proc.WaitUntil(nil, time.Minute, 10*time.Millisecond, func() bool {
		hs, err := holders.LocksAndWaiters(db, false)
		require.NoError(t, err)
		return slices.ContainsFunc(hs, func(h holders.Holder) bool { return h.PID == waiter && h.Waiting })
	})
	require.True(t, blocked, "the waiter never blocked")
	require.NoError(t, sw.s.Sample())
	require.NoError(t, comp.Stop())

	// The trial failed on the stranger reader's lock, as DuckDB names it.
	o := outcome.Outcome{Kind: vocab.LockConflict, HolderPID: reader, HolderRole: vocab.RoleOther}
	tw := sw.finish(o, nil)
	require.NotNil(t, tw)
	assert.Empty(t, tw.Note)
	assert.Equal(t, 4, tw.Samples, "at the start, the test's two, at the finish")
	assert.Equal(t, 2, tw.OwnLocks, "the two competitor readers' locks, left out")
	require.Len(t, tw.Strangers, 2, "%+v", tw.Strangers)
	byPID := map[int]history.Stranger{}
	for _, s := range tw.Strangers {
		byPID[s.PID] = s
		assert.Equal(t, self(), s.Exe)
		assert.Equal(t, DBName, s.File)
		assert.True(t, s.StillHeld, "still there when the trial ended")
		assert.Positive(t, s.StartS, "first seen by the test's sample, after the watch began")
		assert.GreaterOrEqual(t, s.EndS, s.StartS)
	}
	require.Contains(t, byPID, reader)
	require.Contains(t, byPID, waiter)
	assert.Equal(t, holders.ModeRead, byPID[reader].Mode)
	assert.False(t, byPID[reader].Waiting)
	assert.True(t, byPID[reader].Named, "the lock error named it")
	assert.Equal(t, self()+" --read-only --for "+strangerLife.String()+" $TRIAL_DIR/"+DBName, byPID[reader].Cmdline,
		"the trial directory is written as in the trial's messages")
	assert.Equal(t, holders.ModeWrite, byPID[waiter].Mode)
	assert.True(t, byPID[waiter].Waiting)
	assert.False(t, byPID[waiter].Named)

	assert.Nil(t, startStrangerWatch(context.Background(), 0, db).finish(o, nil), "no watch, no record")
}
