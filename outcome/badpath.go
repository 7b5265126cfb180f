package outcome

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"lockbench/internal/exitcode"
)

// Reasons a path cannot be a DuckDB database, the Reason of a BadPathError.
const (
	// PathIsDirectory: the path is a directory.
	PathIsDirectory = "directory"
	// PathNotRegular: the path is a device, a pipe or a socket.
	PathNotRegular = "not-regular"
	// PathNoParent: the file does not exist and neither does its directory, so it cannot be
	// created.
	PathNoParent = "missing-parent"
	// PathParentNotDir: a component of the path's directory is a file.
	PathParentNotDir = "parent-not-directory"
	// PathNotDuckDB: the file exists but is not a DuckDB database.
	PathNotDuckDB = "not-duckdb"
	// PathEmpty: the file exists and is empty (DuckDB refuses it as not a database).
	PathEmpty = "empty"
	// PathPermission: the user may not open the file (or create it in its directory).
	PathPermission = "permission"
	// PathReadOnlyFS: the file is on a read-only file system and was opened read-write.
	PathReadOnlyFS = "read-only-fs"
	// PathMissing: the file does not exist and was opened read-only, which cannot create it.
	PathMissing = "missing"
)

// BadPathError says that a database path cannot be a DuckDB database, and what to do. Its
// text is one sentence naming the path; the file itself was left untouched.
type BadPathError struct {
	// Path is the database path (as DuckDB or the caller named it).
	Path string
	// Reason is one of the Path* constants.
	Reason string
	// Err is the underlying error (DuckDB's, or a stat error), if any.
	Err error
}

// Error returns the sentence: what is wrong with the path and what to do about it.
func (e *BadPathError) Error() string {
	p := e.Path
	dir := filepath.Dir(p)
	switch e.Reason {
	case PathIsDirectory:
		return fmt.Sprintf("%s is a directory, not a database file: give the path of a file, such as %s", p, filepath.Join(p, "simulation.duckdb"))
	case PathNotRegular:
		return fmt.Sprintf("%s is not a regular file (a device, pipe or socket): give the path of a DuckDB database file", p)
	case PathNoParent:
		return fmt.Sprintf("cannot create %s: the directory %s does not exist; create it first (mkdir -p %s) or choose another path", p, dir, dir)
	case PathParentNotDir:
		return fmt.Sprintf("cannot create %s: part of %s is a file, not a directory; choose another path", p, dir)
	case PathNotDuckDB:
		return fmt.Sprintf("%s is not a DuckDB database (lockbench left it untouched): choose another path, or move the file away if it may be replaced", p)
	case PathEmpty:
		return fmt.Sprintf("%s is an empty file, not a DuckDB database (lockbench left it untouched): remove it to let DuckDB create the database there, or choose another path", p)
	case PathPermission:
		return fmt.Sprintf("no permission to open %s: give this user read and write access to the file and its directory (read access for a read-only open), or choose another path", p)
	case PathReadOnlyFS:
		return fmt.Sprintf("%s is on a read-only file system: open it read-only, or copy it to a writable disk", p)
	case PathMissing:
		return fmt.Sprintf("%s does not exist, and a read-only open cannot create it: create the database first (lockbench hold --read-only --create does) or give an existing one", p)
	}
	if e.Err != nil {
		return fmt.Sprintf("%s cannot be a DuckDB database: %v", p, e.Err)
	}
	return fmt.Sprintf("%s cannot be a DuckDB database", p)
}

// Unwrap returns the underlying error.
func (e *BadPathError) Unwrap() error { return e.Err }

// ExitCode is exitcode.Usage: a path that cannot be a database is bad input, and nothing was
// changed.
func (e *BadPathError) ExitCode() exitcode.Code { return exitcode.Usage }

// badPathRules recognise DuckDB 1.5.6's messages for a database path it cannot open. The
// "Cannot open file" family counts only when the driver says it could not connect to the
// database: a model reading a missing CSV says the same words about another file.
var badPathRules = []struct {
	re     *regexp.Regexp
	reason string
	onOpen bool // only in a failed open of the database (the driver's prefix is present)
}{
	{regexp.MustCompile(`Could not read from file "(.*?)": Is a directory`), PathIsDirectory, true},
	{regexp.MustCompile(`The file "(.*?)" exists, but it is not a valid DuckDB database file`), PathNotDuckDB, false},
	{regexp.MustCompile(`Cannot open database "(.*?)" in read-only mode: database does not exist`), PathMissing, false},
	{regexp.MustCompile(`Cannot open file "(.*?)": No such file or directory`), PathNoParent, true},
	{regexp.MustCompile(`Cannot open file "(.*?)": Not a directory`), PathParentNotDir, true},
	{regexp.MustCompile(`Cannot open file "(.*?)": Permission denied`), PathPermission, true},
	{regexp.MustCompile(`Cannot open file "(.*?)": Read-only file system`), PathReadOnlyFS, true},
}

// BadDatabasePath reports whether err says that a database path cannot be a DuckDB database —
// a directory, a file whose directory is missing, a file that is not a DuckDB database, a file
// the user may not open, a missing file opened read-only — and returns the explanation. It
// recognises a *BadPathError anywhere in the chain (from a check made before opening) and
// DuckDB's own messages, from the driver's error or from a child process's stderr. Such an
// error is bad input: nothing was written.
func BadDatabasePath(err error) (*BadPathError, bool) {
	if err == nil {
		return nil, false
	}
	var bp *BadPathError
	if errors.As(err, &bp) {
		return bp, true
	}
	return badPathText(err.Error(), err)
}

// badPathText recognises DuckDB's messages in msg; err is kept as the cause.
func badPathText(msg string, err error) (*BadPathError, bool) {
	opening := strings.Contains(msg, DriverPrefix)
	for _, r := range badPathRules {
		if r.onOpen && !opening {
			continue
		}
		if m := r.re.FindStringSubmatch(msg); m != nil {
			return &BadPathError{Path: m[1], Reason: r.reason, Err: err}, true
		}
	}
	return nil, false
}
