package watch

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/internal/proc"
)

func TestLineTap(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		lines  []string
	}{
		{"split across writes", []string{"ab", "c\nd", "\n", "e"}, []string{"abc", "d", "e"}},
		{"several in one", []string{"x\ny\r\nz\n"}, []string{"x", "y", "z"}},
		{"empty lines", []string{"\n\n"}, []string{"", ""}},
		{"a line too long is handed on in pieces", []string{strings.Repeat("a", maxLine), "b\n"}, []string{strings.Repeat("a", maxLine), "b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			var got []string
			tap := &lineTap{w: &out, onLine: func(_ time.Time, l string) { got = append(got, l) }}
			for _, w := range tc.writes {
				n, err := tap.Write([]byte(w))
				require.NoError(t, err)
				assert.Equal(t, len(w), n)
			}
			tap.flush()
			assert.Equal(t, strings.Join(tc.writes, ""), out.String(), "output passes through unchanged")
			assert.Equal(t, tc.lines, got)
		})
	}
}

// syncBuffer is a bytes.Buffer safe for the command's output goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunCommandExitStatus(t *testing.T) {
	tests := []struct {
		name   string
		script string
		code   int
		signal string
	}{
		{"success", "echo out; echo err >&2", 0, ""},
		{"failure", "exit 7", 7, ""},
		{"killed by a signal", "kill -TERM $$", 128 + 15, "SIGTERM"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			var mu sync.Mutex
			var lines []string
			started := 0
			res, err := RunCommand(context.Background(), CommandOptions{
				Args: []string{"sh", "-c", tc.script}, Stdout: &stdout, Stderr: &stderr,
				Started: func(pid int) { started = pid },
				OnLine: func(_ time.Time, l string) {
					mu.Lock()
					lines = append(lines, l)
					mu.Unlock()
				},
			})
			require.NoError(t, err)
			assert.Equal(t, tc.code, res.ExitCode)
			assert.Equal(t, tc.signal, res.Signal)
			assert.Equal(t, started, res.PID)
			assert.False(t, res.Interrupted)
			if tc.code == 0 {
				assert.Equal(t, "out\n", stdout.String())
				assert.Equal(t, "err\n", stderr.String())
				assert.ElementsMatch(t, []string{"out", "err"}, lines)
			}
		})
	}
	_, err := RunCommand(context.Background(), CommandOptions{Args: []string{filepath.Join(t.TempDir(), "none")}})
	assert.ErrorIs(t, err, os.ErrNotExist)
}

// TestRunCommandInterrupt cancels the context (Ctrl-C) while the command and a grandchild run:
// the command gets SIGINT and its exit is reported; nothing of its group is left running.
func TestRunCommandInterrupt(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "grandchild")
	for _, tc := range []struct {
		name   string
		script string
		code   int
	}{
		{"the command handles SIGINT", `trap 'exit 9' INT; sleep 60 & echo $! > ` + pidFile + `; echo ready; wait`, 9},
		{"the command ignores SIGINT and is killed", `trap '' INT; sleep 60 & echo $! > ` + pidFile + `; echo ready; while :; do wait; done`, 128 + 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			res, err := RunCommand(ctx, CommandOptions{
				Args:  []string{"sh", "-c", tc.script},
				Grace: 300 * time.Millisecond,
				OnLine: func(_ time.Time, l string) {
					if l == "ready" {
						cancel()
					}
				},
			})
			require.NoError(t, err)
			assert.True(t, res.Interrupted)
			assert.Equal(t, tc.code, res.ExitCode)
			b, err := os.ReadFile(pidFile)
			require.NoError(t, err)
			grandchild, err := strconv.Atoi(strings.TrimSpace(string(b)))
			require.NoError(t, err)
			gone := proc.WaitUntil(nil, 10*time.Second, 10*time.Millisecond, func() bool {
				st := proc.State(grandchild)
				return st == 0 || st == 'Z' || st == 'X'
			})
			assert.True(t, gone, "the grandchild %d was killed with the group", grandchild)
		})
	}
}
