package main

import (
	"io"
	"os"
	"reflect"
	"runtime"
	"strings"

	"lockbench/internal/crash"
	"lockbench/internal/exitcode"
)

// maxPanicFrames is how many frames of a panic's stack reportPanic prints.
const maxPanicFrames = crash.MaxFrames

// reportPanic prints a panic that run recovered: its value and the innermost frames of the
// goroutine that panicked (function, file and line), and returns exitcode.Internal. It must be
// called from run's deferred function, while the panicking frames are still on the stack.
func reportPanic(w io.Writer, v any) exitcode.Code {
	crash.Write(w, crash.Report{Value: v, Frames: panicFrames(maxPanicFrames)})
	return exitcode.Internal
}

// panicFrames returns up to max frames of the current goroutine, innermost first, starting at
// the frame that panicked: the recovery's own frames and the runtime's panic machinery are left
// out, and so is everything from cobra's dispatch of the command down to run.
func panicFrames(max int) []runtime.Frame {
	// run's name as the runtime spells it ("main.run", or the package path in a test binary).
	top := runtime.FuncForPC(reflect.ValueOf(run).Pointer()).Name()
	return crash.Frames(max, func(fn string) bool {
		// The frames that dispatched the command: nothing there is the command's.
		return fn == top || strings.HasPrefix(fn, "github.com/spf13/cobra.")
	})
}

// handleGoroutinePanics makes a panic in any goroutine that lockbench starts (with crash.Go)
// end the program as a panic in the command does: the report on stderr, exit code 4. Trials
// already recorded are intact (each is one synced line), and every child process dies with
// lockbench (their parent-death signal).
func handleGoroutinePanics() {
	crash.Handle(func(r crash.Report) {
		crash.Write(os.Stderr, r)
		os.Exit(int(exitcode.Internal))
	})
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
