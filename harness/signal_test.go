package harness

import (
	"context"
	"testing"
	"time"

	"lockbench/vocab"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCrashNamesTheSignalOneWay kills a real trial process and a real exec workload with
// SIGKILL and checks that both record the signal as the outcome classifier names it.
func TestCrashNamesTheSignalOneWay(t *testing.T) {
	// A trial process that dies without a result.
	_, _, failure, interrupted := startTrial(context.Background(),
		TrialCommand{Path: "/bin/sh", Args: []string{"-c", "kill -KILL $$", "sh"}}, TrialSpec{}, time.Minute)
	require.False(t, interrupted)
	require.NotNil(t, failure)
	assert.Equal(t, vocab.Crash, failure.Kind)
	assert.Equal(t, vocab.Sub("SIGKILL"), failure.Sub)

	// An exec workload killed by a signal.
	_, err := execWorkload{}.Run(context.Background(), &TrialEnv{Spec: TrialSpec{Dir: t.TempDir(), Command: "kill -KILL $$"}})
	o := ClassifyRun(err)
	assert.Equal(t, vocab.Crash, o.Kind)
	assert.Equal(t, vocab.Sub("SIGKILL"), o.Sub)
}
