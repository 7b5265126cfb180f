// Package exitcode holds lockbench's exit codes (the same for every command, see
// README.md#exit-codes) and the way an error carries its code and a hint from the place where
// the decision is made to the one place that prints it and exits, in the manner of k6's errext.
package exitcode

import (
	"errors"
	"fmt"
)

// Code is a process exit code.
type Code int

// The exit codes of every command.
const (
	Pass     Code = 0 // everything passed
	Fail     Code = 1 // a check, target or expectation failed
	Usage    Code = 2 // bad input: flags, arguments, files; nothing was changed
	Unknown  Code = 3 // nothing failed but something is undecided, or the run was interrupted
	Internal Code = 4 // the harness itself broke
)

// String names the code as reports print it.
func (c Code) String() string {
	switch c {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	case Usage:
		return "usage"
	case Unknown:
		return "unknown"
	case Internal:
		return "internal"
	}
	return fmt.Sprintf("exit %d", int(c))
}

// HasCode is an error that decided its own exit code.
type HasCode interface {
	error
	ExitCode() Code
}

// HasHint is an error that knows what the user can do about it.
type HasHint interface {
	error
	Hint() string
}

type withCode struct {
	error
	code Code
}

func (e withCode) ExitCode() Code { return e.code }
func (e withCode) Unwrap() error  { return e.error }

type withHint struct {
	error
	hint string
}

func (e withHint) Hint() string  { return e.hint }
func (e withHint) Unwrap() error { return e.error }

// WithCode attaches code to err unless err already carries one (the innermost decision wins).
// A nil err stays nil.
func WithCode(err error, code Code) error {
	if err == nil {
		return nil
	}
	var hc HasCode
	if errors.As(err, &hc) {
		return err
	}
	return withCode{err, code}
}

// WithHint attaches a hint (what to do next) to err. A nil err stays nil.
func WithHint(err error, hint string) error {
	if err == nil {
		return nil
	}
	return withHint{err, hint}
}

// Usagef is bad input: an error formatted like fmt.Errorf (so %w wraps) with exit code Usage.
func Usagef(format string, args ...any) error {
	return withCode{fmt.Errorf(format, args...), Usage}
}

// Of returns the code err carries: Pass for nil, the innermost attached code, else Internal.
func Of(err error) Code {
	if err == nil {
		return Pass
	}
	var hc HasCode
	if errors.As(err, &hc) {
		return hc.ExitCode()
	}
	return Internal
}

// HintOf returns the outermost hint err carries, or "".
func HintOf(err error) string {
	var hh HasHint
	if errors.As(err, &hh) {
		return hh.Hint()
	}
	return ""
}

// Silent is an error that only ends the process with code: the command already printed what
// there was to say.
func Silent(code Code) error { return silent(code) }

type silent Code

func (s silent) Error() string  { return fmt.Sprintf("exit %d", int(s)) }
func (s silent) ExitCode() Code { return Code(s) }

// IsSilent reports whether err is a Silent exit (nothing to print).
func IsSilent(err error) bool {
	var s silent
	return errors.As(err, &s)
}
