// Command lockbench validates DuckDB lock behaviour: it runs a multi-year workforce simulation in
// sequential, threaded and multi-process modes across scenario matrices, injects competing
// connections, checks the data and reports timing statistics against targets.
package main

import "os"

func main() {
	handleGoroutinePanics()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
