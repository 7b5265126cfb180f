// Package outcome classifies the errors of a trial into lockbench's outcomes: ok,
// lock-conflict, txn-conflict, constraint, storage-format, timeout, crash and error (with Sub
// bad-path when the database path cannot be a DuckDB database, see BadDatabasePath). It parses
// everything DuckDB says about a lock holder (path, executable, PID, user, the read-only hint,
// the .wal lock, the Windows wording) and about a file's format into a Outcome.
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

	"lockbench/release"
	"lockbench/vocab"
)

// Outcome is the classified result of a trial.
type Outcome struct {
	// Kind is one of the outcome constants (ok, lock-conflict, ...).
	Kind vocab.Kind `json:"kind"`
	// Sub refines the kind: for txn-conflict one of update, delete, catalog, dropped, altered,
	// checkpoint, aborted; for lock-conflict "database" or "wal"; for crash the signal.
	Sub vocab.Sub `json:"sub,omitempty"`
	// Message is DuckDB's (or the command's) error text, verbatim.
	Message string `json:"message,omitempty"`
	// HolderPID is the PID DuckDB named in a lock conflict (0 when it could not see one).
	HolderPID int `json:"holder_pid,omitempty"`
	// HolderExe is the executable DuckDB named in a lock conflict.
	HolderExe string `json:"holder_exe,omitempty"`
	// HolderUser is the user DuckDB named, when it did.
	HolderUser string `json:"holder_user,omitempty"`
	// HolderCmdline is the holder's command line, looked up in /proc when the harness could.
	HolderCmdline string `json:"holder_cmdline,omitempty"`
	// HolderRole says who the holder DuckDB named is, as the harness sees it: "competitor" (a
	// process it injected), "worker" (another worker of the same trial, in parallel-processes),
	// "other" (nobody the harness started), or "outside-namespace" (DuckDB named PID 0: a
	// process in another container or PID namespace, which this one cannot see).
	HolderRole vocab.Role `json:"holder_role,omitempty"`
	// ReadOnlyWouldWork is true when DuckDB said the file could be opened read-only (every
	// holder is a reader).
	ReadOnlyWouldWork bool `json:"read_only_would_work,omitempty"`
	// Path is the file DuckDB could not lock (or open).
	Path string `json:"path,omitempty"`
	// StorageVersion is the storage version of the file (lock conflicts and storage-format
	// outcomes): from DuckDB's message, or read from the file's headers.
	StorageVersion int `json:"storage_version,omitempty"`
	// ReaderMaxStorage is the newest storage version the opener's DuckDB reads, when known
	// (DuckDB says it in a storage-format error; a lock conflict gets it from the opener's
	// release).
	ReaderMaxStorage int `json:"reader_max_storage,omitempty"`
	// OpenerDuckDB is the DuckDB release of the process whose open failed: exact ("1.5.6")
	// when the harness knows it, a release line ("1.5.x") when only DuckDB's message tells.
	OpenerDuckDB string `json:"opener_duckdb,omitempty"`
	// ReadableBy lists the DuckDB releases lockbench knows that can open the file.
	ReadableBy []string `json:"readable_by,omitempty"`
	// Env is what the machine said about an environment failure (EnrichEnvironment).
	Env *EnvFacts `json:"env,omitempty"`
}

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
func Classify(err error) Outcome {
	if err == nil {
		return Outcome{Kind: vocab.OK}
	}
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) {
		return Outcome{Kind: vocab.Timeout, Message: clean(msg)}
	}
	if _, at := ErrorType(msg); at < 0 {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				return Outcome{Kind: vocab.Crash, Sub: vocab.Sub(unix.SignalName(ws.Signal())), Message: clean(msg)}
			}
		}
	}
	if errors.Is(err, context.Canceled) {
		if typ, _ := ErrorType(msg); typ == "" || typ == "INTERRUPT" {
			return Outcome{Kind: vocab.Error, Sub: vocab.SubCanceled, Message: clean(msg)}
		}
	}
	var bp *BadPathError
	if errors.As(err, &bp) {
		return Outcome{Kind: vocab.Error, Sub: vocab.SubBadPath, Message: bp.Error(), Path: bp.Path}
	}
	if o, ok := envErrno(err); ok {
		return o
	}
	return ClassifyText(msg)
}

// ClassifyText classifies an error message given as text only, such as a child process's
// stderr. Empty text is ok. The Message of the result starts at the line where the recognised
// error begins (log lines before it are dropped) with the driver prefix removed.
func ClassifyText(msg string) Outcome {
	if strings.TrimSpace(msg) == "" {
		return Outcome{Kind: vocab.OK}
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
	if o, ok := environment(msg); ok {
		return o
	}
	if o, ok := handleConflict(msg); ok {
		return o
	}
	typ, at := ErrorType(msg)
	if loc := reConstraint.FindStringIndex(msg); loc != nil {
		return Outcome{Kind: vocab.Constraint, Message: from(msg, loc[0])}
	}
	if sub, at := txnSubAt(msg); sub != "" {
		return txnOutcome(sub, from(msg, at))
	}
	switch typ {
	case "Constraint":
		return Outcome{Kind: vocab.Constraint, Message: from(msg, at)}
	case "FATAL", "INTERNAL":
		return Outcome{Kind: vocab.Crash, Sub: vocab.SubFatal, Message: from(msg, at)}
	}
	if loc := reDeadline.FindStringIndex(msg); loc != nil {
		return Outcome{Kind: vocab.Timeout, Message: from(msg, loc[0])}
	}
	if loc := reGoPanic.FindStringIndex(msg); loc != nil {
		return Outcome{Kind: vocab.Crash, Sub: vocab.SubPanic, Message: from(msg, loc[0])}
	}
	if m := reExitSignal.FindStringSubmatchIndex(msg); m != nil {
		if name, ok := signalByMessage[msg[m[2]:m[3]]]; ok {
			return Outcome{Kind: vocab.Crash, Sub: vocab.Sub(name), Message: from(msg, m[0])}
		}
	}
	if typ == "TransactionContext" {
		return Outcome{Kind: vocab.TxnConflict, Sub: vocab.SubOther, Message: from(msg, at)}
	}
	if loc := reCanceled.FindStringIndex(msg); loc != nil {
		return Outcome{Kind: vocab.Error, Sub: vocab.SubCanceled, Message: from(msg, loc[0])}
	}
	if bp, ok := badPathText(msg, nil); ok {
		return Outcome{Kind: vocab.Error, Sub: vocab.SubBadPath, Message: clean(msg), Path: bp.Path}
	}
	return Outcome{Kind: vocab.Error, Message: clean(msg)}
}

// classifyJSONStrings classifies the first JSON string literal in msg that holds a DuckDB error
// DuckDB's own rules recognise (a lock, transaction or handle conflict, a constraint, a fatal
// error). It reports false when msg has no escaped quote or no such literal.
func classifyJSONStrings(msg string) (Outcome, bool) {
	if !strings.Contains(msg, `\"`) {
		return Outcome{}, false
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
			if (o.Kind != vocab.OK && o.Kind != vocab.Error) || o.Sub == vocab.SubHandleConflict {
				return o, true
			}
		}
	}
	return Outcome{}, false
}

// handleConflict recognises DuckDB's "Unique file handle conflict" (a Binder Error in 1.5.6, a
// Resource In Use Error in 2.0.0), with the path of the file when DuckDB names it.
func handleConflict(msg string) (Outcome, bool) {
	loc := reHandleAny.FindStringIndex(msg)
	if loc == nil {
		return Outcome{}, false
	}
	o := Outcome{Kind: vocab.Error, Sub: vocab.SubHandleConflict}
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
func storageFormat(msg string) (Outcome, bool) {
	m := reStorage.FindStringSubmatchIndex(msg)
	if m == nil {
		return Outcome{}, false
	}
	num := func(i int) int { n, _ := strconv.Atoi(msg[m[2*i]:m[2*i+1]]); return n }
	file, lo, hi := num(1), num(2), num(3)
	o := Outcome{Kind: vocab.StorageFormat, Sub: vocab.SubTooNew, StorageVersion: file, ReaderMaxStorage: hi,
		ReadableBy: release.ReadableBy(file)}
	if file < lo {
		o.Sub = vocab.SubTooOld
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
	return o.Kind == vocab.LockConflict && o.Sub != vocab.SubLocksUnsupported
}

// lockConflict parses every lock wording DuckDB has. It reports false when msg is not a lock
// error.
func lockConflict(msg string) (Outcome, bool) {
	o := Outcome{Kind: vocab.LockConflict, Sub: vocab.SubDatabase}
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
				o.HolderRole = vocab.RoleOutsideNamespace
			}
		} else if reUnsupported.MatchString(rest) || reNotSupported.MatchString(rest) {
			// "File locks are not supported ...", or the strerror "Operation not supported"
			// that older versions printed for SMB and NFS mounts.
			o.Sub = vocab.SubLocksUnsupported
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
		o.Sub = vocab.SubLocksUnsupported
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
		return Outcome{}, false
	}
	if strings.HasSuffix(o.Path, ".wal") {
		o.Sub = vocab.SubWAL
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
func txnOutcome(sub vocab.Sub, msg string) Outcome {
	msg = strings.ReplaceAll(msg, `\0`, ".")
	if sub == vocab.SubCatalog || sub == vocab.SubDropped || sub == vocab.SubAltered {
		msg = strings.ReplaceAll(msg, `""`, `"`)
	}
	return Outcome{Kind: vocab.TxnConflict, Sub: sub, Message: msg}
}

// txnSubAt returns the txn-conflict Sub that msg shows and where its text starts.
func txnSubAt(msg string) (vocab.Sub, int) {
	for _, r := range []struct {
		re  *regexp.Regexp
		sub vocab.Sub
	}{
		{reUpdate, vocab.SubUpdate},
		{reDelete, vocab.SubDelete},
		{reCatalog, vocab.SubCatalog},
		{reDropped, vocab.SubDropped},
		{reAltered, vocab.SubAltered},
		{reCheckpoint, vocab.SubCheckpoint},
		{reAborted, vocab.SubAborted},
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
