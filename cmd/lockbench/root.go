package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"lockbench/internal/exitcode"
)

// usageErr is bad input (exit 2): an error formatted like fmt.Errorf, so %w keeps the cause.
// Commands use it for what they decide themselves (a flag value, a combination of flags).
func usageErr(format string, args ...any) error { return exitcode.Usagef(format, args...) }

// failErr marks err as a failed check (exit 1).
func failErr(err error) error { return exitcode.WithCode(err, exitcode.Fail) }

// withCode ends a command with code and no further message (the command printed its own).
func withCode(code exitcode.Code) error { return exitcode.Silent(code) }

// app is what every command shares: the streams, the process context and the command line.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	ctx            context.Context
	// args are the arguments after "lockbench", recorded in run manifests.
	args []string
}

// streams are where a command reads and writes: the process's own, or a test's buffers.
type streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// streams returns a's streams.
func (a *app) streams() streams { return streams{In: a.stdin, Out: a.stdout, Err: a.stderr} }

// commandLine is the command line as a manifest records it: "lockbench" and the arguments.
func (a *app) commandLine() []string { return append([]string{"lockbench"}, a.args...) }

// run is the whole CLI: it parses args, runs the command and maps its error to an exit code in
// one place. A panic in the command is recovered here: it exits 4 (lockbench itself broke),
// saying where it happened, instead of Go's exit 2, which means bad input.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int) {
	defer func() {
		if v := recover(); v != nil {
			code = int(reportPanic(stderr, v))
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, ctx: ctx, args: args}
	root := newRootCmd(a)
	root.SetArgs(trailingYears(args))
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	return int(exitCode(err, stderr))
}

// exitCode prints err (unless the command already printed everything) with its hint, and
// returns its exit code. An error that carries no code is a harness failure (4).
func exitCode(err error, stderr io.Writer) exitcode.Code {
	if err == nil {
		return exitcode.Pass
	}
	code := exitcode.Of(err)
	if !exitcode.IsSilent(err) {
		if code == exitcode.Internal {
			fmt.Fprintln(stderr, "lockbench: internal error:", err)
		} else {
			fmt.Fprintln(stderr, "lockbench:", err)
		}
		if hint := exitcode.HintOf(err); hint != "" {
			fmt.Fprintln(stderr, "  next:", hint)
		}
	}
	var u cobraUsage
	if errors.As(err, &u) {
		fmt.Fprintln(stderr, "Run 'lockbench --help' for usage.")
	}
	return code
}

// cobraUsage marks cobra's own flag and argument errors (exit 2).
type cobraUsage struct{ error }

func (c cobraUsage) Unwrap() error           { return c.error }
func (c cobraUsage) ExitCode() exitcode.Code { return exitcode.Usage }

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
		// With Args set, cobra hands unknown subcommands to RunE instead of failing with an
		// untyped error: say so as a usage error.
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cobraUsage{fmt.Errorf("unknown command %q for %q", args[0], c.CommandPath())}
			}
			return c.Help()
		},
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

// writeJSON writes v to w as indented JSON, as every --json output is.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
