// Package buildinfo reports the versions of lockbench and of everything that can change a
// result: Go, DuckDB and the duckdb-go driver, plus a description of the host.
package buildinfo

import (
	"bufio"
	"database/sql"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	_ "github.com/duckdb/duckdb-go/v2" // the DuckDB driver
	"golang.org/x/sys/unix"

	"lockbench/history"
)

// Version is lockbench's own version.
const Version = "0.1.0"

const driverModule = "github.com/duckdb/duckdb-go/v2"

var duckdbVersion = sync.OnceValue(func() string {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return "unknown"
	}
	defer db.Close()
	var v string
	if err := db.QueryRow("SELECT version()").Scan(&v); err != nil {
		return "unknown"
	}
	return v
})

// Get returns the versions of this binary. The DuckDB version comes from an in-memory instance,
// which never touches any database file.
func Get() history.Versions {
	v := history.Versions{Lockbench: Version, Go: runtime.Version(), DuckDB: duckdbVersion(), Driver: "unknown"}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == driverModule {
				v.Driver = d.Version
			}
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v.Commit = s.Value[:12]
			}
		}
	}
	if v.Commit == "" {
		v.Commit = Commit
	}
	if v.Commit == "" {
		v.Commit = sourceCommit()
	}
	return v
}

// Commit can be set at link time (-ldflags "-X lockbench/internal/buildinfo.Commit=...") when the
// build has no VCS stamp (GOFLAGS=-buildvcs=false, go run).
var Commit string

// sourceCommit returns the commit of the lockbench checkout in the working directory, for
// `go run ./cmd/lockbench` from the repository; empty anywhere else.
func sourceCommit() string {
	mod, err := os.ReadFile("go.mod")
	if err != nil || !strings.HasPrefix(string(mod), "module lockbench\n") {
		return ""
	}
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		rev += "-dirty"
	}
	return rev
}

// Host describes the machine: CPU model, cores, memory, OS and kernel.
func Host() history.Host {
	h := history.Host{Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	h.Hostname, _ = os.Hostname()
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		h.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		h.MemBytes = int64(si.Totalram) * int64(si.Unit)
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				h.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return h
}
