// Package e2e holds lockbench's end-to-end tests: they build the lockbench binary (and the
// example DuckDB client of examples/exec-shell), put it on PATH, and run the shipped examples
// the way the README tells a user to, from a fresh working directory that is not the
// repository's root. The package has no code of its own; testdata/poller is a DuckDB reader
// that is not lockbench (duckdb-go directly, no protocol), which the tests run next to it.
package e2e
