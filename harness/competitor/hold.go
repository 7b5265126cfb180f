package competitor

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	// The DuckDB driver, registered as "duckdb".
	_ "github.com/duckdb/duckdb-go/v2"
)

// HolderTable is the table a holder creates in a database it creates, and writes to when asked
// to write periodically.
const HolderTable = "lockbench_holder_writes"

// ReadyPrefix starts the one line a holder prints once it holds the lock, for example
// `holding /abs/a.db read-write (pid 1234)`.
const ReadyPrefix = "holding "

// HoldOptions configures Hold.
type HoldOptions struct {
	// DB is the database file to hold.
	DB string
	// ReadOnly opens the file read-only (a shared lock) instead of read-write.
	ReadOnly bool
	// Create creates a missing file (with HolderTable) before a read-only hold. A read-write
	// hold always creates a missing file.
	Create bool
	// For ends the hold after this long; zero holds until the context is cancelled.
	For time.Duration
	// WriteEvery, when positive, inserts a row into HolderTable this often (read-write only).
	// The first row is written before the ready line, so the holder also holds the .wal lock.
	WriteEvery time.Duration
	// Rows, when positive, inserts this many rows into HolderTable, each its own committed
	// transaction, before the ready line (read-write only): a holder killed after its ready
	// line leaves exactly Rows committed rows, most of them in the .wal.
	Rows int
	// Ready receives exactly one line, starting with ReadyPrefix, once the lock is held. It may
	// be nil.
	Ready io.Writer
}

// Hold is a competing connection, the library behind `lockbench hold`: it opens DB, runs a
// query so the lock is really taken, prints its ready line, optionally writes periodically, and
// returns nil when ctx is cancelled (SIGINT/SIGTERM in the command) or For elapses. Errors are
// wrapped with %w, so a lock conflict on open is still a *duckdb.Error for errors.As.
func Hold(ctx context.Context, o HoldOptions) (err error) {
	if o.DB == "" {
		return errors.New("hold: no database file given")
	}
	if o.ReadOnly && (o.WriteEvery > 0 || o.Rows > 0) {
		return errors.New("hold: a read-only holder cannot write")
	}
	abs, err := filepath.Abs(o.DB)
	if err != nil {
		return fmt.Errorf("hold %s: %w", o.DB, err)
	}
	_, statErr := os.Stat(abs)
	missing := errors.Is(statErr, fs.ErrNotExist)
	if missing && o.ReadOnly && o.Create {
		if err := create(ctx, abs); err != nil {
			return err
		}
	}
	dsn, mode := abs, "read-write"
	if o.ReadOnly {
		dsn, mode = abs+"?access_mode=read_only", "read-only"
	}
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return fmt.Errorf("hold %s: %w", abs, err)
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("hold %s: close: %w", abs, cerr)
		}
	}()
	db.SetMaxOpenConns(1)
	if !o.ReadOnly && (missing || o.WriteEvery > 0 || o.Rows > 0) {
		if _, err := db.ExecContext(ctx, createTable); err != nil {
			return fmt.Errorf("hold %s: %w", abs, err)
		}
	}
	seq := 0
	write := func() error {
		seq++
		if _, err := db.ExecContext(ctx, "INSERT INTO "+HolderTable+" VALUES (?, ?, now())", seq, os.Getpid()); err != nil {
			return fmt.Errorf("hold %s: write %d: %w", abs, seq, err)
		}
		return nil
	}
	for range o.Rows {
		if err := write(); err != nil {
			return err
		}
	}
	if o.WriteEvery > 0 {
		if err := write(); err != nil {
			return err
		}
	}
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM duckdb_tables()").Scan(&n); err != nil {
		return fmt.Errorf("hold %s: %w", abs, err)
	}
	if o.Ready != nil {
		if _, err := fmt.Fprintf(o.Ready, "%s%s %s (pid %d)\n", ReadyPrefix, abs, mode, os.Getpid()); err != nil {
			return fmt.Errorf("hold %s: ready line: %w", abs, err)
		}
	}

	var until <-chan time.Time
	if o.For > 0 {
		t := time.NewTimer(o.For)
		defer t.Stop()
		until = t.C
	}
	var tick <-chan time.Time
	if o.WriteEvery > 0 {
		t := time.NewTicker(o.WriteEvery)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-until:
			return nil
		case <-tick:
			if err := write(); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
}

const createTable = "CREATE TABLE IF NOT EXISTS " + HolderTable + " (seq BIGINT, pid INTEGER, written_at TIMESTAMP)"

// create makes a new database file holding HolderTable and closes it again.
func create(ctx context.Context, abs string) error {
	db, err := sql.Open("duckdb", abs)
	if err != nil {
		return fmt.Errorf("hold %s: create: %w", abs, err)
	}
	if _, err := db.ExecContext(ctx, createTable); err != nil {
		db.Close()
		return fmt.Errorf("hold %s: create: %w", abs, err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("hold %s: create: %w", abs, err)
	}
	return nil
}

// HoldArgs returns the arguments of the hold command (after "hold") for o: the flags
// --read-only, --create, --for=D and --write-every=D when set, then the database path. The
// `lockbench hold` command must accept exactly these; ParseHoldArgs is their reference parser.
func HoldArgs(o HoldOptions) []string {
	var args []string
	if o.ReadOnly {
		args = append(args, "--read-only")
	}
	if o.Create {
		args = append(args, "--create")
	}
	if o.For > 0 {
		args = append(args, "--for="+o.For.String())
	}
	if o.WriteEvery > 0 {
		args = append(args, "--write-every="+o.WriteEvery.String())
	}
	if o.Rows > 0 {
		args = append(args, "--rows="+strconv.Itoa(o.Rows))
	}
	return append(args, o.DB)
}

// ParseHoldArgs parses arguments made by HoldArgs (flags first, then one database path) into
// HoldOptions; Ready is left nil.
func ParseHoldArgs(args []string) (HoldOptions, error) {
	var o HoldOptions
	fs := flag.NewFlagSet("hold", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVar(&o.ReadOnly, "read-only", false, "hold the file read-only")
	fs.BoolVar(&o.Create, "create", false, "create a missing file first")
	fs.DurationVar(&o.For, "for", 0, "release after this long")
	fs.DurationVar(&o.WriteEvery, "write-every", 0, "insert a row this often")
	fs.IntVar(&o.Rows, "rows", 0, "insert this many rows before the ready line")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("hold: %w", err)
	}
	if fs.NArg() != 1 {
		return o, fmt.Errorf("hold: want one database path, got %d arguments", fs.NArg())
	}
	o.DB = fs.Arg(0)
	return o, nil
}
