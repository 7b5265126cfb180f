package sim

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"lockbench/access"
	"lockbench/internal/proc"
	"lockbench/trace"
	"lockbench/vocab"
)

// workerSpec is what the parent tells a worker process: the run's configuration, which node to
// run, and the parent's trace origin so the worker's spans land on the parent's timeline.
type workerSpec struct {
	DB            string              `json:"db"`
	Coordination  bool                `json:"coordination"`
	Employees     int                 `json:"employees"`
	Years         []int               `json:"years"`
	Seed          int64               `json:"seed"`
	ParamsDir     string              `json:"params_dir,omitempty"`
	Scenario      string              `json:"scenario,omitempty"`
	CensusPath    string              `json:"census_path,omitempty"`
	ProfileDir    string              `json:"profile_dir,omitempty"`
	LockRetry     *access.RetryPolicy `json:"lock_retry,omitempty"`
	Strategy      vocab.Strategy      `json:"strategy,omitempty"`
	DuckDBThreads int                 `json:"duckdb_threads,omitempty"`
	Options       map[string]string   `json:"options,omitempty"`
	Node          string              `json:"node"`
	Worker        int                 `json:"worker"`
	OriginUnixNs  int64               `json:"origin_unix_ns"`
}

// workerMessage is one line a worker writes on stdout: a span, or its final error.
type workerMessage struct {
	Span  *trace.Span `json:"span,omitempty"`
	Error string      `json:"error,omitempty"`
	// DQ carries a failed data-quality check across the process boundary, so the parent can
	// tell it from other errors.
	DQ *DQError `json:"dq,omitempty"`
}

// WorkerFlag is the flag that carries the worker spec on the worker's command line.
const WorkerFlag = "--spec"

// runProcesses executes the plan with one worker process per node, at most width at once.
func runProcesses(ctx context.Context, p *Plan, rec *trace.Recorder, width int, pids *pidList) error {
	cfg := &p.cfg
	wc := cfg.Worker
	if wc == nil {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find own executable for workers: %w", err)
		}
		wc = &WorkerCommand{Path: exe, Args: []string{"worker"}}
	}
	return schedule(ctx, p, width, func(ctx context.Context, w int, n *Node) error {
		spec := workerSpec{
			DB: cfg.DBPath, Coordination: cfg.Coordination, Employees: cfg.Employees, Years: cfg.Years,
			Seed: cfg.Seed, ParamsDir: cfg.ParamsDir, Scenario: cfg.Scenario, CensusPath: cfg.CensusPath, ProfileDir: cfg.ProfileDir, LockRetry: cfg.LockRetry, Strategy: cfg.Strategy, DuckDBThreads: cfg.DuckDBThreads, Options: cfg.Options, Node: n.ID, Worker: w,
			OriginUnixNs: rec.Origin().UnixNano(),
		}
		b, err := json.Marshal(spec)
		if err != nil {
			return err
		}
		args := append(append([]string(nil), wc.Args...), WorkerFlag, string(b))
		cmd := exec.CommandContext(ctx, wc.Path, args...)
		cmd.Env = append(os.Environ(), wc.Env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		start := time.Now()
		// Workers stay in the parent's process group (a harness that kills the group kills
		// them too) and die with their parent.
		if err := proc.StartMember(cmd); err != nil {
			rec.Add(trace.Spawn, n.Name, n.Year, w, start, err)
			return fmt.Errorf("%s: start worker: %w", n.ID, err)
		}
		pids.add(cmd.Process.Pid)
		var workerErr string
		var workerDQ *DQError
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
		for sc.Scan() {
			var m workerMessage
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			if m.Span != nil {
				rec.Append(*m.Span)
			}
			if m.Error != "" {
				workerErr = m.Error
			}
			if m.DQ != nil {
				workerDQ = m.DQ
			}
		}
		werr := cmd.Wait()
		rec.Add(trace.Spawn, n.Name, n.Year, w, start, werr)
		switch {
		case workerDQ != nil:
			return fmt.Errorf("%s: %w", n.ID, workerDQ)
		case workerErr != "":
			return fmt.Errorf("%s: %s", n.ID, workerErr)
		case werr != nil && ctx.Err() != nil:
			return ctx.Err()
		case werr != nil:
			return fmt.Errorf("%s: worker failed: %w: %s", n.ID, werr, strings.TrimSpace(stderr.String()))
		}
		return nil
	})
}

// pidList collects worker PIDs from concurrent workers.
type pidList struct {
	mu   sync.Mutex
	pids []int
}

func (l *pidList) add(pid int) {
	l.mu.Lock()
	l.pids = append(l.pids, pid)
	l.mu.Unlock()
}

// WorkerMain is `lockbench worker`: it runs one node of a plan in this process (opening the
// database, running the node, closing it) and reports its spans and any error as JSON lines on
// stdout. It returns the process exit code.
func WorkerMain(ctx context.Context, args []string, stdout io.Writer) int {
	enc := json.NewEncoder(stdout)
	fail := func(err error) int {
		m := workerMessage{Error: err.Error()}
		errors.As(err, &m.DQ)
		_ = enc.Encode(m)
		return 1
	}
	if len(args) != 2 || args[0] != WorkerFlag {
		return fail(errors.New("usage: lockbench worker --spec JSON (started by lockbench itself)"))
	}
	var spec workerSpec
	if err := json.Unmarshal([]byte(args[1]), &spec); err != nil {
		return fail(fmt.Errorf("bad worker spec: %w", err))
	}
	cfg := Config{DBPath: spec.DB, Coordination: spec.Coordination, Employees: spec.Employees, Years: spec.Years,
		Seed: spec.Seed, ParamsDir: spec.ParamsDir, Scenario: spec.Scenario, CensusPath: spec.CensusPath, ProfileDir: spec.ProfileDir,
		LockRetry: spec.LockRetry, Strategy: spec.Strategy, DuckDBThreads: spec.DuckDBThreads, Options: spec.Options}
	models, err := LoadModels()
	if err != nil {
		return fail(err)
	}
	p, err := BuildPlan(cfg, models)
	if err != nil {
		return fail(err)
	}
	n, ok := p.Node(spec.Node)
	if !ok {
		return fail(fmt.Errorf("no node %q in the plan", spec.Node))
	}
	rec := trace.NewRecorder(time.Unix(0, spec.OriginUnixNs))
	rec.OnSpan(func(s trace.Span) { _ = enc.Encode(workerMessage{Span: &s}) })
	if p.cfg.Strategy == vocab.PerWorkerFiles {
		if err := runPart(ctx, p, rec, spec.Worker, n); err != nil {
			return fail(err)
		}
		return 0
	}
	db, err := openDB(ctx, &p.cfg, rec, spec.Worker, n.Name, n.Year)
	if err != nil {
		return fail(err)
	}
	err = withConn(ctx, db, func(c *sql.Conn) error {
		return (&stepEnv{plan: p, rec: rec, worker: spec.Worker}).runNode(ctx, c, n)
	})
	if cerr := closeDB(db, p.cfg.DBPath, rec, spec.Worker, n.Name, n.Year); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	return 0
}
