package competitor_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/access"
	"lockbench/harness/competitor"
	"lockbench/vocab"
)

func TestCoopArgsRoundTrip(t *testing.T) {
	o := competitor.CoopOptions{DB: "/a b/c.duckdb", Role: competitor.RoleWriter, Strategy: "queue", Every: 150 * time.Millisecond}
	got, err := competitor.ParseCoopArgs(competitor.CoopArgs(o))
	require.NoError(t, err)
	assert.Equal(t, o, got)
	_, err = competitor.ParseCoopArgs([]string{"--role=viewer"})
	assert.ErrorContains(t, err, "want one database path")
}

func TestCooperateRejectsBadOptions(t *testing.T) {
	for _, o := range []competitor.CoopOptions{
		{DB: "a.db", Role: "reader", Every: time.Second},
		{DB: "a.db", Role: competitor.RoleViewer, Strategy: "hope", Every: time.Second},
		{DB: "a.db", Role: competitor.RoleViewer},
		{Role: competitor.RoleViewer, Every: time.Second},
	} {
		assert.Error(t, competitor.Cooperate(context.Background(), o), "%+v", o)
	}
}

// attemptsUntil waits until r's processes reported n attempts, stops r and returns them all.
func attemptsUntil(t *testing.T, r *competitor.Running, n int) []competitor.Attempt {
	t.Helper()
	eventually(t, fmt.Sprintf("%d attempts", n), func() bool { return len(r.Attempts()) >= n })
	require.NoError(t, r.Stop())
	as := r.Attempts()
	require.GreaterOrEqual(t, len(as), n)
	return as
}

func TestViewersAgainstALiveWriter(t *testing.T) {
	// A read-write holder has the file, as a running pipeline does. Whether a viewer opens the
	// file read-only or ATTACHes it READ_ONLY from an in-memory database, DuckDB refuses it
	// with the same lock error naming the holder: read-only-attach does not help.
	for _, st := range []vocab.Strategy{vocab.NoStrategy, vocab.SingleProcess, vocab.ReadOnlyAttach} {
		t.Run(string(st), func(t *testing.T) {
			path := newDB(t)
			holder := start(t, competitor.Spec{Kind: vocab.WriterProcess}, testEnv(path))
			v := start(t, competitor.Spec{Kind: vocab.Viewers, Count: 2, Period: 10 * time.Millisecond, Strategy: st}, testEnv(path))
			require.Len(t, v.PIDs(), 2)
			for _, a := range attemptsUntil(t, v, 4) {
				assert.False(t, a.OK)
				assert.Equal(t, competitor.RoleViewer, a.Role)
				assert.Contains(t, v.PIDs(), a.PID)
				assert.Equal(t, vocab.LockConflict, a.Outcome, a.Error)
				assert.Contains(t, a.Error, fmt.Sprintf("(PID %d)", holder.PIDs()[0]))
				assert.Zero(t, a.WaitS, "nothing to wait for without retry or queue")
				assert.Equal(t, 1, a.Tries)
			}
			ev := v.Events()
			require.NotEmpty(t, ev)
			assert.Equal(t, competitor.ActionCooperates, ev[0].Action)
		})
	}
}

func TestRetryingViewerWaitsForTheHolderToLeave(t *testing.T) {
	path := newDB(t)
	// A holder that releases the file after a while (a short pipeline).
	holder := start(t, competitor.Spec{Kind: vocab.FlappingProcess, Period: 2 * time.Second}, testEnv(path))
	v := start(t, competitor.Spec{Kind: vocab.Viewers, Count: 1, Period: 10 * time.Millisecond, Strategy: vocab.Retry}, testEnv(path))
	as := attemptsUntil(t, v, 1)
	require.NoError(t, holder.Stop())
	first := as[0]
	assert.True(t, first.OK, "retrying outlasted the holder: %s", first.Error)
	assert.Greater(t, first.Tries, 1, "the first open met the holder")
	assert.Positive(t, first.WaitS)
	assert.Less(t, first.WaitS, access.CoopRetry.Deadline.Seconds()+access.CoopRetry.Max.Seconds())
}

func TestQueuedViewerWaitsForTheWriterToLeaveTheQueue(t *testing.T) {
	path := newDB(t)
	// The queue belongs to this test process: a writer (exclusive) in the queue.
	leave, _, err := access.EnterQueue(context.Background(), path, true)
	require.NoError(t, err)
	v := start(t, competitor.Spec{Kind: vocab.Viewers, Count: 2, Period: 10 * time.Millisecond, Strategy: vocab.Queue}, testEnv(path))
	// Nothing can be read while the writer is in the queue: the viewers wait, not fail.
	time.Sleep(100 * time.Millisecond)
	assert.Empty(t, v.Attempts(), "a viewer got past the queue")
	leave()
	as := attemptsUntil(t, v, 4)
	waited := 0
	for _, a := range as {
		assert.True(t, a.OK, a.Error)
		if a.WaitS > 0 {
			waited++
		}
	}
	assert.Equal(t, 2, waited, "each viewer's first read waited for the queue")
}

func TestSecondWriterAppendsToItsOwnTable(t *testing.T) {
	path := newDB(t)
	w := start(t, competitor.Spec{Kind: vocab.SecondWriter, Period: 5 * time.Millisecond}, testEnv(path))
	as := attemptsUntil(t, w, 5)
	ok := 0
	for i, a := range as {
		assert.Equal(t, competitor.RoleWriter, a.Role)
		assert.Equal(t, i+1, a.Seq, "rows are numbered in order")
		if a.OK {
			ok++
		}
	}
	assert.Equal(t, len(as), ok, "nobody else holds the file")
	assert.Equal(t, ok, count(t, path, competitor.CoopTable), "every acknowledged row is in the file")
	assert.Equal(t, 100, count(t, path, "t"), "the writer leaves other tables alone")
}
