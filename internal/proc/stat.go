package proc

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// root is where the proc file system is mounted.
const root = "/proc"

// Stat is what /proc/PID/stat says about a process.
type Stat struct {
	// State is the state letter: R running, S sleeping, D in uninterruptible wait, T stopped,
	// t stopped by a tracer, Z zombie (exited, not yet reaped), X dead.
	State byte
	// PPID is the parent's PID.
	PPID int
	// PGRP is the process group's ID.
	PGRP int
}

// ReadStat reads /proc/PID/stat; ok is false when pid is gone or not visible here.
func ReadStat(pid int) (st Stat, ok bool) {
	b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(pid), "stat"))
	if err != nil {
		return Stat{}, false
	}
	return parseStat(string(b))
}

// parseStat parses a /proc/PID/stat line: `pid (comm) state ppid pgrp ...`, where comm may hold
// spaces and parentheses.
func parseStat(s string) (Stat, bool) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return Stat{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 3 || len(f[0]) == 0 {
		return Stat{}, false
	}
	pp, err1 := strconv.Atoi(f[1])
	pg, err2 := strconv.Atoi(f[2])
	if err1 != nil || err2 != nil {
		return Stat{}, false
	}
	return Stat{State: f[0][0], PPID: pp, PGRP: pg}, true
}

// State returns pid's state letter (see Stat), or 0 when pid is gone.
func State(pid int) byte {
	st, _ := ReadStat(pid)
	return st.State
}

// Exe returns the target of /proc/PID/exe (the executable DuckDB names as a lock holder), or ""
// when it cannot be read.
func Exe(pid int) string {
	if pid <= 0 {
		return ""
	}
	l, err := os.Readlink(filepath.Join(root, strconv.Itoa(pid), "exe"))
	if err != nil {
		return ""
	}
	return l
}

// Cmdline returns pid's command line with its arguments joined by spaces, or "" when it cannot
// be read (the process is gone, or is a zombie, or is in another PID namespace).
func Cmdline(pid int) string {
	if pid <= 0 {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// NSpid returns the NSpid line of /proc/PID/status: pid as each PID namespace it belongs to
// sees it, outermost first ("4242 1" for PID 1 of a child namespace); nil when unreadable.
func NSpid(pid int) []string {
	b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(pid), "status"))
	if err != nil {
		return nil
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "NSpid:"); ok {
			return strings.Fields(rest)
		}
	}
	return nil
}

// HasOpen reports whether one of pid's open descriptors is path. It only reads the links in
// /proc/PID/fd: it never opens path (which would drop the caller's POSIX locks on it).
func HasOpen(pid int, path string) bool {
	dir := filepath.Join(root, strconv.Itoa(pid), "fd")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && l == path {
			return true
		}
	}
	return false
}

// PIDs returns every process visible in /proc, in ascending order.
func PIDs() []int {
	ents, err := os.ReadDir(root)
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	slices.Sort(out)
	return out
}

// FirstChild returns a child of pid, or 0 when it has none: the first one the kernel lists in
// /proc/PID/task/PID/children, or else the first process whose parent is pid.
func FirstChild(pid int) int {
	p := strconv.Itoa(pid)
	if b, err := os.ReadFile(filepath.Join(root, p, "task", p, "children")); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			n, _ := strconv.Atoi(f[0])
			return n
		}
	}
	for _, n := range PIDs() {
		if st, ok := ReadStat(n); ok && st.PPID == pid {
			return n
		}
	}
	return 0
}

// Members returns the processes of group pgid, zombies included.
func Members(pgid int) []int {
	var out []int
	for _, pid := range PIDs() {
		if st, ok := ReadStat(pid); ok && st.PGRP == pgid {
			out = append(out, pid)
		}
	}
	return out
}

// PendingMembers returns the members of group pgid, other than its leader pgid, that still
// have to end: the live ones, and the exited ones that the leader has yet to reap. (A zombie
// whose parent is gone belongs to init; nobody in the group can reap it.)
func PendingMembers(pgid int) []int {
	var out []int
	for _, pid := range PIDs() {
		if pid == pgid {
			continue
		}
		st, ok := ReadStat(pid)
		if !ok || st.PGRP != pgid {
			continue
		}
		if (st.State != 'Z' && st.State != 'X') || st.PPID == pgid {
			out = append(out, pid)
		}
	}
	return out
}
