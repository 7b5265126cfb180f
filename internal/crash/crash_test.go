package crash

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// helperEnv makes the test binary, re-executed by a test, panic in a goroutine started by Go:
// "handled" with a handler that writes the report and exits 4 (what cmd/lockbench installs),
// "unhandled" without one.
const helperEnv = "CRASH_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "handled":
		Handle(func(r Report) {
			Write(os.Stderr, r)
			os.Exit(4)
		})
		fallthrough
	case "unhandled":
		Go(func() { panic("boom in a goroutine") })
		select {}
	}
	os.Exit(m.Run())
}

// TestGoHandsThePanicToTheHandler panics in a goroutine (a nil-map write, a runtime panic): the
// handler gets the value, the frames from the line that panicked up to the function Go ran, and
// the line that called Go.
func TestGoHandsThePanicToTheHandler(t *testing.T) {
	got := make(chan Report, 1)
	Handle(func(r Report) { got <- r })
	defer Handle(nil)
	var line int
	_, file, goLine, _ := runtime.Caller(0)
	Go(func() { // goLine + 1
		var m map[string]int
		_, _, line, _ = runtime.Caller(0)
		//lint:ignore SA5000 the panic under test
		m["x"]++ // line + 2
	})
	r := <-got
	require.Error(t, r.Value.(error))
	assert.Contains(t, r.Value.(error).Error(), "assignment to entry in nil map")
	require.NotEmpty(t, r.Frames)
	assert.Equal(t, file, r.Frames[0].File)
	assert.Equal(t, line+2, r.Frames[0].Line, "the first frame is the line that panicked")
	assert.Equal(t, "lockbench/internal/crash.TestGoHandsThePanicToTheHandler.func2", r.Frames[len(r.Frames)-1].Function,
		"the last frame is the function Go ran")
	assert.Equal(t, goLine+1, r.Started.Line, "where the goroutine was started")
	assert.Equal(t, "lockbench/internal/crash.TestGoHandsThePanicToTheHandler", r.Started.Function)

	var b bytes.Buffer
	Write(&b, r)
	assert.Contains(t, b.String(), "lockbench: internal error: panic: assignment to entry in nil map\n")
	assert.Contains(t, b.String(), fmt.Sprintf("  at lockbench/internal/crash.TestGoHandsThePanicToTheHandler.func2 (%s:%d)\n", file, line+2))
	assert.Contains(t, b.String(), fmt.Sprintf("  in a goroutine started by lockbench/internal/crash.TestGoHandsThePanicToTheHandler (%s:%d)\n", file, goLine+1))
	assert.Contains(t, b.String(), "this is a bug in lockbench")
}

// TestGoRunsWithoutPanic: a goroutine that returns normally reaches no handler.
func TestGoRunsWithoutPanic(t *testing.T) {
	called := make(chan Report, 1)
	Handle(func(r Report) { called <- r })
	defer Handle(nil)
	done := make(chan int)
	Go(func() { done <- 42 })
	assert.Equal(t, 42, <-done)
	select {
	case r := <-called:
		t.Fatalf("the handler was called: %v", r.Value)
	default:
	}
}

// TestPanicInAGoroutineExits: the program ends with the handler's exit code and report; without
// a handler, with Go's own panic and exit code 2.
func TestPanicInAGoroutineExits(t *testing.T) {
	for _, tc := range []struct {
		mode string
		code int
		want string
	}{
		{"handled", 4, "lockbench: internal error: panic: boom in a goroutine\n  at lockbench/internal/crash.TestMain.func2 ("},
		{"unhandled", 2, "panic: boom in a goroutine"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"="+tc.mode)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "the helper exited with %v\n%s", err, stderr.String())
			assert.Equal(t, tc.code, exit.ExitCode(), stderr.String())
			assert.Contains(t, stderr.String(), tc.want)
			if tc.mode == "handled" {
				assert.True(t, strings.Contains(stderr.String(), "  in a goroutine started by lockbench/internal/crash.TestMain ("), stderr.String())
			}
		})
	}
}

// TestGoGroup: the goroutines count in the group until they return, and a panic in one reaches
// the handler with the line that started it.
func TestGoGroup(t *testing.T) {
	got := make(chan Report, 1)
	Handle(func(r Report) { got <- r })
	defer Handle(nil)
	var wg sync.WaitGroup
	var n atomic.Int32
	for range 5 {
		GoGroup(&wg, func() { n.Add(1) })
	}
	wg.Wait()
	assert.Equal(t, int32(5), n.Load())

	_, _, line, _ := runtime.Caller(0)
	GoGroup(&wg, func() { panic("in a group") }) // line + 1
	r := <-got
	assert.Equal(t, "in a group", r.Value)
	assert.Equal(t, line+1, r.Started.Line)
	wg.Wait() // the goroutine is done once it panicked
}
