package watch

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/outcome"
	"lockbench/vocab"
)

// lk is a lock of pid on file from a to b seconds.
func lk(pid int, file, mode string, a, b float64) Lock {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sec := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	return Lock{Holder: Holder{PID: pid, Exe: "/usr/bin/prog" + strconv.Itoa(pid%10), Cmdline: "prog"}, File: file, Mode: mode,
		Start: sec(a), End: sec(b), StartS: a, EndS: b}
}

func TestUnion(t *testing.T) {
	tests := []struct {
		name  string
		locks []Lock
		want  []Span
	}{
		{"none", nil, nil},
		{"db and wal overlap", []Lock{lk(1, "a", "write", 1, 5), lk(1, "a.wal", "write", 2, 6)}, []Span{{StartS: 1, EndS: 6}}},
		{"touching samples merge", []Lock{lk(1, "a", "read", 1, 2), lk(1, "a", "read", 2, 3)}, []Span{{StartS: 1, EndS: 3}}},
		{"inside", []Lock{lk(1, "a", "read", 1, 9), lk(2, "a", "read", 2, 3)}, []Span{{StartS: 1, EndS: 9}}},
		{"apart", []Lock{lk(1, "a", "read", 1, 2), lk(1, "a", "read", 4, 5)}, []Span{{StartS: 1, EndS: 2}, {StartS: 4, EndS: 5}}},
		{"from the first sample", []Lock{lk(1, "a", "read", 0, 2)}, []Span{{StartS: 0, EndS: 2, Before: true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, union(tc.locks))
		})
	}
}

func TestLanesGroupByProgram(t *testing.T) {
	own := lk(7, "a", "write", 0, 9)
	own.Own = true
	outside := lk(0, "a", "write", 3, 4)
	outside.Exe, outside.Cmdline, outside.OutsideNamespace = "", "", true
	anon := lk(5, "a", "read", 6, 7)
	anon.Exe, anon.Cmdline = "", ""
	// Two processes of one program (pids 11 and 21 share exe prog1 and command line "prog").
	ls := lanes([]Lock{lk(21, "a", "read", 5, 6), own, lk(11, "a", "read", 1, 2), outside, anon, lk(11, "a.wal", "write", 1.5, 2.5)})
	var labels []string
	for _, ln := range ls {
		labels = append(labels, ln.Label)
	}
	assert.Equal(t, []string{"the watched command", "prog1 (2 processes)", "outside this PID namespace", "pid 5"}, labels)
	p := ls[1]
	assert.Equal(t, []int{11, 21}, p.PIDs)
	assert.Equal(t, []string{"read", "write"}, p.Modes)
	assert.Equal(t, []Span{{StartS: 1, EndS: 2.5}, {StartS: 5, EndS: 6}}, p.Holds)
	assert.Equal(t, 1, p.Returns)
	assert.InDelta(t, 2.5, p.HeldS, 1e-9)
	assert.Equal(t, 0, ls[3].Returns)
}

func TestMatch(t *testing.T) {
	viewer := lk(11, "/d/a.duckdb", "read", 1, 3)
	viewer2 := lk(11, "/d/a.duckdb", "read", 5, 8)
	other := lk(22, "/d/a.duckdb", "read", 5.2, 6)
	own := lk(7, "/d/a.duckdb", "write", 0, 9)
	own.Own = true
	outside := lk(0, "/d/a.duckdb", "write", 4, 4.5)
	outside.Exe, outside.Cmdline, outside.OutsideNamespace = "", "", true
	tl := &Timeline{IntervalS: 0.05, Probe: true, Lanes: lanes([]Lock{viewer, viewer2, other, own, outside})}
	laneOf := func(pid int, outside bool) int {
		for i, ln := range tl.Lanes {
			if ln.OutsideNamespace == outside && (outside || ln.PIDs[0] == pid) {
				return i
			}
		}
		return -2
	}
	tests := []struct {
		name       string
		at         float64
		o          outcome.Outcome
		lane       int
		heldFor    float64
		times      int
		noteSubstr string
	}{
		{"named pid, second hold", 6.5, outcome.Outcome{HolderPID: 11, Path: "/d/a.duckdb"}, laneOf(11, false), 1.5, 2, ""},
		{"named pid, relative path", 2, outcome.Outcome{HolderPID: 11, Path: "a.duckdb"}, laneOf(11, false), 1, 2, ""},
		{"released just before the line was read", 3.04, outcome.Outcome{HolderPID: 11}, laneOf(11, false), 2, 2, ""},
		{"named pid not holding then", 4, outcome.Outcome{HolderPID: 11}, -1, 0, 0, "did not see PID 11"},
		{"pid 0: outside the namespace", 4.2, outcome.Outcome{HolderPID: 0, HolderRole: vocab.RoleOutsideNamespace}, laneOf(0, true), 0.2, 1, ""},
		{"no pid named: the holder that came last, not the command", 5.5, outcome.Outcome{}, laneOf(22, false), 0.3, 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := Failure{At: tc.at, Outcome: tc.o}
			match(&f, tl)
			require.Equal(t, tc.lane, f.Lane)
			assert.InDelta(t, tc.heldFor, f.HeldForS, 1e-9)
			assert.Equal(t, tc.times, f.TimesHeld)
			if tc.noteSubstr != "" {
				assert.Contains(t, f.Note, tc.noteSubstr)
			} else {
				assert.Empty(t, f.Note)
			}
		})
	}
}

// TestRenderings renders one timeline as text, JSON and HTML: every holder and failure is in
// each, and the JSON reads back.
func TestRenderings(t *testing.T) {
	viewer := lk(11, "/d/a.duckdb", "read", 1, 3)
	outside := lk(0, "/d/a.duckdb", "write", 4, 5)
	outside.Exe, outside.Cmdline, outside.OutsideNamespace, outside.Device, outside.Inode = "", "", true, "fe:00", 42
	tl := &Timeline{Files: []string{"/d/a.duckdb"}, IntervalS: 0.05, DurationS: 6, Samples: 120, Probe: true,
		Lanes: lanes([]Lock{viewer, outside})}
	f := Failure{At: 2, Count: 1, Outcome: outcome.Outcome{Message: `IO Error: Could not set lock on file "/d/a.duckdb": Conflicting lock is held in /usr/bin/prog1 (PID 11)`, HolderPID: 11}}
	match(&f, tl)
	tl.Failures = []Failure{f}

	var text bytes.Buffer
	require.NoError(t, WriteSummary(&text, tl))
	for _, want := range []string{"sampling every 50.0ms", "a hold shorter than 50.0ms may be missed", "pid 11 (/usr/bin/prog1; prog): read lock, held the files once for 2.00s in all, never came back",
		"outside this PID namespace: write lock", "failure at +2.00s: IO Error", "held by pid 11 (/usr/bin/prog1; prog), which had held it for 1.00s and held the files once during the watch"} {
		assert.Contains(t, text.String(), want)
	}
	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, tl))
	var back Timeline
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	assert.Equal(t, 11, back.Failures[0].Holder.PID)
	var page bytes.Buffer
	require.NoError(t, WriteHTML(&page, tl))
	html := page.String()
	for _, want := range []string{"<svg", "pid 11 prog1", "pid 11 (/usr/bin/prog1; prog)", "fe:00:42", "1 failure(s)", "sampled every 50.0ms"} {
		assert.Contains(t, html, want)
	}
	line := FormatEvent(Event{Kind: Appeared, Time: outside.Start, At: 4, Lock: &outside})
	assert.Contains(t, line, "appeared: a process outside this PID namespace holds a write lock on /d/a.duckdb (device fe:00, inode 42;")
	assert.Contains(t, line, "run watch on the host to name it")
}
