package sim

import (
	"database/sql"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"lockbench/release"
)

// StorageOption is DuckDB's option that decides the storage format of the files an instance
// creates (the database, ATTACHed files, published copies, part files).
const StorageOption = "storage_compatibility_version"

// ownOptions are the DuckDB options lockbench sets itself on every open, with the flag that
// sets them instead; a database path may not carry them.
var ownOptions = map[string]string{
	"access_mode": "the simulation writes its database; `lockbench fingerprint` and `hold --read-only` open read-only",
	"threads":     "use --duckdb-threads",
}

// ParseDB splits a database argument such as `sim.duckdb?storage_compatibility_version=v1.5.0`
// into the file's path and the DuckDB options after the `?`, in the form DuckDB's Go driver
// takes them. Options lockbench sets itself (access_mode, threads) are refused, as is a `?`
// with nothing valid after it; ValidateOptions checks the values with DuckDB.
func ParseDB(arg string) (path string, opts map[string]string, err error) {
	path, query, found := strings.Cut(arg, "?")
	if !found {
		return arg, nil, nil
	}
	if path == "" {
		return "", nil, fmt.Errorf("%q has DuckDB options but no file: put the file's path before the `?`", arg)
	}
	values, err := url.ParseQuery(query)
	if err != nil || len(values) == 0 {
		return "", nil, fmt.Errorf("%q: the options after `?` must be name=value pairs joined by &, such as ?storage_compatibility_version=v1.5.0", arg)
	}
	opts = map[string]string{}
	for k, vs := range values {
		if why, ok := ownOptions[strings.ToLower(k)]; ok {
			return "", nil, fmt.Errorf("%q: lockbench sets the DuckDB option %s itself: %s", arg, k, why)
		}
		if len(vs) != 1 || vs[0] == "" {
			return "", nil, fmt.Errorf("%q: give the DuckDB option %s exactly one value", arg, k)
		}
		opts[k] = vs[0]
	}
	return path, opts, nil
}

// ValidateOptions checks DuckDB options by giving them to an in-memory DuckDB instance, which
// touches no file: a name DuckDB does not know or a value it refuses is an error that names
// the option.
func ValidateOptions(opts map[string]string) error {
	if v, ok := opts[StorageOption]; ok {
		if _, _, err := release.ParseCompat(v); err != nil {
			return fmt.Errorf("%s=%s: %w", StorageOption, v, err)
		}
	}
	for _, k := range sortedKeys(opts) {
		db, err := sql.Open("duckdb", "?"+url.Values{k: {opts[k]}}.Encode())
		if err == nil {
			err = db.Ping()
			db.Close()
		}
		if err != nil {
			msg := strings.TrimPrefix(err.Error(), "database/sql/driver: ")
			return fmt.Errorf("DuckDB refuses the option %s=%s (%s): fix or remove it", k, opts[k], msg)
		}
	}
	return nil
}

// DSN returns the data source name of the run's read-write opens of its database: lockbench's
// Settings and thread count, then the user's Options, which win over Settings.
func (c *Config) DSN() string {
	return withOptions(DSN(c.DBPath, c.DuckDBThreads, false), c.Options)
}

// withOptions adds opts to a DSN built by DSN, replacing values of the same name.
func withOptions(dsn string, opts map[string]string) string {
	if len(opts) == 0 {
		return dsn
	}
	path, query, _ := strings.Cut(dsn, "?")
	q, _ := url.ParseQuery(query)
	if q == nil {
		q = url.Values{}
	}
	for k, v := range opts {
		q.Set(k, v)
	}
	return path + "?" + q.Encode()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
