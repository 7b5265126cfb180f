// Package competitor injects competing connections into a trial (nemeses, in Jepsen's terms):
// other processes that hold the database file read-write or read-only, several readers, a
// process that opens and closes on a period, a stopped (SIGSTOP) or killed (SIGKILL) holder, a
// second connection in the workload's own process, or the user's own command.
//
// Hold is the competing connection itself, the library behind `lockbench hold`. Start launches
// a competitor of a Spec and returns once its lock is really held; Running.Stop ends it and
// reaps every process it started, whatever happened to them.
package competitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"lockbench/internal/crash"
	"lockbench/outcome"
	"lockbench/vocab"
)

// Defaults of a Spec and an Env.
const (
	// DefaultFlapPeriod is the hold (and release) time of FlappingProcess when Spec.Period is
	// zero: half of a scenario's default cycle.
	DefaultFlapPeriod = vocab.DefaultFlapCycle / 2
	// DefaultReadyTimeout is Env.ReadyTimeout when it is zero.
	DefaultReadyTimeout = 30 * time.Second
	// DefaultGrace is Env.Grace when it is zero.
	DefaultGrace = 5 * time.Second

	killedWriteEvery = 10 * time.Millisecond
	maxEvents        = 1000
)

// Spec describes one competitor of a scenario cell.
type Spec struct {
	// Kind is one of Kinds, or None.
	Kind vocab.CompetitorKind `json:"kind"`
	// Count is the number of read-only holders of Readers (default 2).
	Count int `json:"count,omitempty"`
	// Period is the write interval of WriterProcess, the hold and release time of
	// FlappingProcess, the time KilledHolder holds before SIGKILL, and the time each
	// transaction of InProcessWriter stays open (default: until Stop).
	Period time.Duration `json:"period,omitempty"`
	// Delay starts the competitor this long after Start (or after the AtYear boundary), in the
	// background; errors then show in Running.Err and Events.
	Delay time.Duration `json:"delay,omitempty"`
	// AtYear defers the start until the runner calls Running.YearStarted with this year or a
	// later one.
	AtYear int `json:"at_year,omitempty"`
	// Command is the command line of Exec.
	Command string `json:"command,omitempty"`
	// ReadOnly makes FlappingProcess and StoppedHolder hold the file read-only.
	ReadOnly bool `json:"read_only,omitempty"`
	// Strategy is the cell's strategy, whose rules Viewers and SecondWriter follow (see
	// vocab.Strategy); empty means plain opens.
	Strategy vocab.Strategy `json:"strategy,omitempty"`
	// Binary, when set, is the lockbench binary that runs the competitor's processes (`Binary
	// hold ...`, `Binary cooperate ...`) instead of Env's launchers: a binary that links
	// another DuckDB release, so that the competitor runs that release. It applies to the
	// kinds whose processes are lockbench's (vocab.CompetitorKind.RunsLockbench).
	Binary string `json:"binary,omitempty"`
}

// Launcher says how to run a holder process: Path with Args, then HoldArgs. The default
// (DefaultLauncher) re-executes the running lockbench binary as `lockbench hold ...`; tests use
// the test binary with an environment variable.
type Launcher struct {
	// Path is the executable.
	Path string
	// Args come before the hold arguments, for example ["hold"].
	Args []string
	// Env is added to the current environment.
	Env []string
}

// DefaultLauncher re-executes the current executable with the "hold" subcommand.
func DefaultLauncher() (Launcher, error) {
	exe, err := os.Executable()
	if err != nil {
		return Launcher{}, fmt.Errorf("competitor launcher: %w", err)
	}
	return Launcher{Path: exe, Args: []string{"hold"}}, nil
}

// Command returns the command that runs a holder with options o.
func (l Launcher) Command(o HoldOptions) *exec.Cmd {
	cmd := exec.Command(l.Path, append(slices.Clone(l.Args), HoldArgs(o)...)...)
	cmd.Env = append(os.Environ(), l.Env...)
	return cmd
}

// Env is what a competitor competes for.
type Env struct {
	// DB is the workload's database file.
	DB string
	// Launcher runs holder processes; the zero value means DefaultLauncher.
	Launcher Launcher
	// Cooperator runs the processes of Viewers and SecondWriter; the zero value means
	// DefaultCooperator.
	Cooperator Launcher
	// InProcess is the workload's own handle, for InProcessWriter.
	InProcess *sql.DB
	// Tables lists the workload tables InProcessWriter writes; it is called before every
	// transaction, so it can follow the workload's progress. Missing tables are skipped.
	Tables func() []string
	// Rebuilt lists those of Tables that the workload replaces whole (CREATE OR REPLACE);
	// InProcessWriter replaces them too, with their own rows (nil: none).
	Rebuilt func() []string
	// ReadyTimeout bounds the wait for a holder's ready line (default 30s).
	ReadyTimeout time.Duration
	// Grace is how long Stop waits after SIGTERM before SIGKILL (default 5s).
	Grace time.Duration
	// Started, when set, is called with every process the competitor starts, right after it
	// started (whether or not it then takes its lock), and the process's role: "competitor"
	// for holders and exec commands, RoleViewer or RoleWriter for cooperating processes. It
	// must not block.
	Started func(pid int, role string)
}

// Event actions.
const (
	// ActionHolds: a holder took its lock.
	ActionHolds = "holds"
	// ActionFrozen: a holder was stopped with SIGSTOP.
	ActionFrozen = "frozen"
	// ActionKilled: a holder was killed with SIGKILL, as its kind prescribes.
	ActionKilled = "killed"
	// ActionReleased: a holder released the file and exited on its own.
	ActionReleased = "released"
	// ActionTerminated: Stop ended a holder.
	ActionTerminated = "terminated"
	// ActionFailed: a competitor failed (it could not take its lock, or exited with an error).
	ActionFailed = "failed"
	// ActionBlocked: a flapping process found the file locked by someone else (it retries).
	ActionBlocked = "blocked"
	// ActionWrites: the in-process writer started.
	ActionWrites = "writes"
	// ActionConflict: a statement of the in-process writer failed (typically a conflict).
	ActionConflict = "conflict"
	// ActionDropped: the timeline was full; the event counts what was left out.
	ActionDropped = "dropped"
	// ActionCooperates: a cooperating viewer or second writer started its attempts.
	ActionCooperates = "cooperates"
)

// Event is one entry of a competitor's timeline, for reports.
type Event struct {
	// At is when it happened.
	At time.Time `json:"at"`
	// Competitor is the competitor's kind.
	Competitor string `json:"competitor"`
	// PID is the process concerned (0 for the in-process writer).
	PID int `json:"pid,omitempty"`
	// Action is one of the Action constants.
	Action string `json:"action"`
	// Text is a full sentence such as `writer-process holds a.db read-write (pid 4242)`.
	Text string `json:"text"`
}

// String returns e's text.
func (e Event) String() string { return e.Text }

// HolderError is the failure of a competitor process before it took its lock.
type HolderError struct {
	// Competitor is the competitor's kind.
	Competitor string
	// PID is the failed process.
	PID int
	// Stderr is the end of the process's stderr.
	Stderr string
	// Outcome classifies Stderr (a lock-conflict when the file was held by someone else).
	Outcome outcome.Outcome
	// Err is what went wrong on the harness side (early exit, timeout, ...).
	Err error
}

// Error describes the failure.
func (e *HolderError) Error() string {
	s := fmt.Sprintf("%s (pid %d): %v", e.Competitor, e.PID, e.Err)
	if e.Outcome.Message != "" {
		s += ": " + e.Outcome.Message
	} else if e.Stderr != "" {
		s += ": " + lastLine(e.Stderr)
	}
	return s
}

// Unwrap returns Err.
func (e *HolderError) Unwrap() error { return e.Err }

// errStopping is returned by launches refused because Stop has begun.
var errStopping = errors.New("competitor is stopping")

// Running is a started competitor. Its methods are safe for concurrent use.
type Running struct {
	spec  Spec
	env   Env
	db    string // absolute path
	label string // spec.Kind

	mu       sync.Mutex
	procs    []*child
	pids     []int
	events   []Event
	dropped  int
	err      error
	stopping bool
	begun    bool
	coop     []*child  // the cooperating processes
	attempts []Attempt // what they reported

	ctx      context.Context // cancelled when Stop begins
	cancel   context.CancelFunc
	wg       sync.WaitGroup // background loops
	stopOnce sync.Once
	stopErr  error
	done     chan struct{}
}

// Start starts the competitor spec against env. Unless the start is deferred (Delay, AtYear),
// it returns once every holder process printed its ready line (or the exec command holds a lock
// on the file, or the in-process writer began), so the trial starts with the lock really held.
// If a holder cannot take its lock, Start stops whatever it started and returns a *HolderError.
// Cancelling ctx stops the competitor as Stop does.
func Start(ctx context.Context, spec Spec, env Env) (*Running, error) {
	if err := validate(spec, env); err != nil {
		return nil, err
	}
	if spec.Binary != "" && spec.Kind.RunsLockbench() {
		env.Launcher = Launcher{Path: spec.Binary, Args: []string{"hold"}}
		env.Cooperator = Launcher{Path: spec.Binary, Args: []string{"cooperate"}}
	}
	if env.Launcher.Path == "" {
		l, err := DefaultLauncher()
		if err != nil {
			return nil, err
		}
		env.Launcher = l
	}
	if env.Cooperator.Path == "" && (spec.Kind == vocab.Viewers || spec.Kind == vocab.SecondWriter) {
		l, err := DefaultCooperator()
		if err != nil {
			return nil, err
		}
		env.Cooperator = l
	}
	if env.ReadyTimeout <= 0 {
		env.ReadyTimeout = DefaultReadyTimeout
	}
	if env.Grace <= 0 {
		env.Grace = DefaultGrace
	}
	abs, err := filepath.Abs(env.DB)
	if err != nil {
		return nil, fmt.Errorf("competitor %s: %w", spec.Kind, err)
	}
	r := &Running{spec: spec, env: env, db: abs, label: string(spec.Kind), done: make(chan struct{})}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	crash.Go(func() {
		select {
		case <-ctx.Done():
			_ = r.Stop()
		case <-r.ctx.Done():
		}
	})
	if spec.Kind == vocab.NoCompetitor || spec.Kind == "" || spec.AtYear > 0 {
		return r, nil
	}
	if err := r.trigger(); err != nil {
		_ = r.Stop()
		return nil, err
	}
	return r, nil
}

func validate(spec Spec, env Env) error {
	if spec.Kind == vocab.NoCompetitor || spec.Kind == "" {
		return nil
	}
	if _, err := vocab.ParseCompetitorKind(string(spec.Kind)); err != nil {
		return fmt.Errorf("competitor: %w", err)
	}
	switch {
	case env.DB == "" && spec.Kind != vocab.InProcessWriter:
		return fmt.Errorf("competitor %s: no database file", spec.Kind)
	case spec.Count < 0 || spec.Period < 0 || spec.Delay < 0 || spec.AtYear < 0:
		return fmt.Errorf("competitor %s: count, period, delay and year must not be negative", spec.Kind)
	case spec.Kind == vocab.ExecCompetitor && strings.TrimSpace(spec.Command) == "":
		return fmt.Errorf("competitor %s: no command", spec.Kind)
	case spec.Kind == vocab.InProcessWriter && (env.InProcess == nil || env.Tables == nil):
		return fmt.Errorf("competitor %s: needs the workload's *sql.DB and its tables", spec.Kind)
	}
	return nil
}

// YearStarted tells a competitor deferred with AtYear that the workload begins year. The first
// call with year >= AtYear starts it: synchronously (returning once the lock is held, or the
// start's error) unless Delay puts the start in the background. Other calls do nothing.
func (r *Running) YearStarted(year int) error {
	r.mu.Lock()
	due := r.spec.AtYear > 0 && year >= r.spec.AtYear && !r.begun && !r.stopping
	r.mu.Unlock()
	if !due {
		return nil
	}
	return r.trigger()
}

// trigger begins the competitor now, or after Delay in the background.
func (r *Running) trigger() error {
	r.mu.Lock()
	if r.begun {
		r.mu.Unlock()
		return nil
	}
	r.begun = true
	r.mu.Unlock()
	if r.spec.Delay <= 0 {
		return r.begin()
	}
	r.wg.Add(1)
	crash.Go(func() {
		defer r.wg.Done()
		t := time.NewTimer(r.spec.Delay)
		defer t.Stop()
		select {
		case <-r.ctx.Done():
			return
		case <-t.C:
		}
		if err := r.begin(); err != nil && !errors.Is(err, errStopping) {
			r.fail(0, err)
		}
	})
	return nil
}

// begin starts the competitor's processes or goroutine and waits until it holds.
func (r *Running) begin() error {
	s := r.spec
	switch s.Kind {
	case vocab.WriterProcess:
		_, err := r.launch(HoldOptions{WriteEvery: or(s.Period, vocab.DefaultWritePeriod)})
		return err
	case vocab.ReaderProcess:
		_, err := r.launch(HoldOptions{ReadOnly: true, Create: true})
		return err
	case vocab.Readers:
		// One after the other, so that only the first one may need to create the file.
		for range or(s.Count, vocab.DefaultReaders) {
			if _, err := r.launch(HoldOptions{ReadOnly: true, Create: true}); err != nil {
				return err
			}
		}
		return nil
	case vocab.StoppedHolder:
		p, err := r.launch(HoldOptions{ReadOnly: s.ReadOnly, Create: true})
		if err != nil {
			return err
		}
		return r.freeze(p)
	case vocab.KilledHolder:
		p, err := r.launch(HoldOptions{WriteEvery: killedWriteEvery})
		if err != nil {
			return err
		}
		r.wg.Add(1)
		after := or(s.Period, vocab.DefaultKillAfter)
		crash.Go(func() { r.killLater(p, after) })
		return nil
	case vocab.FlappingProcess:
		period := or(s.Period, DefaultFlapPeriod)
		o := HoldOptions{ReadOnly: s.ReadOnly, Create: true, For: period}
		p, err := r.launch(o)
		if err != nil {
			return err
		}
		r.wg.Add(1)
		crash.Go(func() { r.flap(p, o, period) })
		return nil
	case vocab.ExecCompetitor:
		return r.startExec()
	case vocab.InProcessWriter:
		r.wg.Add(1)
		hold := or(s.Period, vocab.DefaultInProcessHold)
		crash.Go(func() { r.writeInProcess(hold) })
		return nil
	case vocab.Viewers, vocab.SecondWriter:
		return r.beginCooperating()
	}
	return fmt.Errorf("competitor: unknown kind %q", s.Kind)
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// PIDs returns the PID of every holder process started so far, in start order: the PIDs a
// lock error may name. The in-process writer has none.
func (r *Running) PIDs() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.pids)
}

// Events returns the competitor's timeline so far. After 1000 events, further ones are
// counted, not kept; a last event then says how many were left out.
func (r *Running) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := slices.Clone(r.events)
	if r.dropped > 0 {
		ev = append(ev, Event{At: time.Now(), Competitor: r.label, Action: ActionDropped,
			Text: fmt.Sprintf("%s: %d more events not recorded", r.label, r.dropped)})
	}
	return ev
}

// Err returns the first failure of the competitor after Start returned (a delayed start that
// could not take its lock, a holder that exited with an error), or nil.
func (r *Running) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Done is closed once Stop has finished, whether Stop was called or the context of Start was
// cancelled.
func (r *Running) Done() <-chan struct{} { return r.done }

// Stop ends the competitor and reaps every process it started: a frozen process is continued
// first, then each process group gets SIGTERM, and SIGKILL after Env.Grace. It waits for the
// background goroutines too. It is idempotent; concurrent callers all wait for the end.
func (r *Running) Stop() error {
	r.stopOnce.Do(func() {
		r.mu.Lock()
		r.stopping = true
		procs := slices.Clone(r.procs)
		r.mu.Unlock()
		r.cancel()
		errs := make([]error, len(procs))
		var wg sync.WaitGroup
		for i, p := range procs {
			crash.GoGroup(&wg, func() { errs[i] = r.terminate(p) })
		}
		wg.Wait()
		r.wg.Wait()
		r.stopErr = errors.Join(errs...)
		close(r.done)
	})
	<-r.done
	return r.stopErr
}

// record appends an event to the timeline.
func (r *Running) record(pid int, action, format string, args ...any) {
	e := Event{At: time.Now(), Competitor: r.label, PID: pid, Action: action, Text: r.label + " " + fmt.Sprintf(format, args...)}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.events) >= maxEvents {
		r.dropped++
		return
	}
	r.events = append(r.events, e)
}

// fail records the first background failure.
func (r *Running) fail(pid int, err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
	r.record(pid, ActionFailed, "failed: %v", err)
}

func (r *Running) base() string { return filepath.Base(r.db) }

// RoleHolder is the role Env.Started gets for a holder process or an exec command.
const RoleHolder = string(vocab.RoleCompetitor)

// started tells Env.Started that p was started in role.
func (r *Running) started(p *child, role string) {
	if r.env.Started != nil {
		r.env.Started(p.pid, role)
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// errorOutcome is a helper for HolderError: it classifies a holder's stderr.
func errorOutcome(stderr string) outcome.Outcome {
	o := outcome.ClassifyText(stderr)
	if o.Kind == vocab.OK {
		return outcome.Outcome{}
	}
	return o
}
