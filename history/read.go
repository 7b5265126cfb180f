package history

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"lockbench/internal/crash"
	"lockbench/internal/exitcode"
	"lockbench/outcome"
	"lockbench/trace"
	"lockbench/vocab"
)

// Run is one run directory as read: its manifest, its trials in file order, and what a reader
// should know about how they were read.
type Run struct {
	// Dir is the directory the run was read from ("" for runs built in memory).
	Dir string
	// Manifest is the run's manifest.json.
	Manifest Manifest
	// Trials are the run's trials in the order they were recorded.
	Trials []Trial
	// TornLine is true when history.ndjson ended in a partial line (a crash in the middle of a
	// write), which was ignored.
	TornLine bool
	// NoHistory is true when the directory has no history.ndjson: the run recorded no trial.
	NoHistory bool
}

// Name names the run in messages: its directory, else its ID.
func (r Run) Name() string {
	if r.Dir != "" {
		return r.Dir
	}
	return r.Manifest.ID
}

// Notes return what a reader should be told about how the run was read, one sentence each: a
// torn last line that was ignored, or a missing history. They never change a trial.
func (r Run) Notes() []string {
	var out []string
	if r.NoHistory {
		out = append(out, fmt.Sprintf("%s has no %s: no trials recorded", r.Dir, HistoryFile))
	}
	if r.TornLine {
		out = append(out, fmt.Sprintf("%s ends in a partial line (a crash mid-write); it was ignored", filepath.Join(r.Dir, HistoryFile)))
	}
	return out
}

// ReadOptions say what ReadRuns accepts and how much of each trial it decodes.
type ReadOptions struct {
	// Search makes every path a place to look for run directories: a run directory, or a
	// folder (runs/, downloaded CI artifacts) with run directories at any depth under it. A
	// folder without any is an error; symbolic links inside folders are not followed, so
	// runs/latest is not read twice. Without Search, every path must be a run directory.
	Search bool
	// NeedHistory makes a run directory without history.ndjson an error (report and compare:
	// a run that recorded no trial has nothing to judge). Without it, such a run has no trials
	// and Run.NoHistory set (trend notes it and goes on).
	NeedHistory bool
	// TimingsOnly decodes only what timing statistics need: each Trial has its Cell, Trial,
	// Warmup, Outcome.Kind, Expected, WallS, SQLS, OverheadS and DuckDB, and nothing else. Spans,
	// messages and the rest make up most of a history, and are scanned but not built: this
	// reads histories about 2.5 times faster (BenchmarkReadRuns). Every line is still checked
	// as a whole (see ReadRun).
	TimingsOnly bool
}

// ReadRun reads the run directory dir: its manifest (see ReadManifest) and every trial of its
// history.ndjson. A final partial line is ignored (Run.TornLine); a directory without a history
// has no trials (Run.NoHistory). A malformed whole line, a line without a cell, an ok trial
// without its wall_s, sql_s or overhead_s, and a timing that is negative, not finite or more
// than MaxSeconds are errors naming the file and line. Every error is an *InputError.
func ReadRun(dir string) (Run, error) { return readRun(dir, ReadOptions{}) }

// ReadRuns reads the run directories at paths (see ReadOptions.Search), each once (a directory
// given twice, or through a link, is read once), in the order of the paths. Directories are
// read concurrently; the first error in path order is returned, and ctx stops the reading
// between files (an interrupted read has exit code 3). Every error about the input is an
// *InputError.
func ReadRuns(ctx context.Context, paths []string, o ReadOptions) ([]Run, error) {
	dirs, err := runDirs(paths, o.Search)
	if err != nil {
		return nil, err
	}
	runs := make([]Run, len(dirs))
	errs := make([]error, len(dirs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(dirs)) {
		crash.GoGroup(&wg, func() {
			for i := range next {
				if err := ctx.Err(); err != nil {
					errs[i] = err
					continue
				}
				runs[i], errs[i] = readRun(dirs[i], o)
			}
		})
	}
	for i := range dirs {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				// Interrupted: nothing failed, nothing was decided (exit code 3).
				return nil, exitcode.WithCode(fmt.Errorf("reading run directories: %w", err), exitcode.Unknown)
			}
			return nil, err
		}
	}
	return runs, nil
}

// ReadTrials reads every trial of dir/history.ndjson, under ReadRun's rules; a missing file is
// an error.
func ReadTrials(dir string) ([]Trial, error) {
	path := filepath.Join(dir, HistoryFile)
	f, err := os.Open(path)
	if err != nil {
		return nil, inputErr("read history: %w", err)
	}
	defer f.Close()
	ts, _, err := decodeTrials(f, path, false)
	return ts, err
}

func readRun(dir string, o ReadOptions) (Run, error) {
	r := Run{Dir: dir}
	var err error
	if r.Manifest, err = ReadManifest(dir); err != nil {
		return r, err
	}
	path := filepath.Join(dir, HistoryFile)
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		if o.NeedHistory {
			return r, inputErr("%s has no %s: the run recorded no trial, so there is nothing to judge", dir, HistoryFile)
		}
		r.NoHistory = true
		return r, nil
	}
	if err != nil {
		return r, inputErr("read history: %w", err)
	}
	defer f.Close()
	r.Trials, r.TornLine, err = decodeTrials(f, path, o.TimingsOnly)
	return r, err
}

// trialLine is a history line as decoded: the trial, with its timings also as pointers (which
// shadow the trial's own fields in JSON), so that a missing or null timing is told from 0.
type trialLine struct {
	Trial
	WallS          *float64                `json:"wall_s"`
	SQLS           *float64                `json:"sql_s"`
	OverheadS      *float64                `json:"overhead_s"`
	OverheadByKind map[trace.Kind]*float64 `json:"overhead_by_kind"`
}

// timingLine is the part of a history line that ReadOptions.TimingsOnly decodes.
type timingLine struct {
	Cell    string `json:"cell"`
	Trial   int    `json:"trial"`
	Warmup  bool   `json:"warmup"`
	Outcome struct {
		Kind vocab.Kind `json:"kind"`
	} `json:"outcome"`
	Expected       string                  `json:"expected"`
	WallS          *float64                `json:"wall_s"`
	SQLS           *float64                `json:"sql_s"`
	OverheadS      *float64                `json:"overhead_s"`
	OverheadByKind map[trace.Kind]*float64 `json:"overhead_by_kind"`
	DuckDB         string                  `json:"duckdb"`
}

// decodeTrials decodes NDJSON trials from r (name is the file, for messages), checking every
// line (see ReadRun). torn is true when the input ended in a partial line, which is ignored.
func decodeTrials(r io.Reader, name string, timingsOnly bool) (trials []Trial, torn bool, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// A last line without a newline is a torn write: ignore it.
			return trials, len(bytes.TrimSpace(b)) > 0, nil
		}
		if err != nil {
			return trials, false, inputErr("%s: %w", name, err)
		}
		b = bytes.TrimSpace(b)
		if len(b) == 0 {
			continue
		}
		t, err := decodeLine(b, name, line, timingsOnly)
		if err != nil {
			return trials, false, err
		}
		trials = append(trials, t)
	}
}

func decodeLine(b []byte, name string, line int, timingsOnly bool) (Trial, error) {
	malformed := func(err error) error { return inputErr("%s:%d: malformed trial: %w", name, line, err) }
	if timingsOnly {
		var l timingLine
		if err := json.Unmarshal(b, &l); err != nil {
			return Trial{}, malformed(err)
		}
		t := Trial{Cell: l.Cell, Trial: l.Trial, Warmup: l.Warmup, Outcome: outcome.Outcome{Kind: l.Outcome.Kind}, Expected: l.Expected,
			WallS: deref(l.WallS), SQLS: deref(l.SQLS), OverheadS: deref(l.OverheadS), DuckDB: l.DuckDB}
		if err := checkLine(name, line, t, l.WallS, l.SQLS, l.OverheadS, l.OverheadByKind); err != nil {
			return t, &InputError{Err: err}
		}
		return t, nil
	}
	var l trialLine
	if err := json.Unmarshal(b, &l); err != nil {
		return Trial{}, malformed(err)
	}
	t := l.Trial
	t.WallS, t.SQLS, t.OverheadS = deref(l.WallS), deref(l.SQLS), deref(l.OverheadS)
	if l.OverheadByKind != nil {
		t.OverheadByKind = make(map[trace.Kind]float64, len(l.OverheadByKind))
		for k, v := range l.OverheadByKind {
			t.OverheadByKind[k] = deref(v)
		}
	}
	if err := checkLine(name, line, t, l.WallS, l.SQLS, l.OverheadS, l.OverheadByKind); err != nil {
		return t, &InputError{Err: err}
	}
	return t, nil
}

func deref(v *float64) float64 {
	if v == nil {
		return 0
	}
	return *v
}

// What a path must be, for the messages about one that is not.
const (
	runDirWanted  = "a run directory (with " + ManifestFile + ")"
	runDirsWanted = "a run directory (with " + ManifestFile + ") or a folder of them"
)

// checkDir returns an *InputError when path does not exist or is not a directory; wanted says
// what the path should have been.
func checkDir(path, wanted string) error {
	info, err := os.Stat(path)
	if err != nil {
		cause := err
		if pe, ok := err.(*fs.PathError); ok {
			cause = pe.Err
		}
		return notRunDirf("%s: %v: name %s", path, cause, wanted)
	}
	if !info.IsDir() {
		return notRunDirf("%s is not a directory: name %s", path, wanted)
	}
	return nil
}

// runDirs returns the run directories of paths, each once, in path order: the paths
// themselves, or, with search, the run directories at or under them.
func runDirs(paths []string, search bool) ([]string, error) {
	if len(paths) == 0 {
		if search {
			return nil, inputErr("no path given: name run directories or folders of them, e.g. runs/")
		}
		return nil, inputErr("no run directory given")
	}
	var out []string
	seen := map[string]bool{}
	add := func(dir string) {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			real = dir
		}
		if abs, err := filepath.Abs(real); err == nil {
			real = abs
		}
		if !seen[real] {
			seen[real] = true
			out = append(out, dir)
		}
	}
	for _, p := range paths {
		if !search {
			if err := checkDir(p, runDirWanted); err != nil {
				return nil, err
			}
			add(p)
			continue
		}
		found, err := FindRuns(p)
		if err != nil {
			return nil, err
		}
		for _, d := range found {
			add(d)
		}
	}
	return out, nil
}

// FindRuns returns the run directories (directories with a manifest.json) at or under path, in
// lexical order. A run directory given through a symbolic link (runs/latest) is returned as
// given; links inside a folder are not followed, so no run is found twice. A path that does
// not exist, is not a directory or holds no run directory is an *InputError.
func FindRuns(path string) ([]string, error) {
	if err := checkDir(path, runDirsWanted); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(path, ManifestFile)); err == nil {
		return []string{path}, nil
	}
	root, err := filepath.EvalSymlinks(path)
	if err != nil {
		return nil, inputErr("%s: %w", path, err)
	}
	var out []string
	err = filepath.WalkDir(root, func(dir string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err == nil {
			out = append(out, dir)
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return nil, inputErr("%s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, notRunDirf("%s: no run directory (a directory with %s) at or under it", path, ManifestFile)
	}
	return out, nil
}
