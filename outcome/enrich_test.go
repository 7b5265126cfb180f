package outcome_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/outcome"
	"lockbench/release"
	"lockbench/vocab"
)

func TestEnrich(t *testing.T) {
	exe, cmdline := selfExe(t), strings.Join(os.Args, " ")
	tests := []struct {
		name string
		in   outcome.Outcome
		want outcome.Outcome
	}{
		{
			name: "live process",
			in:   outcome.Outcome{Kind: vocab.LockConflict, HolderPID: os.Getpid()},
			want: outcome.Outcome{Kind: vocab.LockConflict, HolderPID: os.Getpid(), HolderExe: exe, HolderCmdline: cmdline},
		},
		{
			name: "DuckDB's executable is kept",
			in:   outcome.Outcome{Kind: vocab.LockConflict, HolderPID: os.Getpid(), HolderExe: "/named/by/duckdb"},
			want: outcome.Outcome{Kind: vocab.LockConflict, HolderPID: os.Getpid(), HolderExe: "/named/by/duckdb", HolderCmdline: cmdline},
		},
		{
			name: "PID 0",
			in:   outcome.Outcome{Kind: vocab.LockConflict},
			want: outcome.Outcome{Kind: vocab.LockConflict},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.in
			outcome.Enrich(&o, release.Release{})
			assert.Equal(t, tt.want, o)
		})
	}
	outcome.Enrich(nil, release.Release{})
}

// selfExe returns this test binary's executable with symbolic links resolved, as
// /proc/PID/exe names it.
func selfExe(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	exe, err = filepath.EvalSymlinks(exe)
	require.NoError(t, err)
	return exe
}
