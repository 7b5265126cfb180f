package vocab

import "strings"

// Axes lists the matrix axes in key order: every cell key names all of them, in this order,
// except strategy, duckdb and storage-version, which a key names only when they are not their
// default (none, default, default), so the keys of cells that do not use them stay what they
// were before these axes existed.
var Axes = []string{"mode", "threads", "coordination", "lock-retry", "strategy", "employees", "years", "competitor", "seed", "duckdb", "storage-version"}

// DefaultValue is the value of the duckdb and storage-version axes that a cell gets when it
// does not name one: the release lockbench links, and the format its workload's DuckDB creates
// by default (for an exec workload, a format every release lockbench runs can read).
const DefaultValue = "default"

// ParseCellKey splits a cell key "a=1/b=2" into its axis values; parts without "=" are ignored. It
// gives the values of a cell known only by its key (a trial recorded without its parameters).
func ParseCellKey(key string) map[string]string {
	out := map[string]string{}
	for part := range strings.SplitSeq(key, "/") {
		if k, v, ok := strings.Cut(part, "="); ok && k != "" {
			out[k] = v
		}
	}
	return out
}
