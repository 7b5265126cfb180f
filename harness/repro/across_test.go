package repro

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/outcome"
	"lockbench/vocab"
)

// TestRunAcrossTable runs two single-release cases on two releases through a runner that
// returns what each release observed, and checks the table: one row per case, a cell per
// release, and the mark on the case whose outcome differs.
func TestRunAcrossTable(t *testing.T) {
	observed := map[string]map[string]outcome.Outcome{
		"1.5.6": {"rw-vs-rw": {Kind: vocab.LockConflict, Sub: vocab.SubDatabase}, "open-close-race": {Kind: vocab.Error, Sub: vocab.SubHandleConflict}},
		"2.0.0": {"rw-vs-rw": {Kind: vocab.LockConflict, Sub: vocab.SubDatabase}, "open-close-race": {Kind: vocab.Error}},
	}
	var calls []string
	run := func(_ context.Context, rel string, names []string) ([]Result, error) {
		calls = append(calls, rel)
		var out []Result
		for _, n := range names {
			c, err := Select([]string{n})
			require.NoError(t, err)
			v := Pass
			if observed[rel][n].Sub == "" && n == "open-close-race" {
				v = Fail
			}
			out = append(out, Result{Case: c[0], Observed: observed[rel][n], Verdict: v})
		}
		return out, nil
	}
	a, err := RunAcross(context.Background(), []string{"rw-vs-rw", "open-close-race"}, []string{"1.5.6", "2.0.0"}, Env{}, run)
	require.NoError(t, err)
	assert.Equal(t, []string{"1.5.6", "2.0.0"}, calls)
	assert.False(t, a.Differs("rw-vs-rw"))
	assert.True(t, a.Differs("open-close-race"))
	passed, failed := a.Counts()
	assert.Equal(t, 3, passed)
	assert.Equal(t, 1, failed)
	var b bytes.Buffer
	require.NoError(t, WriteAcross(&b, a))
	out := b.String()
	assert.Contains(t, out, "DuckDB 1.5.6")
	assert.Regexp(t, `open-close-race\s+│ pass: error \(handle-conflict\)\s+│ fail: error\s+│ yes`, out)
	assert.Regexp(t, `rw-vs-rw\s+│ pass: lock-conflict \(database\)\s+│ pass: lock-conflict \(database\)\s+│\s+│`, out)
	assert.Contains(t, out, "DuckDB 2.0.0: ", "the failure is listed with its release")
	assert.Contains(t, out, "3 passed, 1 failed across DuckDB 1.5.6, 2.0.0")
}
