// Package buildinfo reports the versions of lockbench and of everything that can change a
// result: Go, DuckDB and the duckdb-go driver, plus a description of the host.
package buildinfo

import (
	"bufio"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	_ "github.com/duckdb/duckdb-go/v2" // the DuckDB driver
	"golang.org/x/sys/unix"

	"lockbench/history"
	"lockbench/release"
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

// driverVersion is the duckdb-go version this binary was built with, from its build info.
var driverVersion = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == driverModule {
				if d.Replace != nil && d.Replace.Version != "" {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "unknown"
})

// DuckDB returns the DuckDB version this binary links, without the leading v ("2.0.0", as
// release names are written), and the duckdb-go driver version it was built with
// ("v2.20000.0"). The driver fixes the DuckDB library, so for a driver release.Known lists
// the version comes from the build info, without starting DuckDB (which costs a trial process
// about a tenth of a second on a busy machine); for another driver it comes from an
// in-memory DuckDB.
func DuckDB() (version, driver string) {
	driver = driverVersion()
	if r, ok := release.ByDriver(driver); ok {
		return r.Name, driver
	}
	return strings.TrimPrefix(duckdbVersion(), "v"), driver
}

// Release returns the DuckDB release this binary links, as lockbench knows it; false when the
// linked DuckDB is not one of release.Known.
func Release() (release.Release, bool) {
	return release.ByVersion(duckdbVersion())
}

// Get returns the versions of this binary. The DuckDB version comes from an in-memory instance,
// which never touches any database file. lockbench's own commit comes, in this order, from the
// binary's build info (vcs.revision, "-dirty" when vcs.modified), from -ldflags (Commit, as
// `make build` sets it), or from the lockbench source tree the binary was compiled from (see
// SourceCommit), so that `go run` and `go build` binaries are labelled even where the go
// command stamps no VCS information (go run never does; nor does a build in a git worktree or
// with GOFLAGS=-buildvcs=false).
func Get() history.Versions {
	v := history.Versions{Lockbench: Version, Go: runtime.Version(), DuckDB: duckdbVersion(), Driver: driverVersion()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v.Commit = vcsCommit(bi.Settings)
	}
	if v.Commit == "" {
		v.Commit = Commit
	}
	if v.Commit == "" {
		v.Commit = sourceCommit()
	}
	return v
}

// Commit can be set at link time (-ldflags "-X lockbench/buildinfo.Commit=...") when the
// build has no VCS stamp (GOFLAGS=-buildvcs=false, go run).
var Commit string

// vcsCommit returns the first 12 digits of the build's vcs.revision, with "-dirty" when the
// build's tree had uncommitted changes; empty when the build carries no VCS stamp.
func vcsCommit(settings []debug.BuildSetting) string {
	var rev string
	dirty := false
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && dirty {
		rev += "-dirty"
	}
	return rev
}

// sourceCommit returns the commit of the lockbench source tree this binary was compiled from
// (the directory of this file, as the compiler recorded it), else of a lockbench checkout in the
// working directory; empty when neither is a git checkout of lockbench.
var sourceCommit = sync.OnceValue(func() string {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		if c := SourceCommit(filepath.Dir(file)); c != "" {
			return c
		}
	}
	if wd, err := os.Getwd(); err == nil {
		return SourceCommit(wd)
	}
	return ""
})

// SourceDir returns the root of the lockbench source tree this binary was compiled from (the
// directory of its go.mod, as the compiler recorded this file's path), else of a lockbench
// checkout at or above the working directory; "" when neither exists on this machine.
func SourceDir() string {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		if root := moduleRoot(filepath.Dir(file)); root != "" {
			return root
		}
	}
	if wd, err := os.Getwd(); err == nil {
		return moduleRoot(wd)
	}
	return ""
}

// moduleRoot returns the nearest directory at or above dir whose go.mod declares module
// lockbench, or "".
func moduleRoot(dir string) string {
	for root := dir; ; {
		if mod, err := os.ReadFile(filepath.Join(root, "go.mod")); err == nil {
			if strings.HasPrefix(string(mod), "module lockbench\n") {
				return root
			}
			return ""
		}
		parent := filepath.Dir(root)
		if parent == root {
			return ""
		}
		root = parent
	}
}

// SourceCommit returns the HEAD commit (12 digits, "-dirty" when tracked files have
// uncommitted changes) of the lockbench module that contains dir: the nearest directory at or
// above dir whose go.mod declares module lockbench. It returns "" when there is none or it is
// not in a git checkout.
func SourceCommit(dir string) string {
	root := moduleRoot(dir)
	if root == "" {
		return ""
	}
	return gitHead(root)
}

// gitHead returns the short HEAD commit of the git checkout at dir, with "-dirty" when tracked
// files differ from it; "" when dir is not in a checkout or git is missing.
func gitHead(dir string) string {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
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

// LinkedRelease is Release without the flag: the zero Release when the linked DuckDB is not
// one lockbench knows.
func LinkedRelease() release.Release {
	r, _ := Release()
	return r
}
