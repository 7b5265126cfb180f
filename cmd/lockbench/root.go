package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes, the same for every command (DESIGN.md).
const (
	exitPass     = 0
	exitFail     = 1
	exitUsage    = 2
	exitUnknown  = 3
	exitInternal = 4
)

// exitError carries an exit code chosen by a command, with an optional message for stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErr marks err as bad input (exit 2).
func usageErr(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// failErr marks err as a failed check (exit 1).
func failErr(err error) error { return &exitError{code: exitFail, err: err} }

// withCode ends a command with code and no further message (the command printed its own).
func withCode(code int) error { return &exitError{code: code} }

// app is what every command shares: the streams and the process context.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	ctx            context.Context
}

// run is the whole CLI: it parses args, runs the command and maps its error to an exit code in
// one place.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, ctx: ctx}
	root := newRootCmd(a)
	root.SetArgs(trailingYears(args))
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	return exitCode(err, stderr)
}

// exitCode prints err (if it has a message) and returns its exit code. Errors that do not carry
// a code are harness failures (4), except cobra's own flag and argument errors (2).
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitPass
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "lockbench:", ee.err)
		}
		return ee.code
	}
	if isCobraUsage(err) {
		fmt.Fprintln(stderr, "lockbench:", err)
		fmt.Fprintln(stderr, "Run 'lockbench --help' for usage.")
		return exitUsage
	}
	fmt.Fprintln(stderr, "lockbench: internal error:", err)
	return exitInternal
}

// cobraUsage wraps flag and argument errors so they map to exit code 2.
type cobraUsage struct{ error }

func (c cobraUsage) Unwrap() error { return c.error }

func isCobraUsage(err error) bool {
	var u cobraUsage
	if errors.As(err, &u) {
		return true
	}
	// Cobra reports unknown commands and missing required flags without a hook of its own.
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "required flag")
}

func newRootCmd(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "lockbench",
		Short: "Test-and-benchmark harness for DuckDB lock behaviour",
		Long: `lockbench runs a multi-year workforce simulation on a real DuckDB file in sequential,
threaded and multi-process modes, injects competing connections to reproduce lock bugs,
checks that no data was lost or changed, and reports timing statistics against targets
such as "threaded execution cuts coordination overhead by at least 65%".`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cobraUsage{fmt.Errorf("%s: %w", c.CommandPath(), err)}
	})
	for _, add := range commands {
		root.AddCommand(add(a))
	}
	return root
}

// commands lists every subcommand's constructor; each lives in its own file.
var commands []func(*app) *cobra.Command

// register adds a subcommand constructor; called from init in each command's file.
func register(f func(*app) *cobra.Command) { commands = append(commands, f) }

// positional wraps a cobra.PositionalArgs so its errors are usage errors.
func positional(f cobra.PositionalArgs) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if err := f(c, args); err != nil {
			return cobraUsage{fmt.Errorf("%s: %w", c.CommandPath(), err)}
		}
		return nil
	}
}
