package main

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"lockbench/outcome"
)

// checkDBPath refuses, before anything opens it, a database path that DuckDB could not use: a
// directory, a device, pipe or socket (DuckDB would block on a pipe), an empty file, a file
// whose directory is missing or is a file, and a missing file when the open cannot create one
// (mayCreate false: a read-only open). It only stats; the file is never opened. What it cannot
// see without opening (a file that is not a DuckDB database, missing permissions) DuckDB
// reports, and outcome.BadDatabasePath recognises.
func checkDBPath(path string, mayCreate bool) error {
	if path == "" {
		return usageErr("no database path: give the path of a DuckDB database file")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return usageErr("database path %s: %v", path, err)
	}
	bad := func(reason string, err error) error {
		return &outcome.BadPathError{Path: abs, Reason: reason, Err: err} // exit 2, decided by its type
	}
	st, err := os.Stat(abs)
	switch {
	case err == nil:
		switch {
		case st.IsDir():
			return bad(outcome.PathIsDirectory, nil)
		case !st.Mode().IsRegular():
			return bad(outcome.PathNotRegular, nil)
		case st.Size() == 0:
			return bad(outcome.PathEmpty, nil)
		}
		return nil
	case errors.Is(err, syscall.ENOTDIR):
		return bad(outcome.PathParentNotDir, err)
	case errors.Is(err, fs.ErrPermission):
		return bad(outcome.PathPermission, err)
	case !errors.Is(err, fs.ErrNotExist):
		return usageErr("database path %s: %v", abs, err)
	}
	// The file does not exist: it can be created only by a read-write open, in an existing
	// directory.
	if !mayCreate {
		return bad(outcome.PathMissing, nil)
	}
	dir, err := os.Stat(filepath.Dir(abs))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return bad(outcome.PathNoParent, err)
	case errors.Is(err, syscall.ENOTDIR) || (err == nil && !dir.IsDir()):
		return bad(outcome.PathParentNotDir, err)
	}
	return nil
}

// duckdbMagic is the text at bytes 8–11 of every DuckDB database file's header.
var duckdbMagic = []byte("DUCK")

// checkWhoPath refuses a path that cannot be a DuckDB database for `who`: a directory, a device,
// pipe or socket, or a non-empty file whose header lacks DuckDB's magic. An empty file passes (a
// database being created is empty for a moment), and so does a file it may not read. who holds
// no lock, so reading the header cannot drop anyone's lock.
func checkWhoPath(path string) error {
	abs, err := filepath.Abs(path)
	if err != nil {
		return usageErr("database path %s: %v", path, err)
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR):
		return usageErr("%s does not exist, so nobody holds a lock on it: give the path of a DuckDB database file", abs)
	case err != nil:
		return usageErr("database path %s: %v", abs, err)
	case st.IsDir():
		return &outcome.BadPathError{Path: abs, Reason: outcome.PathIsDirectory}
	case !st.Mode().IsRegular():
		return &outcome.BadPathError{Path: abs, Reason: outcome.PathNotRegular}
	case st.Size() == 0:
		return nil
	}
	f, err := os.Open(abs)
	if err != nil {
		return nil // unreadable: /proc/locks can still name its holders
	}
	defer f.Close()
	head := make([]byte, 12)
	if n, _ := io.ReadFull(f, head); n < len(head) || !bytes.Equal(head[8:12], duckdbMagic) {
		return usageErr("%s is not a DuckDB database (its header lacks DuckDB's magic): give the path of a DuckDB database file", abs)
	}
	return nil
}
