// Package crash makes a panic in any goroutine of lockbench end the program the way a panic in
// a command does: with exit code 4 ("lockbench itself broke"), the panic's value and the
// function, file and line where it happened, instead of Go's exit code 2, which lockbench keeps
// for bad input.
//
// The command line recovers a panic of the goroutine that runs the command. A panic in any
// other goroutine cannot be recovered there: Go ends the program at once. So every goroutine
// lockbench starts is started with Go, which recovers a panic in its own goroutine and hands it
// to the handler the program installed with Handle (cmd/lockbench prints the report with Write
// and exits 4); GoGroup does the same for a goroutine of a sync.WaitGroup (wg.Go). A program that installed no handler (a library's tests) gets Go's own
// behaviour: the panic goes on and ends the program.
//
// The simulation's scheduler is the one exception: it recovers a panic of a step itself and
// turns it into the run's error (sim.Execute), so that the other steps end first.
//
// crash imports no other lockbench package: every package may use it.
package crash

import (
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// Report is a panic recovered in a goroutine started by Go.
type Report struct {
	// Value is what the goroutine panicked with.
	Value any
	// Frames are the innermost frames of the goroutine, starting at the one that panicked and
	// ending at the function Go ran (at most MaxFrames).
	Frames []runtime.Frame
	// Started is where Go was called: the code that started the goroutine.
	Started runtime.Frame
}

// MaxFrames is how many frames a Report keeps.
const MaxFrames = 10

// handling is an installed handler with the guard that calls it once.
type handling struct {
	h    func(Report)
	once sync.Once
}

var handler atomic.Pointer[handling]

// Handle installs h as the handler of every panic in a goroutine started by Go, for the whole
// program. h is called once, for the first such panic (a second panic meanwhile waits
// forever), and should end the program: cmd/lockbench writes the report and exits 4. A nil h
// removes the handler.
func Handle(h func(Report)) {
	if h == nil {
		handler.Store(nil)
		return
	}
	handler.Store(&handling{h: h})
}

// Go runs f in a new goroutine. A panic in f goes to the handler installed with Handle, with
// the frames where it happened and where Go was called; without a handler it goes on, and Go
// ends the program as usual.
func Go(f func()) {
	var pcs [1]uintptr
	runtime.Callers(2, pcs[:])
	go run(f, pcs[0])
}

// GoGroup is wg.Go with Go's recovery: it runs f in a new goroutine counted in wg, which is
// done when f returns.
func GoGroup(wg *sync.WaitGroup, f func()) {
	var pcs [1]uintptr
	runtime.Callers(2, pcs[:])
	wg.Add(1)
	go run(func() {
		defer wg.Done()
		f()
	}, pcs[0])
}

// run is the goroutine of Go: f under a recovery that reports a panic.
func run(f func(), caller uintptr) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		h := handler.Load()
		if h == nil {
			panic(v)
		}
		r := Report{Value: v, Frames: Frames(MaxFrames, func(fn string) bool { return fn == runName })}
		if caller != 0 {
			r.Started, _ = runtime.CallersFrames([]uintptr{caller}).Next()
		}
		reported := false
		h.once.Do(func() {
			reported = true
			h.h(r)
		})
		if !reported {
			select {} // the first panic is being reported; its handler ends the program
		}
	}()
	f()
}

// runName is run's name as the runtime spells it: the frame where a goroutine's frames end.
var runName string

func init() { runName = runtime.FuncForPC(reflect.ValueOf(run).Pointer()).Name() }

// Frames returns up to max frames of the calling goroutine, innermost first, starting at the
// frame that panicked and ending before the first frame whose function stop accepts: the
// recovery's own frames and the runtime's panic machinery are left out. It must be called from
// a deferred function that recovered a panic, while the panicking frames are still on the
// stack.
func Frames(max int, stop func(function string) bool) []runtime.Frame {
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
		case stop(f.Function):
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

// Write prints a recovered panic for a person: its value, the frames where it happened (and,
// for a goroutine started by Go, where it was started), and what to do about it.
func Write(w io.Writer, r Report) {
	fmt.Fprintf(w, "lockbench: internal error: panic: %v\n", r.Value)
	for _, f := range r.Frames {
		fmt.Fprintf(w, "  at %s (%s:%d)\n", f.Function, f.File, f.Line)
	}
	if r.Started.Function != "" {
		fmt.Fprintf(w, "  in a goroutine started by %s (%s:%d)\n", r.Started.Function, r.Started.File, r.Started.Line)
	}
	fmt.Fprintln(w, "  this is a bug in lockbench, not in your input: please report it with the lines above.")
	fmt.Fprintln(w, "  Trials already recorded are kept: `lockbench bench --resume RUN_DIR` finishes an interrupted bench or check run.")
}
