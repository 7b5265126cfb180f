// Package release knows the DuckDB releases lockbench can run and the storage formats of their
// database files.
//
// A release is a DuckDB version together with the duckdb-go driver version that links it: the
// driver is what a Go program chooses, and it fixes the DuckDB library. Each release reads
// database files up to a storage version (DuckDB numbers its formats: 64 is the format of every
// 1.x release's default files, 69 the format DuckDB 2.0.0 creates by default); a file in a
// newer format cannot be opened by it at all, read-write or read-only. ReadStorageVersion reads
// a file's storage version from its headers without DuckDB and without taking any lock.
//
// The package is a leaf: it imports no other lockbench package and links no cgo.
package release

import (
	"fmt"
	"slices"
	"strings"

	"lockbench/internal/exitcode"
)

// Release is one DuckDB release lockbench knows.
type Release struct {
	// Name is DuckDB's version without the leading v, such as "2.0.0".
	Name string `json:"name"`
	// Driver is the version of github.com/duckdb/duckdb-go/v2 that links it, such as
	// "v2.20000.0".
	Driver string `json:"driver"`
	// MaxStorage is the newest storage version the release can read; every release reads
	// MinStorage and later.
	MaxStorage int `json:"max_storage"`
	// Supported says until when DuckDB supports the release line, in words.
	Supported string `json:"supported"`
}

// DriverModule is the Go module of the DuckDB driver.
const DriverModule = "github.com/duckdb/duckdb-go/v2"

// known lists the releases lockbench can run, oldest first. The driver versions are the ones
// the Go module proxy serves for each release; the storage limits were measured: DuckDB 1.4.5
// reports "we can only read versions between 64 and 67", 1.5.6 "between 64 and 68", and 2.0.0
// creates version 69.
var known = []Release{
	{Name: "1.4.5", Driver: "v2.5.6", MaxStorage: 67, Supported: "LTS line, end of life 2026-11-17"},
	{Name: "1.5.6", Driver: "v2.10506.0", MaxStorage: 68, Supported: "until March 2027"},
	{Name: "2.0.0", Driver: "v2.20000.0", MaxStorage: 69, Supported: "current release (2026-10-21)"},
}

// Known returns the releases lockbench can run, oldest first.
func Known() []Release { return slices.Clone(known) }

// Names returns the names of the known releases, oldest first.
func Names() []string {
	out := make([]string, len(known))
	for i, r := range known {
		out[i] = r.Name
	}
	return out
}

// Lookup returns the known release that name means: an exact version ("2.0.0", with or
// without a leading v) or a release line ("1.5", meaning the newest 1.5 lockbench knows).
func Lookup(name string) (Release, error) {
	n := strings.TrimPrefix(strings.TrimSpace(name), "v")
	var line *Release
	for i := range known {
		r := known[i]
		if r.Name == n {
			return r, nil
		}
		if strings.HasPrefix(r.Name, n+".") {
			line = &known[i]
		}
	}
	if line != nil {
		return *line, nil
	}
	return Release{}, &UnknownError{Name: name}
}

// UnknownError says that a name is not a release lockbench can run.
type UnknownError struct{ Name string }

func (e *UnknownError) Error() string {
	return fmt.Sprintf("DuckDB release %q is not one lockbench can run; known: %s (each with the duckdb-go driver that links it; `lockbench duckdb list` shows them)",
		e.Name, strings.Join(Names(), ", "))
}

// ExitCode is exitcode.Usage: the user named a release lockbench cannot run.
func (e *UnknownError) ExitCode() exitcode.Code { return exitcode.Usage }

// ByDriver returns the release a duckdb-go driver version links.
func ByDriver(driver string) (Release, bool) {
	for _, r := range known {
		if r.Driver == driver {
			return r, true
		}
	}
	return Release{}, false
}

// ByVersion returns the release whose DuckDB version string is v ("v2.0.0" as
// `SELECT version()` returns it, or "2.0.0").
func ByVersion(v string) (Release, bool) {
	n := strings.TrimPrefix(v, "v")
	for _, r := range known {
		if r.Name == n {
			return r, true
		}
	}
	return Release{}, false
}

// CanRead reports whether the release can open a file of the given storage version.
func (r Release) CanRead(storage int) bool {
	return storage >= MinStorage && storage <= r.MaxStorage
}

// ReadableBy returns the names of the known releases that can open a file of the given
// storage version, oldest first.
func ReadableBy(storage int) []string {
	var out []string
	for _, r := range known {
		if r.CanRead(storage) {
			out = append(out, r.Name)
		}
	}
	return out
}

// OldestReading returns the oldest known release that reads files up to maxStorage and no
// further: the release line a DuckDB error "we can only read versions between 64 and N"
// comes from. It reports false when no known release stops at maxStorage.
func OldestReading(maxStorage int) (Release, bool) {
	for _, r := range known {
		if r.MaxStorage == maxStorage {
			return r, true
		}
	}
	return Release{}, false
}

// Line returns the release line of a release name: "1.5" for "1.5.6".
func Line(name string) string {
	parts := strings.SplitN(strings.TrimPrefix(name, "v"), ".", 3)
	if len(parts) < 2 {
		return name
	}
	return parts[0] + "." + parts[1]
}
