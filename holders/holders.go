// Package holders finds the processes that hold POSIX or flock locks on a DuckDB database file
// and its write-ahead log, by reading /proc/locks.
//
// Lookup never opens the database file: POSIX locks belong to a process, and closing any
// descriptor of the file drops all of that process's locks on it, so a lookup made from the
// process that has the database open must not touch the file
// (docs/duckdb-locking.md#locks-belong-to-the-process).
// Lookup only stats the paths and reads /proc, which is safe from anywhere.
//
// Inside a PID namespace (a container), /proc/locks omits every lock whose owner is not visible
// there, so Lookup can find nothing on a file that is locked. Inspect adds what fcntl(F_GETLK)
// says, the call DuckDB itself makes: it reports such a lock with PID 0. Inspect opens the
// files, so it belongs in a process that holds nothing on them, such as `lockbench who`.
package holders

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"lockbench/internal/proc"
)

// Lock modes of a Holder.
const (
	// ModeRead is a shared lock (a read-only DuckDB holder).
	ModeRead = "read"
	// ModeWrite is an exclusive lock (a read-write DuckDB holder).
	ModeWrite = "write"
)

// Holder is one lock on the database file or its .wal, as /proc/locks lists it.
type Holder struct {
	// PID is the process that owns the lock, as seen from this PID namespace (-1 for an open
	// file description lock, which has no owning process).
	PID int
	// Mode is ModeRead or ModeWrite.
	Mode string
	// Type is the kernel's lock type: POSIX (what DuckDB takes), FLOCK or OFDLCK.
	Type string
	// File is the locked path: the database file or its .wal.
	File string
	// Exe is the target of /proc/PID/exe, the executable DuckDB names in its lock error; empty
	// when it cannot be read.
	Exe string
	// Cmdline is the process's command line with arguments separated by spaces; empty when it
	// cannot be read.
	Cmdline string
	// OutsideNamespace is true for a lock whose owner this PID namespace cannot see (a process
	// in another container or PID namespace, or, on NFS, on another machine): F_GETLK reports
	// it with PID 0 and /proc/locks here does not list it. PID is then 0, and only `who` run
	// on the host or in the holder's container can name it. For a read lock, F_GETLK shows one
	// reader; there may be more.
	OutsideNamespace bool
	// Device is the locked file's device as /proc/locks prints it, major:minor in hex ("fe:00"),
	// taken from stat(2) of File.
	Device string
	// Inode is the locked file's inode number. /proc/locks on the host lists the lock as
	// Device:Inode ("fe:00:9980526").
	Inode uint64
	// Waiting is true for a process blocked waiting for a lock (fcntl F_SETLKW, or flock(2)
	// without LOCK_NB) that another process holds: it does not hold the file yet. Only
	// LocksAndWaiters reports waiters.
	Waiting bool
}

// target is a file whose locks Lookup reports.
type target struct {
	path     string
	dev      uint64
	ino      uint64
	maj, min uint32
}

// device renders the target's device as /proc/locks does: major:minor, two hex digits each
// at least.
func (t target) device() string { return fmt.Sprintf("%02x:%02x", t.maj, t.min) }

// Lookup returns every lock held on the database file at path and on path+".wal", database
// file first, then by PID. It returns an empty list when nobody holds either. A missing
// database file is an error wrapping fs.ErrNotExist; a missing .wal is normal.
//
// Locks are matched by device and inode. When only the inode matches (overlay and btrfs report
// a st_dev that differs from the superblock's device that /proc/locks prints), the lock counts
// only if one of the owning process's descriptors (/proc/PID/fd) points at the path.
func Lookup(path string) ([]Holder, error) {
	abs, targets, err := statTargets(path)
	if err != nil {
		return nil, err
	}
	return lookup(abs, targets, true, false)
}

// statTargets stats the database file at path and its .wal (skipped when missing).
func statTargets(path string) (string, []target, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", nil, fmt.Errorf("lock holders of %s: %w", path, err)
	}
	var targets []target
	for i, p := range []string{abs, abs + ".wal"} {
		var st unix.Stat_t
		if err := unix.Stat(p, &st); err != nil {
			if i > 0 && errors.Is(err, unix.ENOENT) {
				continue
			}
			return "", nil, fmt.Errorf("lock holders of %s: %w", p, &os.PathError{Op: "stat", Path: p, Err: err})
		}
		targets = append(targets, target{path: p, dev: st.Dev, ino: st.Ino, maj: unix.Major(st.Dev), min: unix.Minor(st.Dev)})
	}
	return abs, targets, nil
}

// lookup reads /proc/locks for targets, and each holder's executable and command line when
// names is set. With waiters it adds the processes waiting for a lock on them.
func lookup(abs string, targets []target, names, waiters bool) ([]Holder, error) {
	f, err := os.Open("/proc/locks")
	if err != nil {
		return nil, fmt.Errorf("lock holders of %s: %w", abs, err)
	}
	defer f.Close()
	hs, err := parseLocks(f, targets, proc.HasOpen, waiters)
	if err != nil {
		return nil, fmt.Errorf("lock holders of %s: %w", abs, err)
	}
	for i := range hs {
		if names {
			hs[i].Exe = proc.Exe(hs[i].PID)
			hs[i].Cmdline = proc.Cmdline(hs[i].PID)
		}
	}
	return hs, nil
}

// parseLocks reads /proc/locks lines and returns the locks on targets, and the blocked waiters
// (Waiting) when waiters is set. confirm reports whether process pid has a descriptor open on
// path; it decides inode-only matches.
func parseLocks(r io.Reader, targets []target, confirm func(pid int, path string) bool, waiters bool) ([]Holder, error) {
	var out []Holder
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		// 1: POSIX  ADVISORY  WRITE 13339 fe:00:9980526 0 EOF
		// 1: -> POSIX  ADVISORY  WRITE 13340 fe:00:9980526 0 EOF   (a waiter blocked by lock 1)
		f := strings.Fields(sc.Text())
		waiting := len(f) > 1 && f[1] == "->"
		if waiting {
			if !waiters {
				continue
			}
			f = append(f[:1:1], f[2:]...)
		}
		if len(f) < 8 {
			continue
		}
		id := strings.Split(f[5], ":")
		if len(id) != 3 {
			continue
		}
		maj, err1 := strconv.ParseUint(id[0], 16, 32)
		mnr, err2 := strconv.ParseUint(id[1], 16, 32)
		ino, err3 := strconv.ParseUint(id[2], 10, 64)
		pid, err4 := strconv.Atoi(f[4])
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			continue
		}
		for _, t := range targets {
			if ino != t.ino {
				continue
			}
			sameDev := uint32(maj) == t.maj && uint32(mnr) == t.min
			if !sameDev && (pid <= 0 || !confirm(pid, t.path)) {
				continue
			}
			mode := ModeRead
			if strings.EqualFold(f[3], "WRITE") {
				mode = ModeWrite
			}
			out = append(out, Holder{PID: pid, Mode: mode, Type: f[1], File: t.path, Device: t.device(), Inode: t.ino, Waiting: waiting})
			break
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	order := make(map[string]int, len(targets))
	for i, t := range targets {
		order[t.path] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		if order[out[i].File] != order[out[j].File] {
			return order[out[i].File] < order[out[j].File]
		}
		if out[i].Waiting != out[j].Waiting {
			return out[j].Waiting
		}
		return out[i].PID < out[j].PID
	})
	return out, nil
}

// Describe returns a one-line description of h, such as
// `pid 4242 holds a write lock on /r/a.db (/usr/bin/lockbench hold /r/a.db)`.
//
// A lock held outside this PID namespace reads
// `a process outside this PID namespace holds a write lock on /r/a.db (device fe:00, inode 42;
// F_GETLK says PID 0, /proc/locks here does not list it)`.
func Describe(h Holder) string {
	if h.OutsideNamespace {
		readers := ""
		if h.Mode == ModeRead {
			readers = " (one reader shown; there may be more)"
		}
		return fmt.Sprintf("a process outside this PID namespace holds a %s lock%s on %s (device %s, inode %d; F_GETLK says PID %d, /proc/locks here does not list it)",
			h.Mode, readers, h.File, h.Device, h.Inode, h.PID)
	}
	who := "pid " + strconv.Itoa(h.PID)
	if h.PID < 0 {
		who = "an open file description"
	}
	s := fmt.Sprintf("%s holds a %s lock on %s", who, h.Mode, h.File)
	if h.Type != "" && h.Type != "POSIX" {
		s += " (" + h.Type + ")"
	}
	switch {
	case h.Cmdline != "":
		s += " (" + h.Cmdline + ")"
	case h.Exe != "":
		s += " (" + h.Exe + ")"
	}
	return s
}

// Write writes what `lockbench who` prints: one line per holder of db (Describe), then, when
// some are outside this PID namespace, how to name them; or that nobody holds a lock. probeErr
// is Inspect's *ProbeError, or nil.
func Write(w io.Writer, db string, hs []Holder, probeErr error) {
	if len(hs) == 0 {
		if probeErr == nil {
			fmt.Fprintf(w, "nobody holds a lock on %s\n", db)
		} else {
			fmt.Fprintf(w, "no lock on %s is listed in /proc/locks, and F_GETLK could not check it\n", db)
		}
		return
	}
	var ids []string
	for _, h := range hs {
		fmt.Fprintln(w, Describe(h))
		if id := h.Device + ":" + fmt.Sprint(h.Inode); h.OutsideNamespace && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) > 0 {
		fmt.Fprintf(w, "to name it, run `lockbench who %s` on the host or in the holder's container "+
			"(the path may differ there; look for %s in the host's /proc/locks)\n", db, strings.Join(ids, " and "))
	}
}
