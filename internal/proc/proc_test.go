package proc_test

import (
	"bufio"
	"context"
	"fmt"
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

	"lockbench/internal/proc"
)

// roleEnv makes the test binary start a process group of its own and print the leader's PID,
// then wait to be killed: a parent whose death must take the group with it.
const roleEnv = "LOCKBENCH_PROC_TEST_ROLE"

func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) == "parent" {
		cmd := exec.Command("sleep", "600")
		if err := proc.StartGroup(cmd); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(cmd.Process.Pid)
		_ = cmd.Wait()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// patience bounds the waits for something a test caused; no test asserts how long it took.
const patience = 30 * time.Second

// shell starts `sh -c script` with start and stops its group when the test ends.
func shell(t *testing.T, start func(*exec.Cmd) error, script string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	require.NoError(t, start(cmd))
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

func TestStartGroupLeadsANewGroup(t *testing.T) {
	cmd := shell(t, proc.StartGroup, "sleep 600 & sleep 600 & wait")
	pid := cmd.Process.Pid
	st, ok := proc.ReadStat(pid)
	require.True(t, ok)
	assert.Equal(t, pid, st.PGRP, "the leader's PID is the group's ID")
	assert.Equal(t, os.Getpid(), st.PPID)
	assert.NotEqual(t, syscall.Getpgrp(), st.PGRP, "not in the test's own group")
	require.True(t, proc.WaitUntil(nil, patience, 2*time.Millisecond, func() bool { return len(proc.Members(pid)) == 3 }),
		"the shell and its two sleeps: %v", proc.Members(pid))
	others := proc.PendingMembers(pid)
	assert.Len(t, others, 2, "the sleeps, without their leader")
	assert.NotContains(t, others, pid)
	for _, o := range others {
		assert.Equal(t, "sleep 600", proc.Cmdline(o))
	}
	assert.Contains(t, others, proc.FirstChild(pid))

	killed, err := proc.Wait(ctxDone(), cmd)
	assert.True(t, killed)
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal())
	// The sleeps were killed too (init reaps them in its own time).
	assert.True(t, proc.WaitUntil(nil, patience, 2*time.Millisecond, func() bool { return !slices.ContainsFunc(proc.Members(pid), alive) }),
		"the group is dead: %v", proc.Members(pid))
}

// alive reports whether pid exists and has not exited (a zombie has).
func alive(pid int) bool {
	s := proc.State(pid)
	return s != 0 && s != 'Z' && s != 'X'
}

// ctxDone returns a context that has already ended.
func ctxDone() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestStartMemberStaysInTheGroup(t *testing.T) {
	cmd := shell(t, proc.StartMember, "exec sleep 600")
	st, ok := proc.ReadStat(cmd.Process.Pid)
	require.True(t, ok)
	assert.Equal(t, syscall.Getpgrp(), st.PGRP)
	assert.Equal(t, syscall.SIGKILL, cmd.SysProcAttr.Pdeathsig)
}

func TestStartKeepsOtherAttributes(t *testing.T) {
	cmd := exec.Command("true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid()), NoSetGroups: true}}
	require.NoError(t, proc.StartGroup(cmd))
	require.NoError(t, cmd.Wait())
	assert.NotNil(t, cmd.SysProcAttr.Credential)
	assert.True(t, cmd.SysProcAttr.Setpgid)
	assert.Equal(t, syscall.SIGKILL, cmd.SysProcAttr.Pdeathsig)
}

func TestWaitReturnsTheExit(t *testing.T) {
	cmd := exec.Command("sh", "-c", "exit 3")
	require.NoError(t, proc.StartGroup(cmd))
	killed, err := proc.Wait(context.Background(), cmd)
	assert.False(t, killed)
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 3, ee.ExitCode())
}

// TestParentDeathKillsTheGroup kills a parent with SIGKILL (no chance to clean up): the
// group leader it started must die with it.
func TestParentDeathKillsTheGroup(t *testing.T) {
	parent := exec.Command(os.Args[0], "-test.run=^$")
	parent.Env = append(os.Environ(), roleEnv+"=parent")
	out, err := parent.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, proc.StartGroup(parent))
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	child, err := strconv.Atoi(strings.TrimSpace(line))
	require.NoError(t, err)
	assert.Equal(t, "sleep 600", proc.Cmdline(child))
	t.Cleanup(func() { // when the test fails
		if alive(child) && proc.Cmdline(child) == "sleep 600" {
			proc.KillGroup(child)
		}
	})
	require.NoError(t, parent.Process.Kill())
	_ = parent.Wait()
	assert.True(t, proc.WaitUntil(nil, patience, 2*time.Millisecond, func() bool { return !alive(child) }),
		"pid %d outlived its parent (state %c)", child, proc.State(child))
}

func TestSignalGroupStopsEveryMember(t *testing.T) {
	cmd := shell(t, proc.StartGroup, "sleep 600 & wait")
	pid := cmd.Process.Pid
	require.True(t, proc.WaitUntil(nil, patience, 2*time.Millisecond, func() bool { return len(proc.Members(pid)) == 2 }))
	require.NoError(t, proc.SignalGroup(pid, syscall.SIGSTOP))
	for _, m := range proc.Members(pid) {
		assert.True(t, proc.WaitUntil(nil, patience, 2*time.Millisecond, func() bool { return proc.State(m) == 'T' }),
			"pid %d is stopped (state %c)", m, proc.State(m))
	}
	proc.KillGroup(pid)
	_ = cmd.Wait()
	// The sleep was killed too; once init has reaped it the group is gone.
	require.True(t, proc.WaitUntil(nil, patience, 2*time.Millisecond, func() bool { return len(proc.Members(pid)) == 0 }))
	proc.KillGroup(pid) // a group that is gone is no error
	assert.Error(t, proc.SignalGroup(pid, syscall.SIGCONT))
}

func TestPendingMembersKeepsZombiesTheLeaderMustReap(t *testing.T) {
	// The leader does not reap its child until it reads a line: the child stays a zombie of
	// the group's leader, which is still pending.
	cmd := exec.Command("sh", "-c", "sleep 0 & read x; wait")
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, proc.StartGroup(cmd))
	defer func() { proc.KillGroup(cmd.Process.Pid); _ = cmd.Wait() }()
	pid := cmd.Process.Pid
	var zombie int
	require.True(t, proc.WaitUntil(nil, patience, 2*time.Millisecond, func() bool {
		for _, m := range proc.PendingMembers(pid) {
			if proc.State(m) == 'Z' {
				zombie = m
				return true
			}
		}
		return false
	}), "the exited sleep is a zombie the leader has yet to reap")
	_, _ = in.Write([]byte("\n"))
	assert.True(t, proc.WaitUntil(nil, patience, 2*time.Millisecond, func() bool { return !slices.Contains(proc.PendingMembers(pid), zombie) }))
}

func TestReadersOfThisProcess(t *testing.T) {
	self := os.Getpid()
	st, ok := proc.ReadStat(self)
	require.True(t, ok)
	assert.Contains(t, "RS", string(st.State), "this test is running or sleeping")
	assert.Equal(t, os.Getppid(), st.PPID)
	assert.Equal(t, syscall.Getpgrp(), st.PGRP)

	exe, err := os.Executable()
	require.NoError(t, err)
	exe, err = filepath.EvalSymlinks(exe)
	require.NoError(t, err)
	assert.Equal(t, exe, proc.Exe(self))
	assert.Equal(t, strings.Join(os.Args, " "), proc.Cmdline(self))
	ns := proc.NSpid(self)
	require.NotEmpty(t, ns)
	assert.Equal(t, strconv.Itoa(self), ns[len(ns)-1], "the innermost namespace's PID is the one this process sees")

	f, err := os.CreateTemp(t.TempDir(), "open")
	require.NoError(t, err)
	assert.True(t, proc.HasOpen(self, f.Name()))
	require.NoError(t, f.Close())
	assert.False(t, proc.HasOpen(self, f.Name()))

	assert.Contains(t, proc.PIDs(), self)
	assert.True(t, slices.IsSorted(proc.PIDs()))
}

func TestReadersOfNoProcess(t *testing.T) {
	for _, pid := range []int{0, -1, 1 << 30} {
		_, ok := proc.ReadStat(pid)
		assert.False(t, ok, "pid %d", pid)
		assert.Zero(t, proc.State(pid))
		assert.Empty(t, proc.Exe(pid))
		assert.Empty(t, proc.Cmdline(pid))
		assert.Nil(t, proc.NSpid(pid))
		assert.False(t, proc.HasOpen(pid, "/"))
	}
}

func TestWaitUntil(t *testing.T) {
	closed := make(chan struct{})
	close(closed)
	calls := 0
	tests := []struct {
		name string
		stop <-chan struct{}
		d    time.Duration
		cond func() bool
		want bool
	}{
		{"true at once", nil, time.Hour, func() bool { return true }, true},
		{"true on the third call", nil, time.Hour, func() bool { calls++; return calls >= 3 }, true},
		{"never true: the deadline", nil, 0, func() bool { return false }, false},
		{"stopped: cond's last value", closed, time.Hour, func() bool { return false }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, proc.WaitUntil(tt.stop, tt.d, time.Millisecond, tt.cond))
		})
	}
	assert.Equal(t, 3, calls)
}
