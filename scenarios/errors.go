package scenarios

import (
	"errors"
	"fmt"
	"strings"

	"lockbench/internal/exitcode"
)

// ErrInvalid is the sentinel every scenario configuration error matches with errors.Is, so a
// caller can map a bad matrix file, an unknown built-in name or a bad --filter expression to a
// usage exit code without knowing the concrete error type.
var ErrInvalid = errors.New("invalid scenario")

// Error is a configuration error: a bad scenario file, an unknown built-in name, or a bad filter
// or shard expression. Its text has the form
//
//	file:line:col: what was wrong; allowed: what is accepted
//
// where the position is omitted when the error has none (an unreadable file, say) and the
// allowed part is omitted when there is nothing useful to list. Errors match ErrInvalid.
type Error struct {
	// File is the scenario file's path, "builtin:NAME" for an embedded matrix, or the name of the
	// option that carried a bad expression (such as "--filter").
	File string
	// Line and Col are the 1-based position of the offending YAML token, or 0 when unknown.
	Line, Col int
	// Msg says what was wrong.
	Msg string
	// Allowed says what would have been accepted; it may be empty.
	Allowed string
	// Err is the underlying cause, if any (an I/O error, say).
	Err error
}

// Error returns the error as file:line:col: message; allowed: list.
func (e *Error) Error() string {
	var b strings.Builder
	file := e.File
	if file == "" {
		file = "scenario"
	}
	b.WriteString(file)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	if e.Allowed != "" {
		b.WriteString("; allowed: ")
		b.WriteString(e.Allowed)
	}
	return b.String()
}

// Unwrap returns the underlying cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// ExitCode is exitcode.Usage: a scenario configuration error is always bad input, decided here
// so that no caller has to recognise it.
func (e *Error) ExitCode() exitcode.Code { return exitcode.Usage }

// Is reports whether target is ErrInvalid, so errors.Is(err, ErrInvalid) holds for every
// configuration error.
func (e *Error) Is(target error) bool { return target == ErrInvalid }
