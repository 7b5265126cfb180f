// Command poller is a dashboard that follows no protocol: every period it opens a DuckDB file
// read-only with duckdb-go directly, counts the rows of each simulation year in the workforce
// snapshot and the yearly events, and closes the file again. It is the end-to-end tests'
// viewer that is not lockbench: it shares none of lockbench's code, takes no queue lock and
// never retries.
//
// Usage:
//
//	poller [-every 50ms] [-log DIR] DB
//
// Each attempt is one JSON line on stdout (and, with -log, in DIR/poll-PID.ndjson, written one
// line per write(2)). SIGTERM or SIGINT ends it after the attempt in progress.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

// Attempt is one poll.
type Attempt struct {
	PID   int       `json:"pid"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// OK is true when the file opened and both counts were read.
	OK bool `json:"ok"`
	// Tables is true when the file had both fact tables.
	Tables bool `json:"tables,omitempty"`
	// Snapshot and Events map a simulation year to its row count in fct_workforce_snapshot
	// and fct_yearly_events.
	Snapshot map[int]int64 `json:"snapshot,omitempty"`
	Events   map[int]int64 `json:"events,omitempty"`
	// Error is DuckDB's message when the attempt failed.
	Error string `json:"error,omitempty"`
}

func main() {
	every := flag.Duration("every", 50*time.Millisecond, "period between the starts of two polls")
	logDir := flag.String("log", "", "also append every attempt to DIR/poll-PID.ndjson")
	flag.Parse()
	if flag.NArg() != 1 || *every <= 0 {
		fmt.Fprintln(os.Stderr, "usage: poller [-every 50ms] [-log DIR] DB")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var log *os.File
	if *logDir != "" {
		var err error
		log, err = os.OpenFile(filepath.Join(*logDir, "poll-"+strconv.Itoa(os.Getpid())+".ndjson"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer log.Close()
	}
	db := flag.Arg(0)
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for {
		a := poll(db)
		line, err := json.Marshal(a)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		line = append(line, '\n')
		if _, err := os.Stdout.Write(line); err != nil && !errors.Is(err, syscall.EPIPE) {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if log != nil {
			if _, err := log.Write(line); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// poll makes one attempt: open read-only, count, close.
func poll(path string) Attempt {
	a := Attempt{PID: os.Getpid(), Start: time.Now()}
	err := count(path, &a)
	a.End = time.Now()
	if err != nil {
		a.Error = err.Error()
	} else {
		a.OK = true
	}
	return a
}

func count(path string, a *Attempt) error {
	db, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		return err
	}
	defer db.Close()
	// One connection: every query below reads the same snapshot of the file.
	db.SetMaxOpenConns(1)
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRow(`SELECT count(*) FROM duckdb_tables()
		WHERE schema_name = 'main' AND table_name IN ('fct_workforce_snapshot', 'fct_yearly_events')`).Scan(&n); err != nil {
		return err
	}
	if n < 2 {
		return nil
	}
	a.Tables, a.Snapshot, a.Events = true, map[int]int64{}, map[int]int64{}
	rows, err := tx.Query(`SELECT 's', simulation_year, count(*) FROM fct_workforce_snapshot GROUP BY simulation_year
		UNION ALL SELECT 'e', simulation_year, count(*) FROM fct_yearly_events GROUP BY simulation_year`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var table string
		var year int
		var rowsOfYear int64
		if err := rows.Scan(&table, &year, &rowsOfYear); err != nil {
			return err
		}
		if table == "s" {
			a.Snapshot[year] = rowsOfYear
		} else {
			a.Events[year] = rowsOfYear
		}
	}
	return rows.Err()
}
