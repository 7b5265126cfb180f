// Command duckdb-sql runs the SQL script on its standard input against one DuckDB database file,
// the way `duckdb -bail FILE < script.sql` does: statements run in order, the first error stops
// the script, is printed on stderr as DuckDB wrote it, and makes the exit status 1. The rows of
// the last statement, if it returns any, are printed on stdout as CSV without a header.
//
// It is a stand-in for the DuckDB CLI in examples/exec-shell, built on the same driver as
// lockbench (github.com/duckdb/duckdb-go/v2) but a separate program: lockbench knows nothing
// about it and sees it only as one more process opening the file.
//
//	go build -o ~/bin/duckdb-sql ./examples/exec-shell/duckdb-sql
//	echo "CREATE TABLE t AS SELECT 42 AS answer" | duckdb-sql my.duckdb
//	echo "FROM t" | duckdb-sql -readonly my.duckdb
package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("duckdb-sql", flag.ContinueOnError)
	fl.SetOutput(stderr)
	readOnly := fl.Bool("readonly", false, "open the database read-only")
	fl.Usage = func() {
		fmt.Fprintln(stderr, "usage: duckdb-sql [-readonly] FILE < script.sql")
		fl.PrintDefaults()
	}
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return 2
	}
	script, err := io.ReadAll(stdin)
	if err != nil {
		fmt.Fprintf(stderr, "Error: read script: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	dsn := fl.Arg(0)
	if *readOnly {
		dsn += "?access_mode=read_only"
	}
	// The driver opens the file, and takes its lock, here.
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	defer db.Close()
	// The driver runs every statement but the last, then returns the last one's rows.
	rows, err := db.QueryContext(ctx, string(script))
	if err == nil {
		err = printCSV(stdout, rows)
	}
	if err != nil {
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	if err := db.Close(); err != nil {
		fmt.Fprintf(stderr, "Error: close: %v\n", err)
		return 1
	}
	return 0
}

// printCSV writes rows as CSV, NULL as an empty field, and closes them.
func printCSV(w io.Writer, rows *sql.Rows) error {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	out := csv.NewWriter(w)
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	rec := make([]string, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			rec[i] = ""
			if v != nil {
				rec[i] = fmt.Sprint(v)
			}
		}
		if err := out.Write(rec); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	out.Flush()
	return out.Error()
}
