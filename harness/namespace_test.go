package harness

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/harness/competitor"
	"lockbench/harness/repro"
	"lockbench/vocab"
)

// TestTrialWithAHolderOutsideThePIDNamespace runs a trial whose workload runs in a new PID
// namespace (a container) while the injected writer holds the file on the host: DuckDB names
// PID 0, and the trial records a lock conflict whose holder is outside the namespace.
func TestTrialWithAHolderOutsideThePIDNamespace(t *testing.T) {
	unshare, err := repro.PIDNamespaceSupport()
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, DBName)
	spec := TrialSpec{
		Cell: "competitor=writer-process", Dir: dir, Workload: "exec", Mode: "threaded", Threads: 1,
		// The workload: a read-write open of the file from a new PID namespace.
		Command:    fmt.Sprintf("exec %s --pid --fork --mount-proc --kill-child env %s=hold %s --for=1ms '%s'", unshare, roleEnv, self(), db),
		Competitor: competitor.Spec{Kind: vocab.WriterProcess, Period: time.Hour},
	}
	res := RunTrial(context.Background(), spec, testRoles())
	require.Equal(t, vocab.LockConflict, res.Outcome.Kind, "%+v", res.Outcome)
	assert.Equal(t, vocab.SubDatabase, res.Outcome.Sub)
	assert.Equal(t, db, res.Outcome.Path)
	assert.Equal(t, 0, res.Outcome.HolderPID)
	assert.Equal(t, vocab.RoleOutsideNamespace, res.Outcome.HolderRole)
}
