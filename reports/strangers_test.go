package reports

import (
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
)

// TestStrangerWarnings: a cell's watched trials name the processes lockbench did not start, one
// warning per program with the trials it was in and the trials whose lock error named it; a
// cell whose trials were watched and saw none, or were not watched, has no such warning.
func TestStrangerWarnings(t *testing.T) {
	runs := twoCellRun(12, 12, 10, 3, 0.05)
	notebook := history.Stranger{PID: 4242, Exe: "/usr/bin/python3", Cmdline: "python3 notebook.py", File: "trial.duckdb", Mode: "read"}
	waiter := history.Stranger{PID: 5151, Exe: "/usr/bin/backup", Cmdline: "backup --all", File: "trial.duckdb", Mode: "write", Waiting: true}
	outside := history.Stranger{OutsideNamespace: true, File: "trial.duckdb", Mode: "write"}
	n := 0
	for i := range runs[0].Trials {
		tr := &runs[0].Trials[i]
		if tr.Cell != "mode=threaded" {
			if n%2 == 0 {
				tr.Watch = &history.TrialWatch{IntervalS: 0.05, Samples: 20, OwnLocks: 3}
			}
			n++
			continue
		}
		tr.Watch = &history.TrialWatch{IntervalS: 0.05, Samples: 20}
		switch tr.Trial {
		case 1:
			tr.Watch.Strangers = []history.Stranger{notebook, notebook, waiter} // the file and its .wal, and a waiter
			tr.Watch.Strangers[0].Named = true
		case 2:
			other := notebook
			other.PID = 4300
			tr.Watch.Strangers = []history.Stranger{other, outside}
		case 3:
			named := notebook
			named.PID, named.Named = 4301, true
			tr.Watch.Strangers = []history.Stranger{named, {PID: 77, File: "trial.duckdb.wal", Mode: "write"}}
		case 4:
			tr.Watch = nil // resumed without --watch
		}
	}
	r, err := Build(runs, Options{})
	require.NoError(t, err)
	var got []string
	for _, w := range r.Cell("mode=threaded").Warnings {
		if w.Code == strangerWarning {
			got = append(got, w.Message)
		}
	}
	// The threaded cell has 12 trials, 11 of them watched.
	assert.Equal(t, []string{
		"a process lockbench did not start, python3 notebook.py (pids 4242, 4300, 4301), held the trial's database file during 3 of 11 watched trials; the lock error of 2 named it",
		"a process lockbench did not start, backup --all (pid 5151), waited for the lock of the trial's database file during 1 of 11 watched trials",
		"a process lockbench did not start, in another PID namespace (a container: run lockbench watch on the host to name it), held the trial's database file during 1 of 11 watched trials",
		"a process lockbench did not start (pid 77, gone before it could be named), held the trial's database file during 1 of 11 watched trials",
	}, got)
	for _, w := range r.Cell("mode=process-per-model").Warnings {
		assert.NotEqual(t, strangerWarning, w.Code, "watched, no stranger: %s", w.Message)
	}
	text := string(render(t, func(w io.Writer) error { return WriteText(w, r) }))
	assert.Contains(t, text, "a process lockbench did not start, python3 notebook.py")
	md := string(render(t, func(w io.Writer) error { return WriteMarkdown(w, r) }))
	assert.Contains(t, md, "a process lockbench did not start, backup --all")
}

func TestPIDList(t *testing.T) {
	assert.Equal(t, "pid 7", pidList([]int{7}))
	assert.Equal(t, "pids 7, 8", pidList([]int{7, 8}))
	assert.Equal(t, "pids 1, 2, 3 and 2 more", pidList([]int{1, 2, 3, 4, 5}))
}
