package harness

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"lockbench/harness/competitor"
	"lockbench/internal/proc"
	"lockbench/outcome"
	"lockbench/scenarios"
	"lockbench/trace"
	"lockbench/vocab"
)

// The environment of an exec workload. Every path in it is absolute.
const (
	// ExecTraceEnv names the file where an exec workload may write its spans as NDJSON.
	ExecTraceEnv = "LOCKBENCH_TRACE"
	// ExecDBEnv names the trial's database file, the same path as {db}.
	ExecDBEnv = "LOCKBENCH_DB"
	// ExecTrialDirEnv names the trial's own directory, removed after the trial: a place for
	// the command's scratch files.
	ExecTrialDirEnv = "LOCKBENCH_TRIAL_DIR"
)

// execWorkload is a user's command, with the cell's values substituted into its template.
type execWorkload struct{}

func (execWorkload) Kind() vocab.WorkloadKind { return vocab.WorkloadExec }

// Digest is the digest of the command template.
func (execWorkload) Digest(w scenarios.Workload) string {
	sum := sha256.Sum256([]byte(w.Command))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Prepare expands the command for the cell and gives the trial's file the storage version of
// ExecStorageVersion unless the cell names one.
func (execWorkload) Prepare(spec *TrialSpec, w scenarios.Workload, c scenarios.Cell) {
	if c.StorageVersion == vocab.DefaultValue {
		spec.StorageVersion = ExecStorageVersion
	}
	// spec.Dir is absolute (prepare made the run directory so): {db} names the same file from
	// any working directory.
	spec.Command = scenarios.Expand(w.Command, c, competitor.ShellWord(filepath.Join(spec.Dir, DBName)))
}

// Tables is nil: the command's tables are its own.
func (execWorkload) Tables() []string { return nil }

// Run runs the user's command (already expanded) with `sh -c` in its own process group, with
// LOCKBENCH_TRACE, LOCKBENCH_DB and LOCKBENCH_TRIAL_DIR set. It runs in the directory
// lockbench was started in (the trial process's own), so that a command such as
// `./run.sh --db {db}` finds run.sh as it does on the user's command line. Its outcome comes
// from its exit status and its output. A command has no years: a competitor deferred to a
// year starts before it.
func (execWorkload) Run(ctx context.Context, env *TrialEnv) (WorkloadResult, error) {
	if y := env.Spec.Competitor.AtYear; y > 0 {
		env.YearStarted(y)
	}
	var res WorkloadResult
	tracePath := filepath.Join(env.Spec.Dir, "trace.ndjson")
	cmd := exec.Command("sh", "-c", env.Spec.Command)
	cmd.Env = append(os.Environ(), ExecTraceEnv+"="+tracePath, ExecDBEnv+"="+env.DB, ExecTrialDirEnv+"="+env.Spec.Dir)
	var out bytes.Buffer
	cmd.Stdout = &limited{w: &out, n: 1 << 20}
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := proc.StartGroup(cmd); err != nil {
		return res, classified(outcome.Outcome{Kind: vocab.Error, Message: "start command: " + err.Error()})
	}
	_, err := proc.Wait(ctx, cmd)
	wall := time.Since(start).Seconds()
	res.Spans = readTrace(tracePath)
	res.Summary = trace.Summarize(res.Spans, wall)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return res, nil
	case ctx.Err() != nil:
		return res, classified(outcome.Outcome{Kind: vocab.Timeout, Message: "the command was stopped: " + ctx.Err().Error()})
	case errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled():
		// The classifier names the signal (SIGKILL), as everywhere else.
		return res, classified(outcome.Outcome{Kind: vocab.Crash, Sub: outcome.Classify(err).Sub, Message: lastLines(out.String(), 5)})
	}
	o := outcome.ClassifyText(out.String())
	if o.Kind == vocab.OK {
		o = outcome.Outcome{Kind: vocab.Error, Message: fmt.Sprintf("%v: %s", err, lastLines(out.String(), 5))}
	}
	return res, classified(o)
}

// readTrace reads an exec workload's NDJSON spans, skipping lines that do not parse.
func readTrace(path string) []trace.Span {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []trace.Span
	for _, line := range bytes.Split(b, []byte("\n")) {
		var s trace.Span
		if json.Unmarshal(line, &s) == nil && s.Kind != "" {
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}
