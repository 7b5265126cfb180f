// Package proc starts, stops and inspects the child processes lockbench runs: trials, sim
// workers, competitors and the commands of repro cases.
//
// Every process lockbench starts must be gone when lockbench exits. StartGroup makes a command
// the leader of a process group of its own and asks the kernel to SIGKILL it when its parent
// dies (a parent-death signal); StartMember keeps it in the parent's group, with the same
// signal, so that whoever kills that group kills it too. KillGroup and Wait end a whole group,
// the /proc readers (ReadStat, Exe, Cmdline, Members, ...) say what a process is, and
// WaitUntil polls for something the caller itself caused.
//
// proc imports only the standard library, golang.org/x/sys and internal/crash (a leaf), so
// that the workload (sim) can use it as well as the harness.
package proc

import (
	"context"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"

	"lockbench/internal/crash"
)

// StartGroup starts cmd as the leader of a new process group (the group's ID is cmd's PID),
// with SIGKILL as its parent-death signal: the kernel kills it when the thread that started it
// ends, which for a Go program means when the program dies. Other SysProcAttr fields are kept.
func StartGroup(cmd *exec.Cmd) error {
	attr(cmd).Setpgid = true
	return cmd.Start()
}

// StartMember starts cmd in the caller's own process group (a harness that kills that group
// kills cmd too), with SIGKILL as its parent-death signal as StartGroup does.
func StartMember(cmd *exec.Cmd) error {
	attr(cmd)
	return cmd.Start()
}

// attr returns cmd's SysProcAttr, created when nil, with the parent-death signal set.
func attr(cmd *exec.Cmd) *syscall.SysProcAttr {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	return cmd.SysProcAttr
}

// KillGroup sends SIGKILL to every process of group pgid. A group that is already gone is not
// an error: there is nothing left to kill.
func KillGroup(pgid int) {
	_ = unix.Kill(-pgid, unix.SIGKILL)
}

// SignalGroup sends sig to every process of group pgid.
func SignalGroup(pgid int, sig syscall.Signal) error {
	return unix.Kill(-pgid, sig)
}

// Wait waits for cmd, started by StartGroup, to exit and returns cmd.Wait's error. When ctx
// ends first, Wait kills cmd's whole process group, reaps cmd and reports killed.
func Wait(ctx context.Context, cmd *exec.Cmd) (killed bool, err error) {
	done := make(chan error, 1)
	crash.Go(func() { done <- cmd.Wait() })
	select {
	case err = <-done:
		return false, err
	case <-ctx.Done():
		KillGroup(cmd.Process.Pid)
		return true, <-done
	}
}
