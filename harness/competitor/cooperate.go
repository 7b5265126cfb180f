package competitor

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"time"

	"lockbench/access"
	"lockbench/internal/exitcode"
	"lockbench/outcome"
	"lockbench/vocab"
)

// Cooperating competitor kinds: they share the file by the rules of the cell's strategy
// (Spec.Strategy) instead of fighting for it.
// CoopTable is the second writer's own table.
const CoopTable = "lockbench_coop_writes"

// Roles of a cooperating process.
const (
	RoleViewer = "viewer"
	RoleWriter = "writer"
)

// CoopReadyPrefix starts the one line a cooperating process prints before its first attempt,
// e.g. `cooperating viewer on /abs/a.db by strategy publish (pid 1234)`.
const CoopReadyPrefix = "cooperating "

// CoopOptions configures Cooperate.
type CoopOptions struct {
	// DB is the shared database file (under publish, the published copy).
	DB string
	// Role is RoleViewer or RoleWriter.
	Role string
	// Strategy is the rules to follow (vocab.Strategy names; "" or "none" for plain opens).
	Strategy string
	// Every is the period between the starts of two attempts.
	Every time.Duration
	// Out receives the ready line, then one JSON Attempt per line. It may be nil.
	Out io.Writer
}

// Attempt is one poll of a viewer or one write of a second writer.
type Attempt struct {
	// Role is RoleViewer or RoleWriter; PID the process.
	Role string `json:"role"`
	PID  int    `json:"pid"`
	// Start and End bound the attempt (wall clock).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// WaitS is the time spent waiting for access (blocked on the queue, sleeping between
	// retries), in seconds; Tries counts the opens tried.
	WaitS float64 `json:"wait_s"`
	Tries int     `json:"tries"`
	// OK is true when the read or the write succeeded.
	OK bool `json:"ok"`
	// Year is, for a viewer's successful read, the newest simulation year in the workforce
	// snapshot (0 when it found no simulation data); Rows counts that year's rows.
	Year int   `json:"year,omitempty"`
	Rows int64 `json:"rows,omitempty"`
	// Seq numbers a writer's rows (the value it wrote).
	Seq int `json:"seq,omitempty"`
	// Outcome classifies a failure (lock-conflict, ...); Error is its message.
	Outcome vocab.Kind `json:"outcome,omitempty"`
	Error   string     `json:"error,omitempty"`
}

// Cooperate is a cooperating viewer or second writer, the library behind `lockbench cooperate`:
// it prints its ready line, waits a random part of Every (so that several participants, and the
// workload that starts next to them, meet at random phases of their polling, as they would in
// steady state), then makes one attempt every Every until ctx ends, printing each as a JSON
// line. A failed attempt cut short by ctx is not printed; a successful one always is (its row
// is in the file). It returns an error only for bad options (exit code 2) or when it cannot
// write its ready line.
func Cooperate(ctx context.Context, o CoopOptions) error {
	st, err := vocab.ParseStrategy(o.Strategy)
	if err != nil {
		return exitcode.Usagef("cooperate: %w", err)
	}
	if o.DB == "" {
		return exitcode.Usagef("cooperate: no database file given")
	}
	if o.Every <= 0 {
		return exitcode.Usagef("cooperate: the period must be positive")
	}
	var rules access.Access
	switch o.Role {
	case RoleViewer:
		rules = access.ViewerAccess(st, o.DB)
	case RoleWriter:
		rules = access.WriterAccess(st, o.DB)
	default:
		return exitcode.Usagef("cooperate: unknown role %q (want %s or %s)", o.Role, RoleViewer, RoleWriter)
	}
	out := o.Out
	if out == nil {
		out = io.Discard
	}
	enc := json.NewEncoder(out)
	if _, err := fmt.Fprintf(out, "%s%s on %s by strategy %s (pid %d)\n", CoopReadyPrefix, o.Role, o.DB, st, os.Getpid()); err != nil {
		return fmt.Errorf("cooperate: ready line: %w", err)
	}
	phase := time.NewTimer(rand.N(o.Every))
	select {
	case <-ctx.Done():
		phase.Stop()
		return nil
	case <-phase.C:
	}
	tick := time.NewTicker(o.Every)
	defer tick.Stop()
	seq := 0
	for {
		a := Attempt{Role: o.Role, PID: os.Getpid(), Start: time.Now()}
		if o.Role == RoleWriter {
			seq++
			a.Seq = seq
		}
		err := attempt(ctx, rules, &a)
		a.End = time.Now()
		if err != nil && ctx.Err() != nil {
			return nil
		}
		if err != nil {
			a.Outcome = outcome.Classify(err).Kind
			a.Error = err.Error()
		} else {
			a.OK = true
		}
		_ = enc.Encode(a)
		if ctx.Err() != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// attempt opens the database by the access rules, reads or writes, and closes it.
func attempt(ctx context.Context, access access.Access, a *Attempt) error {
	o, err := access.Open(ctx)
	if o != nil {
		a.WaitS, a.Tries = o.Waited.Seconds(), o.Tries
	}
	if err != nil {
		return err
	}
	if a.Role == RoleViewer {
		err = read(ctx, o.DB, a)
	} else {
		err = write(ctx, o.DB, a.Seq)
	}
	if cerr := o.Close(); err == nil {
		err = cerr
	}
	return err
}

// read is the dashboard query: the newest year of the workforce snapshot and its headcount.
func read(ctx context.Context, db *sql.DB, a *Attempt) error {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables()
		WHERE database_name = current_database() AND schema_name = 'main' AND table_name = 'fct_workforce_snapshot'`).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	var year sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(simulation_year) FROM fct_workforce_snapshot`).Scan(&year); err != nil {
		return err
	}
	if !year.Valid {
		return nil
	}
	a.Year = int(year.Int64)
	return db.QueryRowContext(ctx, `SELECT count(*) FROM fct_workforce_snapshot WHERE simulation_year = ?`, a.Year).Scan(&a.Rows)
}

// write appends the row seq to the writer's own table.
func write(ctx context.Context, db *sql.DB, seq int) error {
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+CoopTable+" (seq BIGINT, pid INTEGER, written_at TIMESTAMP)"); err != nil {
		return err
	}
	_, err := db.ExecContext(ctx, "INSERT INTO "+CoopTable+" VALUES (?, ?, now())", seq, os.Getpid())
	return err
}

// CoopArgs returns the arguments of the cooperate command (after "cooperate") for o:
// --role, --strategy and --every, then the database path. ParseCoopArgs is their parser.
func CoopArgs(o CoopOptions) []string {
	return []string{"--role=" + o.Role, "--strategy=" + o.Strategy, "--every=" + o.Every.String(), o.DB}
}

// ParseCoopArgs parses arguments made by CoopArgs into CoopOptions; Out is left nil.
func ParseCoopArgs(args []string) (CoopOptions, error) {
	var o CoopOptions
	fs := flag.NewFlagSet("cooperate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.Role, "role", RoleViewer, "viewer or writer")
	fs.StringVar(&o.Strategy, "strategy", string(vocab.NoStrategy), "the strategy whose rules to follow")
	fs.DurationVar(&o.Every, "every", vocab.DefaultPollPeriod, "period between attempts")
	if err := fs.Parse(args); err != nil {
		return o, exitcode.Usagef("cooperate: %w", err)
	}
	if fs.NArg() != 1 {
		return o, exitcode.Usagef("cooperate: want one database path, got %d arguments", fs.NArg())
	}
	o.DB = fs.Arg(0)
	return o, nil
}

// DefaultCooperator re-executes the current executable with the "cooperate" subcommand.
func DefaultCooperator() (Launcher, error) {
	exe, err := os.Executable()
	if err != nil {
		return Launcher{}, fmt.Errorf("competitor launcher: %w", err)
	}
	return Launcher{Path: exe, Args: []string{"cooperate"}}, nil
}

// beginCooperating starts the processes of a Viewers or SecondWriter competitor and waits for
// each one's ready line.
func (r *Running) beginCooperating() error {
	s := r.spec
	role, n := RoleViewer, or(s.Count, vocab.DefaultViewers)
	if s.Kind == vocab.SecondWriter {
		role, n = RoleWriter, 1
	}
	every := or(s.Period, vocab.DefaultPollPeriod)
	for i := range n {
		o := CoopOptions{DB: r.db, Role: role, Strategy: string(or(s.Strategy, vocab.NoStrategy)), Every: every}
		l := r.env.Cooperator
		cmd := l.command(CoopArgs(o))
		p, err := r.spawn(cmd, true, r.attemptLine)
		if err != nil {
			return err
		}
		r.started(p, role)
		p.mode = role
		if _, err := r.awaitReady(p, CoopReadyPrefix); err != nil {
			return err
		}
		pid := int(p.holder.Load())
		r.mu.Lock()
		r.pids = append(r.pids, pid)
		r.coop = append(r.coop, p)
		r.mu.Unlock()
		p.held.Store(true)
		r.record(pid, ActionCooperates, "%s %d of %d shares %s by strategy %s, one attempt every %s (pid %d)", role, i+1, n, r.base(), o.Strategy, every, pid)
	}
	return nil
}

// attemptLine records one JSON line of a cooperating process.
func (r *Running) attemptLine(line string) {
	var a Attempt
	if json.Unmarshal([]byte(line), &a) != nil || a.Role == "" {
		return
	}
	r.mu.Lock()
	r.attempts = append(r.attempts, a)
	r.mu.Unlock()
}

// Attempts returns every attempt the cooperating processes reported, in the order they
// arrived. Called after Stop, it waits (a few seconds at most) until each process's output is
// read to the end, so the list is complete.
func (r *Running) Attempts() []Attempt {
	r.mu.Lock()
	stopping, procs := r.stopping, slices.Clone(r.coop)
	r.mu.Unlock()
	if stopping {
		for _, p := range procs {
			select {
			case <-p.stdoutEOF:
			case <-time.After(r.env.Grace):
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.attempts)
}

// command returns the command that runs l with args.
func (l Launcher) command(args []string) *exec.Cmd {
	cmd := exec.Command(l.Path, append(slices.Clone(l.Args), args...)...)
	cmd.Env = append(os.Environ(), l.Env...)
	return cmd
}
