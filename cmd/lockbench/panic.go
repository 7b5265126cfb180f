package main

import (
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"

	"lockbench/internal/exitcode"
)

// maxPanicFrames is how many frames of a panic's stack reportPanic prints.
const maxPanicFrames = 10

// reportPanic prints a panic that run recovered: its value and the innermost frames of the
// goroutine that panicked (function, file and line), and returns exitcode.Internal. It must be
// called from run's deferred function, while the panicking frames are still on the stack.
func reportPanic(w io.Writer, v any) exitcode.Code {
	fmt.Fprintf(w, "lockbench: internal error: panic: %v\n", v)
	for _, f := range panicFrames(maxPanicFrames) {
		fmt.Fprintf(w, "  at %s (%s:%d)\n", f.Function, f.File, f.Line)
	}
	fmt.Fprintln(w, "  this is a bug in lockbench, not in your input: please report it with the lines above.")
	fmt.Fprintln(w, "  Trials already recorded are kept: `lockbench bench --resume RUN_DIR` finishes an interrupted bench or check run.")
	return exitcode.Internal
}

// panicFrames returns up to max frames of the current goroutine, innermost first, starting at
// the frame that panicked: the recovery's own frames and the runtime's panic machinery are left
// out, and so is everything from cobra's dispatch of the command down to run.
func panicFrames(max int) []runtime.Frame {
	// run's name as the runtime spells it ("main.run", or the package path in a test binary).
	top := runtime.FuncForPC(reflect.ValueOf(run).Pointer()).Name()
	pcs := make([]uintptr, 64)
	n := runtime.Callers(1, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	var out []runtime.Frame
	inPanic := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			inPanic = true
		case !inPanic, strings.HasPrefix(f.Function, "runtime.") && len(out) == 0:
			// Frames of the recovery, and the runtime's own frames between gopanic and the
			// code that panicked (sigpanic, panicmem, panicIndex, ...).
		case f.Function == top, strings.HasPrefix(f.Function, "github.com/spf13/cobra."):
			// The frames that dispatched the command: nothing there is the command's.
			return out
		default:
			out = append(out, f)
			if len(out) == max {
				return out
			}
		}
		if !more {
			return out
		}
	}
}

// testPoint, when set, is called at named points of a command (reach) so that a test can break
// the command there. Only the test binary sets it (TestMain: LOCKBENCH_TEST_PANIC); in
// lockbench itself it is nil and reach does nothing.
var testPoint func(name string)

// reach marks a named point of a command for testPoint.
func reach(name string) {
	if testPoint != nil {
		testPoint(name)
	}
}
