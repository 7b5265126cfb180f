package holders

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"lockbench/internal/proc"

	"golang.org/x/sys/unix"
)

// ProbeError says that F_GETLK could not check some of the files Inspect was given (they could
// not be opened, for example): a lock on them may be missing from Inspect's list.
type ProbeError struct {
	// Errs are the failures, one per file.
	Errs []error
}

func (e *ProbeError) Error() string {
	return "F_GETLK probe: " + errors.Join(e.Errs...).Error()
}

// Unwrap returns the failures, for errors.Is and errors.As.
func (e *ProbeError) Unwrap() []error { return e.Errs }

// Conflict is what fcntl(F_GETLK) reports about a file: the first lock that would conflict with
// a write lock on the whole file.
type Conflict struct {
	// Locked is false when no other process holds a lock on the file.
	Locked bool
	// Mode is ModeRead or ModeWrite.
	Mode string
	// PID is the owner as this PID namespace sees it: 0 when the owner is not visible here
	// (another PID namespace, or a remote lock), -1 for an open file description lock.
	PID int
}

// Probe asks the kernel, with fcntl(F_GETLK) on a descriptor of its own, whether a process
// holds a lock on path that conflicts with a write lock on the whole file, as DuckDB does
// before it names a holder. It takes no lock.
//
// Probe opens and closes path. Closing a descriptor drops every POSIX lock the calling process
// holds on that file, so Probe must never run in a process that has the database open (not
// even through another path); run it from a process that holds nothing, such as `lockbench
// who`. A process's own locks never conflict with it, so from the holder it would also see
// nothing.
func Probe(path string) (Conflict, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		return Conflict{}, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: 0, Start: 0, Len: 0}
	if err := unix.FcntlFlock(uintptr(fd), unix.F_GETLK, &lk); err != nil {
		return Conflict{}, &os.PathError{Op: "fcntl F_GETLK", Path: path, Err: err}
	}
	switch lk.Type {
	case unix.F_UNLCK:
		return Conflict{}, nil
	case unix.F_RDLCK:
		return Conflict{Locked: true, Mode: ModeRead, PID: int(lk.Pid)}, nil
	}
	return Conflict{Locked: true, Mode: ModeWrite, PID: int(lk.Pid)}, nil
}

// Inspect returns every lock on the database file at path and on its .wal, like Lookup, and
// adds what F_GETLK (Probe) finds that /proc/locks does not list: a lock whose owner is outside
// this PID namespace (OutsideNamespace, PID 0), or one taken after /proc/locks was read. So it
// returns an empty list only when no lock on either file exists at all.
//
// When a file cannot be probed, Inspect returns what it found with a *ProbeError. A missing
// database file is an error wrapping fs.ErrNotExist, as with Lookup.
//
// Inspect opens the files (see Probe): call it only from a process that holds neither.
func Inspect(path string) ([]Holder, error) { return inspect(path, true, false) }

// Locks is Inspect (probe true) or Lookup (probe false) without each holder's executable and
// command line (Exe and Cmdline stay empty): for a caller that reads the same holders many
// times a second, such as `lockbench watch`, and looks each process up once (proc.Exe,
// proc.Cmdline). With probe it opens the files, as Inspect does.
func Locks(path string, probe bool) ([]Holder, error) {
	return locks(path, probe, false)
}

// LocksAndWaiters is Locks with the processes blocked waiting for a lock on either file
// (Waiting): a process that asked with F_SETLKW while another held a conflicting lock, and
// takes the file as soon as it is let go. Each waiter comes after the holders of its file.
func LocksAndWaiters(path string, probe bool) ([]Holder, error) {
	return locks(path, probe, true)
}

func locks(path string, probe, waiters bool) ([]Holder, error) {
	if !probe {
		abs, targets, err := statTargets(path)
		if err != nil {
			return nil, err
		}
		return lookup(abs, targets, false, waiters)
	}
	return inspect(path, false, waiters)
}

// inspect is Inspect, with each holder's executable and command line when names is set, and
// the waiters when waiters is set.
func inspect(path string, names, waiters bool) ([]Holder, error) {
	abs, targets, err := statTargets(path)
	if err != nil {
		return nil, err
	}
	hs, err := lookup(abs, targets, names, waiters)
	if err != nil {
		return nil, err
	}
	var perr ProbeError
	for _, t := range targets {
		c, err := Probe(t.path)
		if err != nil {
			perr.Errs = append(perr.Errs, err)
			continue
		}
		if h, ok := unlisted(hs, t, c, names); ok {
			hs = append(hs, h)
		}
	}
	// Keep Lookup's order: the database file first, then its .wal, each by PID, waiters last.
	slices.SortStableFunc(hs, func(a, b Holder) int {
		if a.File != b.File {
			if a.File == abs {
				return -1
			}
			if b.File == abs {
				return 1
			}
		}
		if a.Waiting != b.Waiting {
			if a.Waiting {
				return 1
			}
			return -1
		}
		return a.PID - b.PID
	})
	if len(perr.Errs) > 0 {
		return hs, fmt.Errorf("lock holders of %s: %w", abs, &perr)
	}
	return hs, nil
}

// unlisted returns the holder that conflict c on t shows when /proc/locks (hs) does not list
// it, with its executable and command line when names is set. PID 0 is always unlisted:
// /proc/locks omits owners this namespace cannot see.
func unlisted(hs []Holder, t target, c Conflict, names bool) (Holder, bool) {
	if !c.Locked {
		return Holder{}, false
	}
	h := Holder{PID: c.PID, Mode: c.Mode, Type: "POSIX", File: t.path, Device: t.device(), Inode: t.ino}
	switch {
	case c.PID == 0:
		h.OutsideNamespace = true
		return h, true
	case c.PID < 0:
		h.Type = "OFDLCK"
	}
	if slices.ContainsFunc(hs, func(x Holder) bool { return x.File == t.path && x.PID == c.PID && !x.Waiting }) {
		return Holder{}, false
	}
	if names {
		h.Exe, h.Cmdline = proc.Exe(c.PID), proc.Cmdline(c.PID)
	}
	return h, true
}
