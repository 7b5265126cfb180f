// Package repro is lockbench's catalog of reproductions: DuckDB lock and transaction-conflict
// behaviours, each written as an expectation in the style of PostgreSQL's isolation tester.
//
// A Case sets something up on a real DuckDB file in a fresh directory (competing processes,
// pinned connections with explicit BEGIN, a whole workload run), observes what DuckDB does, and
// compares that with what the case expects: the outcome kind and Sub, DuckDB's message, and
// specifics such as "the PID DuckDB names is the holder's PID, as /proc/locks says too". A case
// passes when the behaviour appears exactly as expected, so a DuckDB upgrade that changes any
// of them shows up as a failed reproduction.
//
// Every case is deterministic: processes are waited for through their ready lines, in-process
// interleavings use explicit transactions on pinned connections, and nothing sleeps in place of
// synchronisation (polling with a deadline only waits for something the case itself caused).
//
// Run executes cases and returns Results with a timeline of what happened; WriteText and
// WriteJSON render them.
package repro

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"lockbench/buildinfo"
	"lockbench/harness/competitor"
	"lockbench/internal/exitcode"
	"lockbench/outcome"
	"lockbench/sim"
	"lockbench/vocab"
)

// Verdicts of a Result.
const (
	// Pass means the case behaved exactly as expected.
	Pass = "pass"
	// Fail means it did not, or the case could not be run.
	Fail = "fail"
	// Skip means this machine cannot set the case up (it cannot create PID namespaces, or
	// mount file systems); Detail says why. It is neither a pass nor a failure.
	Skip = "skip"
)

// CaseTimeout bounds one case; a case still running then is cancelled and fails.
const CaseTimeout = 2 * time.Minute

// ErrUnknownCase is wrapped by Run's error when a name is not in the catalog.
// It carries exit code 2 (bad input).
var ErrUnknownCase = exitcode.Usagef("unknown reproduction")

// Expectation is what a case must show.
type Expectation struct {
	// Kind is the outcome kind the case must observe (vocab.OK, vocab.LockConflict, ...).
	Kind vocab.Kind `json:"kind"`
	// Sub, when set, is the outcome's Sub the case must observe.
	Sub vocab.Sub `json:"sub,omitempty"`
	// Message, when set, is a fragment that DuckDB's message must contain.
	Message string `json:"message,omitempty"`
	// ReadOnlyWouldWork is the value the observed lock conflict's read-only hint must have
	// ("However, you would be able to open this database in read-only mode"). It is checked for
	// lock-conflict expectations only.
	ReadOnlyWouldWork bool `json:"read_only_would_work,omitempty"`
	// Also lists, in words, the case-specific checks that must hold as well.
	Also []string `json:"also,omitempty"`
}

// String renders the expectation on one line, for example
// `lock-conflict (database) "Conflicting lock is held in"; DuckDB names the holder's PID`.
func (e Expectation) String() string {
	s := kindSub(e.Kind, e.Sub)
	if e.Kind == vocab.LockConflict {
		if e.ReadOnlyWouldWork {
			s += " with the read-only hint"
		} else {
			s += " without the read-only hint"
		}
	}
	if e.Message != "" {
		s += fmt.Sprintf(" %q", e.Message)
	}
	if len(e.Also) > 0 {
		s += "; " + strings.Join(e.Also, "; ")
	}
	return s
}

// Case is one reproduction of the catalog.
type Case struct {
	// Name identifies the case on the command line, for example "rw-vs-rw".
	Name string `json:"name"`
	// Title says in one line what the case shows.
	Title string `json:"title"`
	// Reference is where the behaviour comes from: an issue ("duckdb/duckdb#17158"), the story
	// ("S031-04") or a section of the repository's docs
	// ("docs/duckdb-locking.md#transaction-conflicts").
	Reference string `json:"reference"`
	// Setup says in one or two sentences what the case sets up and does.
	Setup string `json:"setup"`
	// Note, when set, explains what the behaviour means beyond the expectation: why it
	// happens, or which other case shows the same hazard.
	Note string `json:"note,omitempty"`
	// Expect is what the case must observe.
	Expect Expectation `json:"expect"`
	// ExpectOn, when set, holds what the case must observe on DuckDB releases that behave
	// otherwise than Expect says, by release name ("1.5.6").
	ExpectOn map[string]Expectation `json:"expect_on,omitempty"`
	// Releases, when set, are the DuckDB releases the case runs side by side (an upgrade
	// case): it runs binaries of exactly these, whatever release the running lockbench links.
	// Other cases run on the running binary's release.
	Releases []string `json:"releases,omitempty"`

	run func(ctx context.Context, r *caseRun) (Observation, error)
}

// Check is one case-specific assertion and what was found.
type Check struct {
	// What is the assertion, as a sentence fragment ("DuckDB names the holder's PID").
	What string `json:"what"`
	// OK is whether it held.
	OK bool `json:"ok"`
	// Got is what was found ("pid 4242; the holder is pid 4242").
	Got string `json:"got,omitempty"`
}

// Observation is what a case saw.
type Observation struct {
	// Outcome is the classified result, with DuckDB's exact message. Silent misbehaviour (no
	// error anywhere, but data lost) is a vocab.LostWrite outcome whose message says what
	// was lost.
	Outcome outcome.Outcome
	// Checks are the case-specific assertions.
	Checks []Check
}

// check appends a check.
func (o *Observation) check(what string, ok bool, format string, args ...any) {
	o.Checks = append(o.Checks, Check{What: what, OK: ok, Got: fmt.Sprintf(format, args...)})
}

// Step is one line of a case's timeline.
type Step struct {
	// At is the offset from the case's start.
	At time.Duration `json:"-"`
	// Text says what happened, for example `writer-process holds a.db read-write (pid 4242)`.
	Text string `json:"text"`
}

// String renders the step as `+12ms text`.
func (s Step) String() string { return fmt.Sprintf("+%s %s", fmtOffset(s.At), s.Text) }

// Result is one case's run.
type Result struct {
	Case
	// Observed is the outcome the case saw, with DuckDB's exact message.
	Observed outcome.Outcome `json:"observed"`
	// Checks are the case-specific assertions and what was found.
	Checks []Check `json:"checks,omitempty"`
	// Timeline is what happened, in order, including the competitors' events.
	Timeline []Step `json:"timeline"`
	// Verdict is Pass, Fail or Skip.
	Verdict string `json:"verdict"`
	// Detail explains a failed verdict (every mismatch, or the harness error) or why the case
	// was skipped; it is empty for a pass.
	Detail string `json:"detail,omitempty"`
	// Duration is how long the case took.
	Duration time.Duration `json:"-"`
}

// Env is what the cases run with.
type Env struct {
	// Dir is where each case makes its own temporary directory for database files. Empty
	// means a new directory under os.TempDir, removed when Run returns.
	Dir string
	// Launcher runs holder processes (`lockbench hold`); the zero value means
	// competitor.DefaultLauncher.
	Launcher competitor.Launcher
	// Worker runs workload worker processes (`lockbench worker`); nil means the running
	// executable with the argument "worker".
	Worker *sim.WorkerCommand
	// Who runs `lockbench who` (the cases add --json and a database path), on the host or in
	// a PID namespace; nil means the running executable with the argument "who".
	Who *Command
	// Release returns a lockbench binary that links a DuckDB release (release.Binaries.Path);
	// nil means the upgrade cases are skipped.
	Release func(ctx context.Context, name string) (string, error)
}

// Command is a program with leading arguments and extra environment.
type Command struct {
	// Path is the executable.
	Path string
	// Args come before the arguments a case adds.
	Args []string
	// Env is added to the current environment.
	Env []string
}

// command returns the exec.Cmd that runs c with args after its own.
func (c Command) command(args ...string) *exec.Cmd {
	cmd := exec.Command(c.Path, append(slices.Clone(c.Args), args...)...)
	cmd.Env = append(os.Environ(), c.Env...)
	return cmd
}

// Catalog returns every case, in the order Run runs them.
func Catalog() []Case {
	var cs []Case
	cs = append(cs, processCases()...)
	cs = append(cs, pipelineCases()...)
	cs = append(cs, inProcessCases()...)
	cs = append(cs, raceCases()...)
	cs = append(cs, containerCases()...)
	cs = append(cs, upgradeCases()...)
	cs = append(cs, releaseBugCases()...)
	return cs
}

// Names returns the names of every case, in catalog order.
func Names() []string {
	var ns []string
	for _, c := range Catalog() {
		ns = append(ns, c.Name)
	}
	return ns
}

// Select returns the cases named, in the order given, or every case when names is empty. An
// unknown name is an error wrapping ErrUnknownCase that lists the valid names.
func Select(names []string) ([]Case, error) {
	all := Catalog()
	if len(names) == 0 {
		return all, nil
	}
	var out []Case
	for _, n := range names {
		i := slices.IndexFunc(all, func(c Case) bool { return c.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("%w %q (valid: %s)", ErrUnknownCase, n, strings.Join(Names(), ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}

// Run runs the cases named (every case when names is empty), one after the other, and returns
// their results in that order. An unknown name is an error wrapping ErrUnknownCase, before
// anything runs. A case that cannot be run (the harness broke) fails with the reason in
// Detail; Run itself only fails for bad names, a bad Env, or a cancelled ctx (it then returns
// the results of the cases that finished before, without the interrupted one, and an error
// wrapping ctx's).
func Run(ctx context.Context, names []string, env Env) ([]Result, error) {
	cases, err := Select(names)
	if err != nil {
		return nil, err
	}
	if env.Launcher.Path == "" {
		l, err := competitor.DefaultLauncher()
		if err != nil {
			return nil, fmt.Errorf("repro: %w", err)
		}
		env.Launcher = l
	}
	if env.Worker == nil || env.Who == nil {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("repro: find own executable for workers: %w", err)
		}
		if env.Worker == nil {
			env.Worker = &sim.WorkerCommand{Path: exe, Args: []string{"worker"}}
		}
		if env.Who == nil {
			env.Who = &Command{Path: exe, Args: []string{"who"}}
		}
	}
	if env.Dir == "" {
		dir, err := os.MkdirTemp("", "lockbench-repro-")
		if err != nil {
			return nil, fmt.Errorf("repro: %w", err)
		}
		defer os.RemoveAll(dir)
		env.Dir = dir
	}
	var results []Result
	for _, c := range cases {
		if err := ctx.Err(); err != nil {
			return results, fmt.Errorf("repro: %w", err)
		}
		res := runCase(ctx, c, env)
		if err := ctx.Err(); err != nil {
			// The case was cut short: its verdict says nothing about DuckDB.
			return results, fmt.Errorf("repro: %s interrupted: %w", c.Name, err)
		}
		results = append(results, res)
	}
	return results, nil
}

// runCase runs one case in its own directory and judges it.
func runCase(ctx context.Context, c Case, env Env) Result {
	res := Result{Case: c}
	start := time.Now()
	r := &caseRun{env: env, start: start}
	dir, err := os.MkdirTemp(env.Dir, c.Name+"-")
	if err != nil {
		res.Verdict, res.Detail = Fail, fmt.Sprintf("harness error: %v", err)
		return res
	}
	defer os.RemoveAll(dir)
	r.dir = dir
	cctx, cancel := context.WithTimeout(ctx, CaseTimeout)
	defer cancel()
	obs, err := c.run(cctx, r)
	r.finish()
	res.Duration = time.Since(start)
	res.Timeline = r.timeline()
	res.Observed, res.Checks = obs.Outcome, obs.Checks
	var skip *skipError
	if errors.As(err, &skip) {
		res.Verdict, res.Detail = Skip, skip.reason
		return res
	}
	if err != nil {
		if res.Observed.Kind == "" {
			res.Observed = outcome.Classify(err)
		}
		res.Verdict, res.Detail = Fail, fmt.Sprintf("harness error: %v", err)
		return res
	}
	// The result states the expectation it was judged by: this release's.
	res.Expect = c.ExpectFor(buildinfo.LinkedRelease().Name)
	res.Verdict, res.Detail = judge(res.Expect, obs)
	return res
}

// ExpectFor returns what the case must observe on DuckDB release rel.
func (c Case) ExpectFor(rel string) Expectation {
	if e, ok := c.ExpectOn[rel]; ok {
		return e
	}
	return c.Expect
}

// skipError is what a case returns when this machine cannot set it up.
type skipError struct{ reason string }

func (e *skipError) Error() string { return "skipped: " + e.reason }

// skipf returns a skipError whose reason is the formatted text.
func skipf(format string, args ...any) error {
	return &skipError{reason: fmt.Sprintf(format, args...)}
}

// judge compares an observation with an expectation.
func judge(e Expectation, o Observation) (verdict, detail string) {
	var miss []string
	got := o.Outcome
	if got.Kind != e.Kind || (e.Sub != "" && got.Sub != e.Sub) {
		miss = append(miss, fmt.Sprintf("expected %s, observed %s", kindSub(e.Kind, e.Sub), kindSub(got.Kind, got.Sub)))
	}
	if e.Message != "" && !strings.Contains(got.Message, e.Message) {
		miss = append(miss, fmt.Sprintf("expected DuckDB's message to contain %q, got %q", e.Message, got.Message))
	}
	if e.Kind == vocab.LockConflict && got.Kind == vocab.LockConflict && got.ReadOnlyWouldWork != e.ReadOnlyWouldWork {
		miss = append(miss, fmt.Sprintf("expected the read-only hint to be %v, got %v", e.ReadOnlyWouldWork, got.ReadOnlyWouldWork))
	}
	for _, c := range o.Checks {
		if !c.OK {
			miss = append(miss, fmt.Sprintf("%s: not so (%s)", c.What, c.Got))
		}
	}
	if len(miss) > 0 {
		return Fail, strings.Join(miss, "\n")
	}
	return Pass, ""
}

func kindSub(kind vocab.Kind, sub vocab.Sub) string {
	if sub == "" {
		return string(kind)
	}
	return string(kind) + " (" + string(sub) + ")"
}

// caseRun is the state of one running case: its directory, its timeline, the competitors it
// started and the clean-ups it registered.
type caseRun struct {
	env   Env
	dir   string
	start time.Time

	mu       sync.Mutex
	steps    []Step
	comps    []*competitor.Running
	cleanups []func()
}

// path returns the absolute path of file name in the case's directory.
func (r *caseRun) path(name string) string { return filepath.Join(r.dir, name) }

// step records a timeline step now.
func (r *caseRun) step(format string, args ...any) {
	s := Step{At: time.Since(r.start), Text: fmt.Sprintf(format, args...)}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps = append(r.steps, s)
}

// later registers f to run when the case ends, last registered first.
func (r *caseRun) later(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

// compete starts a competitor of spec against db; it is stopped when the case ends (or
// earlier by the case), and its events join the timeline.
func (r *caseRun) compete(ctx context.Context, spec competitor.Spec, db string) (*competitor.Running, error) {
	c, err := competitor.Start(ctx, spec, competitor.Env{DB: db, Launcher: r.env.Launcher})
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.comps = append(r.comps, c)
	r.mu.Unlock()
	return c, nil
}

// finish runs the clean-ups and stops every competitor.
func (r *caseRun) finish() {
	r.mu.Lock()
	cleanups := r.cleanups
	r.cleanups = nil
	comps := slices.Clone(r.comps)
	r.mu.Unlock()
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	for _, c := range comps {
		_ = c.Stop()
	}
}

// timeline merges the case's own steps with its competitors' events, in time order.
func (r *caseRun) timeline() []Step {
	r.mu.Lock()
	steps := slices.Clone(r.steps)
	comps := slices.Clone(r.comps)
	r.mu.Unlock()
	for _, c := range comps {
		for _, e := range c.Events() {
			steps = append(steps, Step{At: e.At.Sub(r.start), Text: e.Text})
		}
	}
	slices.SortStableFunc(steps, func(a, b Step) int {
		switch {
		case a.At < b.At:
			return -1
		case a.At > b.At:
			return 1
		}
		return 0
	})
	return steps
}

// fmtOffset renders a timeline offset: whole milliseconds below 10s, then tenths of seconds.
func fmtOffset(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d < 10*time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
