package competitor_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/harness/competitor"
	"lockbench/holders"
	"lockbench/internal/proc"
	"lockbench/outcome"
	"lockbench/vocab"
)

func TestWriterProcess(t *testing.T) {
	path := newDB(t)
	r := start(t, competitor.Spec{Kind: vocab.WriterProcess, Period: 10 * time.Millisecond}, testEnv(path))
	pids := r.PIDs()
	require.Len(t, pids, 1)
	pid := pids[0]

	// Both a read-write and a read-only open fail, naming the writer.
	o := requireLockConflict(t, openErr(path, false), pids, false)
	assert.Equal(t, path, o.Path)
	requireLockConflict(t, openErr(path, true), pids, false)

	// It holds the database and, having written, its WAL.
	hs, err := holders.Lookup(path)
	require.NoError(t, err)
	require.Len(t, hs, 2)
	for i, file := range []string{path, path + ".wal"} {
		assert.Equal(t, pid, hs[i].PID)
		assert.Equal(t, holders.ModeWrite, hs[i].Mode)
		assert.Equal(t, file, hs[i].File)
	}
	ev := r.Events()
	require.NotEmpty(t, ev)
	assert.Equal(t, competitor.ActionHolds, ev[0].Action)
	assert.Equal(t, fmt.Sprintf("writer-process holds a.db read-write (pid %d)", pid), ev[0].String())

	require.NoError(t, r.Stop())
	gone(t, pid)
	assert.Equal(t, competitor.ActionTerminated, r.Events()[len(r.Events())-1].Action)
	assert.NoError(t, r.Err())
	// Released: the file opens, with the workload's data and the holder's writes.
	assert.Equal(t, 100, count(t, path, "t"))
	assert.GreaterOrEqual(t, count(t, path, competitor.HolderTable), 1)
}

func TestReaderProcess(t *testing.T) {
	path := newDB(t)
	r := start(t, competitor.Spec{Kind: vocab.ReaderProcess}, testEnv(path))
	require.Len(t, r.PIDs(), 1)
	requireLockConflict(t, openErr(path, false), r.PIDs(), true)
	// Readers coexist.
	assert.NoError(t, openErr(path, true))
}

func TestReaders(t *testing.T) {
	// A missing file: the first reader creates it.
	path := filepath.Join(t.TempDir(), "new.db")
	r := start(t, competitor.Spec{Kind: vocab.Readers, Count: 3}, testEnv(path))
	pids := r.PIDs()
	require.Len(t, distinct(pids), 3)

	hs, err := holders.Lookup(path)
	require.NoError(t, err)
	var lockers []int
	for _, h := range hs {
		assert.Equal(t, holders.ModeRead, h.Mode)
		lockers = append(lockers, h.PID)
	}
	assert.ElementsMatch(t, pids, lockers, "/proc/locks lists every reader")
	// DuckDB names only one of them.
	requireLockConflict(t, openErr(path, false), pids, true)
}

func TestStoppedHolder(t *testing.T) {
	path := newDB(t)
	r := start(t, competitor.Spec{Kind: vocab.StoppedHolder}, testEnv(path))
	pid := r.PIDs()[0]
	assert.Equal(t, byte('T'), proc.State(pid), "the holder is stopped")
	// A frozen process keeps its lock.
	requireLockConflict(t, openErr(path, false), r.PIDs(), false)
	assert.Equal(t, 1, actions(r, competitor.ActionFrozen))

	require.NoError(t, r.Stop())
	gone(t, pid)
	assert.NoError(t, openErr(path, false))
}

func TestKilledHolder(t *testing.T) {
	path := newDB(t)
	r := start(t, competitor.Spec{Kind: vocab.KilledHolder, Period: 50 * time.Millisecond}, testEnv(path))
	pid := r.PIDs()[0]
	eventually(t, "the kill", func() bool { return actions(r, competitor.ActionKilled) == 1 })
	gone(t, pid)
	// SIGKILL frees the file at once; the committed data survives (the holder's first write was
	// committed before it said it was ready).
	assert.Equal(t, 100, count(t, path, "t"))
	assert.GreaterOrEqual(t, count(t, path, competitor.HolderTable), 1)
	assert.NoError(t, r.Err())
}

func TestFlappingProcess(t *testing.T) {
	path := newDB(t)
	r := start(t, competitor.Spec{Kind: vocab.FlappingProcess, Period: 20 * time.Millisecond}, testEnv(path))
	eventually(t, "two holds and a release", func() bool {
		return actions(r, competitor.ActionHolds) >= 2 && actions(r, competitor.ActionReleased) >= 1
	})
	require.NoError(t, r.Stop())
	pids := r.PIDs()
	assert.GreaterOrEqual(t, len(distinct(pids)), 2, "each cycle is a new process")
	for _, pid := range pids {
		gone(t, pid)
	}
	assert.NoError(t, r.Err())
}

// TestFlappingBlocked checks that a flapping process that finds the file locked keeps trying
// without failing the competitor.
func TestFlappingBlocked(t *testing.T) {
	path := newDB(t)
	r := start(t, competitor.Spec{Kind: vocab.FlappingProcess, Period: 20 * time.Millisecond}, testEnv(path))
	eventually(t, "a release", func() bool { return actions(r, competitor.ActionReleased) >= 1 })
	// Take the file while the flapper is away (retrying while its next cycle holds it).
	var db *sql.DB
	eventually(t, "the file", func() bool {
		var err error
		db, err = sql.Open("duckdb", path)
		return err == nil
	})
	defer db.Close()
	eventually(t, "a blocked relaunch", func() bool { return actions(r, competitor.ActionBlocked) >= 1 })
	assert.NoError(t, r.Err())
	require.NoError(t, r.Stop())
	for _, pid := range r.PIDs() {
		gone(t, pid)
	}
}

func TestExec(t *testing.T) {
	hold := fmt.Sprintf("%s=1 %s hold", holdEnv, os.Args[0])
	tests := []struct {
		name    string
		command string
	}{
		{"exec", fmt.Sprintf("%s=1 exec %s hold {db}", holdEnv, os.Args[0])},
		{"pipeline", hold + " --write-every=5ms {db} | cat"},
		{"background job", "(" + hold + " {db}) & wait"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := newDB(t)
			r := start(t, competitor.Spec{Kind: vocab.ExecCompetitor, Command: tt.command}, testEnv(path))
			pids := r.PIDs()
			require.Len(t, pids, 1)
			hs, err := holders.Lookup(path)
			require.NoError(t, err)
			require.NotEmpty(t, hs)
			assert.Equal(t, pids[0], hs[0].PID, "PIDs names the process that holds the lock")
			requireLockConflict(t, openErr(path, false), pids, false)

			pg := group(pids[0])
			require.NoError(t, r.Stop())
			groupGone(t, pg)
			assert.NoError(t, openErr(path, false))
		})
	}
}

func TestExecWithoutLock(t *testing.T) {
	path := newDB(t)
	r := start(t, competitor.Spec{Kind: vocab.ExecCompetitor, Command: "test -f {db}"}, testEnv(path))
	assert.Empty(t, r.PIDs())
	assert.Equal(t, 1, actions(r, competitor.ActionReleased))

	_, err := competitor.Start(context.Background(), competitor.Spec{Kind: vocab.ExecCompetitor, Command: "echo no >&2; exit 3"}, testEnv(path))
	var he *competitor.HolderError
	require.ErrorAs(t, err, &he)
	assert.Contains(t, he.Stderr, "no")
	gone(t, he.PID)
}

func TestInProcessWriter(t *testing.T) {
	path := newDB(t)
	db, err := sql.Open("duckdb", path)
	require.NoError(t, err)
	defer db.Close()
	env := competitor.Env{InProcess: db, Tables: func() []string { return []string{"not_yet", "t"} }}
	r := start(t, competitor.Spec{Kind: vocab.InProcessWriter, Period: 20 * time.Millisecond}, env)
	assert.Empty(t, r.PIDs())

	// The workload's own update conflicts with the writer's open transaction.
	var conflict error
	eventually(t, "a transaction conflict", func() bool {
		_, err := db.Exec("UPDATE t SET v = v + 1 WHERE id = 1")
		if err != nil {
			conflict = err
		}
		return err != nil
	})
	o := outcome.Classify(conflict)
	assert.Equal(t, vocab.TxnConflict, o.Kind)
	assert.Equal(t, vocab.SubUpdate, o.Sub)

	require.NoError(t, r.Stop())
	assert.Equal(t, 1, actions(r, competitor.ActionWrites))
	// Its writes change nothing, and it left no transaction open.
	var n int
	require.NoError(t, db.QueryRow("SELECT count(*) FROM t WHERE v <> 0 AND id <> 1").Scan(&n))
	assert.Zero(t, n)
	_, err = db.Exec("UPDATE t SET v = 0")
	assert.NoError(t, err)
}

// TestInProcessWriterRebuildsWhatTheWorkloadRebuilds: for a table the workload replaces whole,
// the writer replaces it too, so the workload's own CREATE OR REPLACE meets DuckDB's catalog
// write-write conflict; the writer's replacements keep every row.
func TestInProcessWriterRebuildsWhatTheWorkloadRebuilds(t *testing.T) {
	path := newDB(t)
	db, err := sql.Open("duckdb", path)
	require.NoError(t, err)
	defer db.Close()
	env := competitor.Env{InProcess: db,
		Tables:  func() []string { return []string{"t"} },
		Rebuilt: func() []string { return []string{"t"} }}
	r := start(t, competitor.Spec{Kind: vocab.InProcessWriter, Period: 20 * time.Millisecond}, env)

	var conflict error
	eventually(t, "a catalog conflict", func() bool {
		_, err := db.Exec("CREATE OR REPLACE TABLE t AS SELECT range AS id, 0 AS v FROM range(100)")
		if err != nil {
			conflict = err
		}
		return err != nil
	})
	o := outcome.Classify(conflict)
	assert.Equal(t, vocab.TxnConflict, o.Kind, conflict.Error())
	assert.Equal(t, vocab.SubCatalog, o.Sub, conflict.Error())

	require.NoError(t, r.Stop())
	// Counted by another query than the writer's: 100 rows, ids 0..99, every v still 0.
	var n, ids, nonzero int
	require.NoError(t, db.QueryRow("SELECT count(*), count(DISTINCT id), count(*) FILTER (v <> 0) FROM t WHERE id BETWEEN 0 AND 99").Scan(&n, &ids, &nonzero))
	assert.Equal(t, []int{100, 100, 0}, []int{n, ids, nonzero})
}

// TestStopReapsEverything proves that no process is left after Stop or after cancelling the
// context of Start, whatever state the competitor is in (frozen included).
func TestStopReapsEverything(t *testing.T) {
	hold := fmt.Sprintf("%s=1 %s hold", holdEnv, os.Args[0])
	specs := []competitor.Spec{
		{Kind: vocab.WriterProcess},
		{Kind: vocab.ReaderProcess},
		{Kind: vocab.Readers, Count: 2},
		{Kind: vocab.StoppedHolder},
		{Kind: vocab.StoppedHolder, ReadOnly: true},
		{Kind: vocab.KilledHolder, Period: time.Hour},
		{Kind: vocab.FlappingProcess, Period: time.Hour},
		{Kind: vocab.ExecCompetitor, Command: hold + " {db} | cat"},
	}
	for _, how := range []string{"Stop", "cancel"} {
		for _, spec := range specs {
			t.Run(fmt.Sprintf("%s/%s/ro=%v", how, spec.Kind, spec.ReadOnly), func(t *testing.T) {
				path := newDB(t)
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				r, err := competitor.Start(ctx, spec, testEnv(path))
				require.NoError(t, err)
				pids := r.PIDs()
				require.NotEmpty(t, pids)
				var groups []int
				for _, pid := range pids {
					groups = append(groups, group(pid))
				}
				if how == "Stop" {
					require.NoError(t, r.Stop())
				} else {
					cancel()
					<-r.Done()
				}
				for _, pid := range pids {
					gone(t, pid)
				}
				for _, pg := range groups {
					groupGone(t, pg)
				}
				assert.NoError(t, openErr(path, false), "the file is free")
			})
		}
	}
}

func TestDeferred(t *testing.T) {
	t.Run("at a year boundary", func(t *testing.T) {
		path := newDB(t)
		r := start(t, competitor.Spec{Kind: vocab.WriterProcess, AtYear: 3}, testEnv(path))
		for _, y := range []int{1, 2} {
			require.NoError(t, r.YearStarted(y))
			assert.Empty(t, r.PIDs(), "year %d", y)
		}
		assert.NoError(t, openErr(path, false), "free before year 3")
		require.NoError(t, r.YearStarted(3))
		require.Len(t, r.PIDs(), 1)
		requireLockConflict(t, openErr(path, false), r.PIDs(), false)
		require.NoError(t, r.YearStarted(4))
		assert.Len(t, r.PIDs(), 1, "starts once")
	})
	t.Run("after a delay", func(t *testing.T) {
		path := newDB(t)
		r := start(t, competitor.Spec{Kind: vocab.ReaderProcess, Delay: 10 * time.Millisecond}, testEnv(path))
		eventually(t, "the delayed start", func() bool { return len(r.PIDs()) == 1 })
		requireLockConflict(t, openErr(path, false), r.PIDs(), true)
	})
	t.Run("stopped before its delay", func(t *testing.T) {
		path := newDB(t)
		r := start(t, competitor.Spec{Kind: vocab.WriterProcess, Delay: time.Hour}, testEnv(path))
		require.NoError(t, r.Stop())
		assert.Empty(t, r.PIDs())
		assert.Empty(t, r.Events())
	})
	t.Run("delayed start that finds the file locked", func(t *testing.T) {
		path := newDB(t)
		first := start(t, competitor.Spec{Kind: vocab.WriterProcess}, testEnv(path))
		r := start(t, competitor.Spec{Kind: vocab.WriterProcess, Delay: time.Millisecond}, testEnv(path))
		eventually(t, "the failure", func() bool { return r.Err() != nil })
		var he *competitor.HolderError
		require.ErrorAs(t, r.Err(), &he)
		assert.Equal(t, vocab.LockConflict, he.Outcome.Kind)
		assert.Equal(t, first.PIDs()[0], he.Outcome.HolderPID)
		assert.Equal(t, 1, actions(r, competitor.ActionFailed))
	})
}

func TestStartErrors(t *testing.T) {
	path := newDB(t)
	tests := []struct {
		name string
		spec competitor.Spec
		env  competitor.Env
	}{
		{"unknown kind", competitor.Spec{Kind: "gremlin"}, testEnv(path)},
		{"no database", competitor.Spec{Kind: vocab.WriterProcess}, competitor.Env{Launcher: launcher}},
		{"exec without command", competitor.Spec{Kind: vocab.ExecCompetitor}, testEnv(path)},
		{"in-process without handle", competitor.Spec{Kind: vocab.InProcessWriter}, testEnv(path)},
		{"negative count", competitor.Spec{Kind: vocab.Readers, Count: -1}, testEnv(path)},
		{"launcher that does not hold", competitor.Spec{Kind: vocab.WriterProcess}, competitor.Env{DB: path, Launcher: competitor.Launcher{Path: "/bin/true"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := competitor.Start(context.Background(), tt.spec, tt.env)
			assert.Error(t, err)
			assert.Nil(t, r)
		})
	}

	// A holder that cannot take its lock: the error says who has it, and nothing is left.
	first := start(t, competitor.Spec{Kind: vocab.WriterProcess}, testEnv(path))
	_, err := competitor.Start(context.Background(), competitor.Spec{Kind: vocab.Readers, Count: 2}, testEnv(path))
	var he *competitor.HolderError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, vocab.LockConflict, he.Outcome.Kind)
	assert.Equal(t, first.PIDs()[0], he.Outcome.HolderPID)
	assert.Contains(t, he.Error(), "Conflicting lock is held")
	gone(t, he.PID)
}

func TestNone(t *testing.T) {
	for _, kind := range []vocab.CompetitorKind{"", vocab.NoCompetitor} {
		r, err := competitor.Start(context.Background(), competitor.Spec{Kind: kind}, competitor.Env{})
		require.NoError(t, err)
		assert.Empty(t, r.PIDs())
		assert.NoError(t, r.Stop())
		assert.NoError(t, r.Stop(), "idempotent")
	}
	assert.Len(t, vocab.CompetitorKinds, 10)
	assert.False(t, errors.Is(nil, os.ErrNotExist))
}
