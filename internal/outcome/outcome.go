// Package outcome classifies the errors of a trial into lockbench's outcomes: ok,
// lock-conflict, txn-conflict, constraint, storage-format, timeout, crash and error (with Sub
// bad-path when the database path cannot be a DuckDB database, see BadDatabasePath). It parses
// everything DuckDB says about a lock holder (path, executable, PID, user, the read-only hint,
// the .wal lock, the Windows wording) and about a file's format into a history.Outcome.
//
// Classification does not depend on one release's wording. It reads DuckDB's error type (the
// "IO", "TransactionContext", "Resource In Use" ... that leads every DuckDB message, which is
// also where the duckdb-go driver takes its ErrorType from) and the facts in the message
// (path, PID, storage versions), never a whole sentence or the docs URL DuckDB appends. The
// messages of each release it relies on are kept, labelled with their release, in
// testdata/messages, and the tests check that every release's message of one event
// classifies the same.
//
// ClassifyText does the same for text only, such as the stderr of a child process.
package outcome

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"lockbench/history"
	"lockbench/release"
)

// Sub values of a lock-conflict outcome.
const (
	// SubDatabase is a conflict on the database file itself.
	SubDatabase = "database"
	// SubWAL is a conflict on the database's write-ahead log (<db>.wal), seen at commit time.
	SubWAL = "wal"
	// SubLocksUnsupported is DuckDB's "File locks are not supported for this file system": no
	// other process is involved, so retrying cannot help.
	SubLocksUnsupported = "unsupported"
)

// RoleOutsideNamespace is the HolderRole of a lock conflict in which DuckDB names "PID 0": the
// holder is a process this PID namespace cannot see, in another container or PID namespace (or,
// on a network file system, on another machine). Only the host, or the holder's own
// container, can name it (`lockbench who` there).
const RoleOutsideNamespace = "outside-namespace"

// Sub values of a txn-conflict outcome.
const (
	// SubUpdate is "Conflict on update!".
	SubUpdate = "update"
	// SubDelete is "Conflict on tuple deletion!".
	SubDelete = "delete"
	// SubCatalog is "Catalog write-write conflict on create/alter with ...".
	SubCatalog = "catalog"
	// SubDropped is a write to a table another transaction has dropped.
	SubDropped = "dropped"
	// SubAltered is a write to a table another transaction has altered.
	SubAltered = "altered"
	// SubCheckpoint is "Cannot CHECKPOINT: ...".
	SubCheckpoint = "checkpoint"
	// SubAborted is "Current transaction is aborted (please ROLLBACK)": an earlier statement of
	// the same transaction failed.
	SubAborted = "aborted"
	// SubOther is any other error DuckDB typed as a transaction error.
	SubOther = "other"
)

// SubDQ is the Sub of a mismatch outcome in which the workload's own data-quality checks failed
// (the data is wrong, whatever the timing).
const SubDQ = "dq"

// Sub values of crash and error outcomes.
const (
	// SubPanic is a Go panic or runtime fatal error reported on a child's stderr.
	SubPanic = "panic"
	// SubFatal is a DuckDB FATAL or INTERNAL error, after which the database instance is
	// invalidated.
	SubFatal = "duckdb-fatal"
	// SubCanceled is an error outcome caused by a cancelled context (for example Ctrl-C).
	SubCanceled = "canceled"
	// SubHandleConflict is DuckDB's "Unique file handle conflict": one process opened a file
	// that its own DuckDB instance cache still has attached, typically an open that lands while
	// another goroutine of the same process closes the last handle on that file. No other
	// process is involved, so it is an error of the program, not a lock conflict. DuckDB 1.5
	// calls it a Binder Error, 2.0 a Resource In Use Error.
	SubHandleConflict = "handle-conflict"
)

// Sub values of a storage-format outcome.
const (
	// SubTooNew is a file whose storage version is newer than the opener's DuckDB reads: it
	// was created by a later release (DuckDB 2.0's default format opened by 1.5.6).
	SubTooNew = "too-new"
	// SubTooOld is a file older than the oldest storage version the opener reads.
	SubTooOld = "too-old"
)

// DriverPrefix is the text the duckdb-go driver puts before DuckDB's own message when sql.Open
// fails.
const DriverPrefix = "database/sql/driver: could not connect to database: "

var (
	reLockFile      = regexp.MustCompile(`Could not set lock on file "(.*?)": `)
	reHeldIn        = regexp.MustCompile(`Conflicting lock is held in (.*?) \(PID (\d+)\)(?: by user ([^\s.]+(?:\.[^\s.]+)*))?`)
	reHeldPIDOnly   = regexp.MustCompile(`Conflicting lock is held in PID (\d+)`)
	reHeldOther     = regexp.MustCompile(`Conflicting lock is held`)
	reWinOpen       = regexp.MustCompile(`Cannot open file "(.*?)": The process cannot access the file because it is being used by another process`)
	reWinHeld       = regexp.MustCompile(`File is already open in (.*?) \(PID (\d+)\)`)
	reWinBusy       = regexp.MustCompile(`being used by another process`)
	reUnsupported   = regexp.MustCompile(`File locks are not supported for this file system`)
	reNotSupported  = regexp.MustCompile(`(?i)operation not supported|not supported`)
	reOpenFile      = regexp.MustCompile(`(?:Cannot open|Could not open|open) file "(.*?)"`)
	reReadOnlyHint  = regexp.MustCompile(`However, you would be able to open this database in read-only mode`)
	reConstraint    = regexp.MustCompile(`PRIMARY KEY or UNIQUE constraint violation|Duplicate key .* violates (?:primary key|unique) constraint|violates foreign key constraint|NOT NULL constraint failed|CHECK constraint failed|Constraint Error: `)
	reUpdate        = regexp.MustCompile(`Conflict on update!`)
	reDelete        = regexp.MustCompile(`Conflict on tuple deletion!`)
	reCatalog       = regexp.MustCompile(`Catalog write-write conflict on (?:create|alter|drop)`)
	reDropped       = regexp.MustCompile(`has been dropped by a different transaction|another transaction has dropped this table`)
	reAltered       = regexp.MustCompile(`has been altered by a different transaction|another transaction has altered this table|cannot update a table that has been altered`)
	reCheckpoint    = regexp.MustCompile(`Cannot CHECKPOINT: `)
	reAborted       = regexp.MustCompile(`Current transaction is aborted \(please ROLLBACK\)`)
	reDeadline      = regexp.MustCompile(`context deadline exceeded`)
	reCanceled      = regexp.MustCompile(`context canceled`)
	reHandle        = regexp.MustCompile(`Unique file handle conflict: .*?the database file "(.*?)"`)
	reHandleAny     = regexp.MustCompile(`Unique file handle conflict`)
	reJSONString    = regexp.MustCompile(`"(?:[^"\\\n]|\\.)*"`)
	reStorage       = regexp.MustCompile(`Trying to read a database file with version number (\d+), but we can only read versions between (\d+) and (\d+)`)
	reErrorType     = regexp.MustCompile(`(?:^|[\s:"'(])(` + strings.Join(errorTypes, "|") + `) Error: `)
	reGoPanic       = regexp.MustCompile(`(?m)^(?:panic: |fatal error: )`)
	reExitSignal    = regexp.MustCompile(`(?m)^signal: ([a-z ]+)$`)
	signalByMessage = buildSignalNames()
)

// errorTypes are the names of DuckDB's error types, as they lead its messages ("IO Error: ...").
// "Resource In Use" is new in 2.0.0 (duckdb-go v2.20000.0 has no constant for it and reports
// type 0).
var errorTypes = []string{
	"Invalid", "Out of Range", "Conversion", "Unknown Type", "Decimal", "Mismatch Type",
	"Divide by Zero", "Object Size", "Invalid type", "Serialization", "TransactionContext",
	"Not implemented", "Expression", "Catalog", "Parser", "Planner", "Scheduler", "Executor",
	"Constraint", "Index", "Stat", "Connection", "Syntax", "Settings", "Binder", "Network",
	"Optimizer", "NullPointer", "IO", "INTERRUPT", "FATAL", "INTERNAL", "Invalid Input",
	"Out of Memory", "Permission", "Parameter Not Resolved", "Parameter Not Allowed",
	"Dependency", "HTTP", "Missing Extension", "Extension Autoloading", "Sequence",
	"Invalid Configuration", "Resource In Use",
}

// ErrorType returns DuckDB's error type as the first DuckDB message in msg names it ("IO",
// "TransactionContext", "Resource In Use", ...), and where that message starts; "" and -1
// when msg holds no DuckDB error. It is the type the duckdb-go driver derives from the same
// text, but it also knows types a driver release does not, and works on a child's stderr.
func ErrorType(msg string) (string, int) {
	m := reErrorType.FindStringSubmatchIndex(msg)
	if m == nil {
		return "", -1
	}
	return msg[m[2]:m[3]], m[2]
}

// Classify classifies err, the error a trial (or one of its statements) returned. A nil error is
// ok. A context.DeadlineExceeded anywhere in the chain is a timeout, an *exec.ExitError for a
// process killed by a signal is a crash whose Sub is the signal's name (SIGKILL, ...), a
// *BadPathError is a bad-path error; everything else is classified by its text (ClassifyText),
// which carries DuckDB's error type.
func Classify(err error) history.Outcome {
	if err == nil {
		return history.Outcome{Kind: history.OK}
	}
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		return history.Outcome{Kind: history.Timeout, Message: clean(msg)}
	}
	if _, at := ErrorType(msg); at < 0 {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return history.Outcome{Kind: history.Crash, Sub: unix.SignalName(ws.Signal()), Message: clean(msg)}
			}
		}
	}
	if errors.Is(err, context.Canceled) {
		if typ, _ := ErrorType(msg); typ == "" || typ == "INTERRUPT" {
			return history.Outcome{Kind: history.Error, Sub: SubCanceled, Message: clean(msg)}
		}
	}
	var bp *BadPathError
	if errors.As(err, &bp) {
		return history.Outcome{Kind: history.Error, Sub: SubBadPath, Message: bp.Error(), Path: bp.Path}
	}
	return ClassifyText(msg)
}

// ClassifyText classifies an error message given as text only, such as a child process's
// stderr. Empty text is ok. The Message of the result starts at the line where the recognised
// error begins (log lines before it are dropped) with the driver prefix removed.
func ClassifyText(msg string) history.Outcome {
	if strings.TrimSpace(msg) == "" {
		return history.Outcome{Kind: history.OK}
	}
	// A program that logs as JSON (lockbench simulate --json, structured loggers) escapes the
	// quotes of DuckDB's message; read the message out of its JSON string first.
	if o, ok := classifyJSONStrings(msg); ok {
		return o
	}
	if o, ok := lockConflict(msg); ok {
		return o
	}
	if o, ok := storageFormat(msg); ok {
		return o
	}
	if o, ok := handleConflict(msg); ok {
		return o
	}
	typ, at := ErrorType(msg)
	if loc := reConstraint.FindStringIndex(msg); loc != nil {
		return history.Outcome{Kind: history.Constraint, Message: from(msg, loc[0])}
	}
	if sub, at := txnSubAt(msg); sub != "" {
		return txnOutcome(sub, from(msg, at))
	}
	switch typ {
	case "Constraint":
		return history.Outcome{Kind: history.Constraint, Message: from(msg, at)}
	case "FATAL", "INTERNAL":
		return history.Outcome{Kind: history.Crash, Sub: SubFatal, Message: from(msg, at)}
	}
	if loc := reDeadline.FindStringIndex(msg); loc != nil {
		return history.Outcome{Kind: history.Timeout, Message: from(msg, loc[0])}
	}
	if loc := reGoPanic.FindStringIndex(msg); loc != nil {
		return history.Outcome{Kind: history.Crash, Sub: SubPanic, Message: from(msg, loc[0])}
	}
	if m := reExitSignal.FindStringSubmatchIndex(msg); m != nil {
		if name, ok := signalByMessage[msg[m[2]:m[3]]]; ok {
			return history.Outcome{Kind: history.Crash, Sub: name, Message: from(msg, m[0])}
		}
	}
	if typ == "TransactionContext" {
		return history.Outcome{Kind: history.TxnConflict, Sub: SubOther, Message: from(msg, at)}
	}
	if loc := reCanceled.FindStringIndex(msg); loc != nil {
		return history.Outcome{Kind: history.Error, Sub: SubCanceled, Message: from(msg, loc[0])}
	}
	if bp, ok := badPathText(msg, nil); ok {
		return history.Outcome{Kind: history.Error, Sub: SubBadPath, Message: clean(msg), Path: bp.Path}
	}
	return history.Outcome{Kind: history.Error, Message: clean(msg)}
}

// classifyJSONStrings classifies the first JSON string literal in msg that holds a DuckDB error
// DuckDB's own rules recognise (a lock, transaction or handle conflict, a constraint, a fatal
// error). It reports false when msg has no escaped quote or no such literal.
func classifyJSONStrings(msg string) (history.Outcome, bool) {
	if !strings.Contains(msg, `\"`) {
		return history.Outcome{}, false
	}
	for _, line := range strings.Split(msg, "\n") {
		if !strings.Contains(line, `\"`) {
			continue
		}
		for _, lit := range reJSONString.FindAllString(line, -1) {
			if !strings.Contains(lit, "Error") && !strings.Contains(lit, "lock") {
				continue
			}
			var s string
			if json.Unmarshal([]byte(lit), &s) != nil || !strings.Contains(s, `"`) {
				continue
			}
			o := ClassifyText(s)
			if (o.Kind != history.OK && o.Kind != history.Error) || o.Sub == SubHandleConflict {
				return o, true
			}
		}
	}
	return history.Outcome{}, false
}

// handleConflict recognises DuckDB's "Unique file handle conflict" (a Binder Error in 1.5.6, a
// Resource In Use Error in 2.0.0), with the path of the file when DuckDB names it.
func handleConflict(msg string) (history.Outcome, bool) {
	loc := reHandleAny.FindStringIndex(msg)
	if loc == nil {
		return history.Outcome{}, false
	}
	o := history.Outcome{Kind: history.Error, Sub: SubHandleConflict}
	if m := reHandle.FindStringSubmatch(msg); m != nil {
		o.Path = m[1]
	}
	// DuckDB's message is one line; keep it from its "<Type> Error: " lead-in on.
	o.Message, _, _ = strings.Cut(from(msg, loc[0]), "\n")
	if _, at := ErrorType(o.Message); at > 0 {
		o.Message = o.Message[at:]
	}
	return o, true
}

// storageFormat recognises DuckDB's refusal of a file whose storage version it cannot read
// ("Trying to read a database file with version number 69, but we can only read versions
// between 64 and 68"), for a read-write or read-only open alike. The outcome records the file's
// version, the newest the opener reads, the opener's release line as far as the numbers tell,
// and the releases lockbench knows that read the file.
func storageFormat(msg string) (history.Outcome, bool) {
	m := reStorage.FindStringSubmatchIndex(msg)
	if m == nil {
		return history.Outcome{}, false
	}
	num := func(i int) int { n, _ := strconv.Atoi(msg[m[2*i]:m[2*i+1]]); return n }
	file, lo, hi := num(1), num(2), num(3)
	o := history.Outcome{Kind: history.StorageFormat, Sub: SubTooNew, StorageVersion: file, ReaderMaxStorage: hi,
		ReadableBy: release.ReadableBy(file)}
	if file < lo {
		o.Sub = SubTooOld
	}
	if r, ok := release.OldestReading(hi); ok {
		o.OpenerDuckDB = release.Line(r.Name) + ".x"
	}
	o.Message = from(msg, m[0])
	if _, at := ErrorType(o.Message); at > 0 {
		o.Message = o.Message[at:]
	}
	// Keep DuckDB's first sentence and its explanation, not the pointer to its docs.
	if i := strings.Index(o.Message, "\nSee the storage page"); i > 0 {
		o.Message = o.Message[:i]
	}
	o.Message = strings.TrimSpace(o.Message)
	return o, true
}

// IsLockConflict reports whether err is a file lock held by another process (on the database
// or its .wal): the error a lock-retry policy retries. "File locks are not supported" is a
// lock-conflict outcome too but not a conflict with anyone, so it reports false.
func IsLockConflict(err error) bool {
	if err == nil {
		return false
	}
	o := Classify(err)
	return o.Kind == history.LockConflict && o.Sub != SubLocksUnsupported
}

// lockConflict parses every lock wording DuckDB has. It reports false when msg is not a lock
// error.
func lockConflict(msg string) (history.Outcome, bool) {
	o := history.Outcome{Kind: history.LockConflict, Sub: SubDatabase}
	start := -1
	oneLine := false
	switch {
	case reLockFile.MatchString(msg):
		m := reLockFile.FindStringSubmatchIndex(msg)
		start, oneLine = m[0], true
		o.Path = msg[m[2]:m[3]]
		rest := msg[m[1]:]
		if h := reHeldIn.FindStringSubmatch(rest); h != nil && !strings.HasPrefix(h[0], "Conflicting lock is held in PID ") {
			o.HolderExe = h[1]
			o.HolderPID, _ = strconv.Atoi(h[2])
			o.HolderUser = h[3]
		} else if h := reHeldPIDOnly.FindStringSubmatch(rest); h != nil {
			o.HolderPID, _ = strconv.Atoi(h[1])
			if h[1] == "0" {
				o.HolderRole = RoleOutsideNamespace
			}
		} else if reUnsupported.MatchString(rest) || reNotSupported.MatchString(rest) {
			// "File locks are not supported ...", or the strerror "Operation not supported"
			// that older versions printed for SMB and NFS mounts.
			o.Sub = SubLocksUnsupported
		}
		o.ReadOnlyWouldWork = reReadOnlyHint.MatchString(rest)
	case reWinHeld.MatchString(msg) || reWinOpen.MatchString(msg):
		if m := reWinOpen.FindStringSubmatchIndex(msg); m != nil {
			start = m[0]
			o.Path = msg[m[2]:m[3]]
		}
		if m := reWinHeld.FindStringSubmatchIndex(msg); m != nil {
			if start < 0 || m[0] < start {
				start = m[0]
			}
			o.HolderExe = msg[m[2]:m[3]]
			o.HolderPID, _ = strconv.Atoi(msg[m[4]:m[5]])
		}
	case reUnsupported.MatchString(msg):
		start = reUnsupported.FindStringIndex(msg)[0]
		o.Sub = SubLocksUnsupported
		if m := reOpenFile.FindStringSubmatchIndex(msg); m != nil {
			o.Path = msg[m[2]:m[3]]
			start = min(start, m[0])
		}
	case reWinBusy.MatchString(msg) || reHeldOther.MatchString(msg):
		start = 0
		if m := reOpenFile.FindStringSubmatchIndex(msg); m != nil {
			o.Path = msg[m[2]:m[3]]
		}
	default:
		return history.Outcome{}, false
	}
	if strings.HasSuffix(o.Path, ".wal") {
		o.Sub = SubWAL
	}
	// Keep DuckDB's own "IO Error: " / "TransactionContext Error: Failed to commit: " lead-in.
	o.Message = from(msg, start)
	if oneLine {
		// DuckDB's POSIX lock message is one line; what follows in a child's stderr is the
		// child's own commentary (lockbench hold explains the conflict to a person).
		o.Message, _, _ = strings.Cut(o.Message, "\n")
		if i := strings.Index(o.Message, "IO Error: "); i > 0 {
			o.Message = o.Message[i:]
		}
	}
	return o, true
}

// txnOutcome builds a txn-conflict outcome. DuckDB separates the parts of a catalog entry's
// name with NUL bytes, which DuckDB 1.5.6 and 2.0.0 render as the two characters `\0` in the
// message (older builds passed raw NULs, which clean already replaced); both become '.'. DuckDB
// 2.0.0 quotes such names twice (`""t""`), which becomes one pair of quotes.
func txnOutcome(sub, msg string) history.Outcome {
	msg = strings.ReplaceAll(msg, `\0`, ".")
	if sub == SubCatalog || sub == SubDropped || sub == SubAltered {
		msg = strings.ReplaceAll(msg, `""`, `"`)
	}
	return history.Outcome{Kind: history.TxnConflict, Sub: sub, Message: msg}
}

// txnSub returns the txn-conflict Sub that msg shows, or "".
func txnSub(msg string) string {
	sub, _ := txnSubAt(msg)
	return sub
}

// txnSubAt returns the txn-conflict Sub that msg shows and where its text starts.
func txnSubAt(msg string) (string, int) {
	for _, r := range []struct {
		re  *regexp.Regexp
		sub string
	}{
		{reUpdate, SubUpdate},
		{reDelete, SubDelete},
		{reCatalog, SubCatalog},
		{reDropped, SubDropped},
		{reAltered, SubAltered},
		{reCheckpoint, SubCheckpoint},
		{reAborted, SubAborted},
	} {
		if loc := r.re.FindStringIndex(msg); loc != nil {
			return r.sub, loc[0]
		}
	}
	return "", -1
}

// from returns the cleaned message starting at the beginning of the line that holds offset at,
// so that a DuckDB message keeps its "IO Error: " lead-in while unrelated log lines above it
// are dropped.
func from(msg string, at int) string {
	if at > 0 {
		if nl := strings.LastIndexByte(msg[:at], '\n'); nl >= 0 {
			msg = msg[nl+1:]
		}
	}
	return clean(msg)
}

// clean strips the driver prefix (and whatever a caller wrapped around it), replaces the NUL
// bytes of DuckDB's catalog entry names with '.', and trims surrounding space.
func clean(msg string) string {
	if i := strings.LastIndex(msg, DriverPrefix); i >= 0 {
		msg = msg[i+len(DriverPrefix):]
	}
	msg = strings.ReplaceAll(msg, "\x00", ".")
	return strings.TrimSpace(msg)
}

// buildSignalNames maps the text os/exec prints for a signalled process ("signal: killed") to
// the signal's name ("SIGKILL").
func buildSignalNames() map[string]string {
	m := make(map[string]string)
	for s := syscall.Signal(1); s < 32; s++ {
		if name := unix.SignalName(s); name != "" {
			m[s.String()] = name
		}
	}
	return m
}
