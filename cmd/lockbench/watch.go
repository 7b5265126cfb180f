package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"lockbench/internal/exitcode"
	"lockbench/internal/fsutil"
	"lockbench/outcome"
	"lockbench/vocab"
	"lockbench/watch"
)

func init() { register(newWatchCmd) }

// watchOptions is everything `lockbench watch` needs, parsed from its flags.
type watchOptions struct {
	// Files are the database files to watch (each with its .wal).
	Files []string
	// DB is the file to watch while Command runs (--db); it may not exist yet.
	DB string
	// Command is what to run (after --), with --db.
	Command []string
	// For ends a watch without a command after this long; zero watches until Ctrl-C.
	For time.Duration
	// Interval is the time between samples.
	Interval time.Duration
	// JSON streams events as NDJSON instead of lines for a person.
	JSON bool
	// Out is where to write the timeline: .html or .json.
	Out string
}

// Bounds of --interval.
const (
	minWatchInterval = time.Millisecond
	maxWatchInterval = time.Minute
)

func newWatchCmd(a *app) *cobra.Command {
	var o watchOptions
	c := &cobra.Command{
		Use:   "watch FILE... | watch --db FILE -- COMMAND [ARGS...]",
		Short: "Record who holds a DuckDB file over time, and what failed because of it",
		Long: `watch samples the lock holders of each FILE and of its .wal (like who, every --interval) and
prints a line whenever a holder appears or goes: time, file, PID, executable, command line, read
or write lock, and, when it goes, how long it held it. It ends on Ctrl-C or after --for, with a
summary per holder (one program, whatever its PIDs): its holds, the time held in all and how many
times it came back. --json streams the events as NDJSON (a "start" line with the interval first,
an "end" line with the whole timeline last); --out writes the timeline as HTML (a lane per holder)
or JSON, by the file's extension.

With --db FILE -- COMMAND, watch runs COMMAND (your pipeline) in a process group of its own,
watches FILE while it runs, passes its output through, and exits with its exit status (128 + the
signal's number when a signal ended it). Every line of the command's output that holds DuckDB's
lock error is marked as a failure on the timeline, with the holder at that moment, how long that
holder had held the file, and how many times it held it during the run. Ctrl-C stops the command's
whole group (SIGINT, then SIGKILL after 5s) and still writes the timeline. The command's stdout is
left alone: watch's own lines go to stderr (NDJSON with --json), where the text lines leave out
the command's own locks (--json and the timeline keep them, marked "own").

Sampling cannot see a lock taken and released between two samples: a hold shorter than the
interval may be missed, and every time is known to within one interval. The output states the
interval. A holder in another container (another PID namespace) shows as who shows it, with the
file's device and inode: run watch on the host to name it.

watch opens the files to probe them with F_GETLK (it takes no lock), so run it as its own process,
never from a program that has them open. Exit codes: 0 (a watch without a command), the command's
status with --db, 2 bad input.`,
		Example: `  lockbench watch simulation.duckdb                      # until Ctrl-C
  lockbench watch --for 10m --out watch.html simulation.duckdb
  lockbench watch --json simulation.duckdb | jq -c 'select(.event=="appeared")'
  lockbench watch --db simulation.duckdb --out run.html -- ./run_pipeline.sh --years 2025-2027`,
		Args: cobra.ArbitraryArgs,
		RunE: func(c *cobra.Command, args []string) error {
			o.Files = args
			if dash := c.ArgsLenAtDash(); dash >= 0 {
				o.Files, o.Command = args[:dash], args[dash:]
			}
			return runWatch(a.ctx, o, a.stdout, a.stderr)
		},
	}
	c.Flags().StringVar(&o.DB, "db", "", "run the command after -- and watch this file while it runs")
	c.Flags().DurationVar(&o.For, "for", 0, "stop after this long (default: at Ctrl-C)")
	c.Flags().DurationVar(&o.Interval, "interval", watch.DefaultInterval, "time between samples; a shorter hold may be missed")
	c.Flags().BoolVar(&o.JSON, "json", false, "stream the events as NDJSON")
	c.Flags().StringVar(&o.Out, "out", "", "write the timeline to this file: .html or .json (atomically)")
	return c
}

// runWatch is `lockbench watch`: it checks o, watches, and writes the events to stdout (to
// stderr with a command, whose stdout is its own), the summary, and the timeline to o.Out.
func runWatch(ctx context.Context, o watchOptions, stdout, stderr io.Writer) error {
	files, err := checkWatchOptions(o)
	if err != nil {
		return err
	}
	events := stdout
	if len(o.Command) > 0 {
		events = stderr
	}
	// The command's stderr and the watch's lines may share a stream: one write at a time.
	var mu sync.Mutex
	events = &lockedWriter{w: events, mu: &mu}
	if len(o.Command) > 0 {
		stderr = &lockedWriter{w: stderr, mu: &mu}
	}

	var cmdPID atomic.Int64
	own := func(pid int) bool {
		root := int(cmdPID.Load())
		return root > 0 && watch.Descendants(root)(pid)
	}
	var writeErr error
	emit := func(e watch.Event) {
		if writeErr != nil {
			return
		}
		switch {
		case o.JSON:
			writeErr = watch.WriteJSONLine(events, watch.JSONEvent{Event: e})
		case e.Lock != nil && e.Lock.Own:
			// The command's own locks are in the timeline; its own lines would drown the rest.
		default:
			_, writeErr = fmt.Fprintln(events, watchPrefix(o)+watch.FormatEvent(e))
		}
	}
	opts := watch.Options{Files: files, Interval: o.Interval, Probe: true, Own: own, KeepOwn: true, OnEvent: emit}
	if o.JSON {
		err = watch.WriteJSONLine(events, watch.JSONEvent{Event: watch.Event{Kind: watch.Started, Time: time.Now()},
			Files: absAll(files), IntervalS: o.Interval.Seconds()})
	} else {
		what := "until Ctrl-C"
		switch {
		case len(o.Command) > 0:
			what = "while " + strings.Join(o.Command, " ") + " runs"
		case o.For > 0:
			what = "for " + o.For.String() + " (or until Ctrl-C)"
		}
		_, err = fmt.Fprintf(events, "%swatching %s and its .wal every %s %s; a hold shorter than %s may be missed\n",
			watchPrefix(o), strings.Join(absAll(files), ", "), o.Interval, what, o.Interval)
	}
	if err != nil {
		return err
	}
	s, err := watch.Start(context.WithoutCancel(ctx), opts)
	if err != nil {
		return err
	}

	var cmdRes *watch.Command
	var runErr error
	if len(o.Command) > 0 {
		res, err := watch.RunCommand(ctx, watch.CommandOptions{
			Args: o.Command, Stdout: stdout, Stderr: stderr,
			Started: func(pid int) { cmdPID.Store(int64(pid)) },
			OnLine: func(at time.Time, line string) {
				if oc := outcome.ClassifyText(line); oc.Kind == vocab.LockConflict && oc.Sub != vocab.SubLocksUnsupported {
					s.Mark(at, oc)
				}
			},
		})
		cmdRes, runErr = &res, err
	} else {
		wait(ctx, o.For)
	}
	tl, sampleErr := s.Stop()
	if runErr != nil {
		return runErr // a command that cannot be started is bad input: watch.RunCommand says so
	}
	tl.Command = cmdRes

	if o.JSON {
		err = watch.WriteJSONLine(events, watch.JSONEvent{Event: watch.Event{Kind: watch.Ended, Time: tl.End, At: tl.DurationS}, Timeline: tl})
	} else {
		err = watch.WriteSummary(&prefixWriter{w: events, prefix: watchPrefix(o)}, tl)
	}
	err = errors.Join(err, writeErr)
	if o.Out != "" {
		if werr := writeTimeline(o.Out, tl); werr != nil {
			err = errors.Join(err, werr)
		} else {
			fmt.Fprintf(stderr, "%swrote the timeline to %s\n", watchPrefix(o), o.Out)
		}
	}
	if sampleErr != nil {
		fmt.Fprintf(stderr, "lockbench: the watch stopped sampling early: %v\n", sampleErr)
	}
	if err != nil {
		return err
	}
	if sampleErr != nil && cmdRes == nil {
		return sampleErr
	}
	if cmdRes != nil && cmdRes.ExitCode != 0 {
		return withCode(exitcode.Code(cmdRes.ExitCode))
	}
	return nil
}

// checkWatchOptions refuses bad input (exit 2) and returns the files to watch.
func checkWatchOptions(o watchOptions) ([]string, error) {
	switch {
	case o.Interval < minWatchInterval || o.Interval > maxWatchInterval:
		return nil, usageErr("--interval %s: give a duration from %s to %s, such as 50ms", o.Interval, minWatchInterval, maxWatchInterval)
	case o.For < 0:
		return nil, usageErr("--for %s: give a positive duration such as 10m (without --for the watch lasts until Ctrl-C)", o.For)
	case o.DB == "" && len(o.Command) > 0:
		return nil, usageErr("a command after -- needs --db FILE, the file to watch while it runs: lockbench watch --db FILE -- %s", strings.Join(o.Command, " "))
	case o.DB != "" && len(o.Command) == 0:
		return nil, usageErr("--db %s needs the command to run after --: lockbench watch --db %s -- COMMAND ARGS...", o.DB, o.DB)
	case o.DB != "" && o.For > 0:
		return nil, usageErr("--for ends a watch without a command; with --db the watch ends when the command does: drop --for")
	case o.DB == "" && len(o.Files) == 0:
		return nil, usageErr("give the DuckDB file(s) to watch: lockbench watch FILE... (or --db FILE -- COMMAND)")
	}
	if o.Out != "" {
		switch strings.ToLower(filepath.Ext(o.Out)) {
		case ".html", ".htm", ".json":
		default:
			return nil, usageErr("--out %s: name an .html or .json file", o.Out)
		}
		if st, err := os.Stat(filepath.Dir(o.Out)); err != nil || !st.IsDir() {
			return nil, usageErr("--out %s: the directory %s does not exist", o.Out, filepath.Dir(o.Out))
		}
	}
	files := append([]string{}, o.Files...)
	for _, f := range files {
		if err := checkWhoPath(f); err != nil {
			return nil, err
		}
	}
	if o.DB != "" {
		// The command may create the file: only its directory has to exist.
		if _, err := os.Stat(o.DB); errors.Is(err, fs.ErrNotExist) {
			if err := checkDBPath(o.DB, true); err != nil {
				return nil, err
			}
		} else if err := checkWhoPath(o.DB); err != nil {
			return nil, err
		}
		files = append([]string{o.DB}, files...)
	}
	return files, nil
}

// wait returns when ctx ends or, with a positive d, after d.
func wait(ctx context.Context, d time.Duration) {
	if d <= 0 {
		<-ctx.Done()
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// writeTimeline writes tl to path, as HTML or JSON by its extension, atomically.
func writeTimeline(path string, tl *watch.Timeline) error {
	var b bytes.Buffer
	var err error
	if strings.EqualFold(filepath.Ext(path), ".json") {
		err = watch.WriteJSON(&b, tl)
	} else {
		err = watch.WriteHTML(&b, tl)
	}
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(path, b.Bytes()); err != nil {
		return fmt.Errorf("--out %s: %w", path, err)
	}
	return nil
}

// watchPrefix starts every line of a watch around a command, whose own output shares stderr.
func watchPrefix(o watchOptions) string {
	if len(o.Command) > 0 {
		return "watch: "
	}
	return ""
}

func absAll(files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			abs = f
		}
		out[i] = abs
	}
	return out
}

// lockedWriter serialises writes to w with mu, shared with other writers of the same stream.
type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// prefixWriter starts every line written to it with prefix.
type prefixWriter struct {
	w      io.Writer
	prefix string
	mid    bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if p.prefix == "" {
		return p.w.Write(b)
	}
	var out []byte
	for _, c := range b {
		if !p.mid {
			out = append(out, p.prefix...)
			p.mid = true
		}
		out = append(out, c)
		if c == '\n' {
			p.mid = false
		}
	}
	if _, err := p.w.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}
