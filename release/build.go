package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"lockbench/internal/exitcode"
)

// Binaries finds, or builds once, lockbench binaries that link other DuckDB releases, so that a
// cell, a competitor or a repro case can run a release other than the one this binary links.
//
// A binary for a release is lockbench built from its own source tree with an alternate module
// file that requires the release's duckdb-go driver (`go build -modfile`): the source is not
// touched. Builds are cached in Dir under a key made of the source's content digest and the
// release, so a binary is built once per source version and reused; a binary the user names
// (Override) is used as it is.
type Binaries struct {
	// Dir is the cache directory (DefaultCacheDir when empty).
	Dir string
	// Source is the root of the lockbench module to build (the directory of its go.mod).
	Source string
	// Linked is the release this binary links; asking for it returns Self.
	Linked Release
	// Self is the path of this binary.
	Self string
	// Override maps a release name to a binary the user built (--duckdb-binary 2.0.0=PATH).
	Override map[string]string
	// Progress, when set, receives a line when a build starts and when it ends.
	Progress io.Writer

	mu   sync.Mutex // guards done, and a binary's build
	mu2  sync.Mutex // guards the module files of GoBuild
	done map[string]string
}

// DefaultCacheDir is where binaries are cached: $LOCKBENCH_CACHE, else the user's cache
// directory (~/.cache/lockbench on Linux).
func DefaultCacheDir() string {
	if d := os.Getenv("LOCKBENCH_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "lockbench")
	}
	return filepath.Join(os.TempDir(), "lockbench-cache")
}

// BuildError says why a binary for a release cannot be had, and how to fix it. It is the
// user's to fix (a missing toolchain, missing source, a wrong path), never lockbench broken.
type BuildError struct {
	Release string
	Reason  string
	Err     error
}

func (e *BuildError) Error() string {
	s := fmt.Sprintf("no lockbench binary for DuckDB %s: %s", e.Release, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *BuildError) Unwrap() error { return e.Err }

// ExitCode is exitcode.Usage: every reason names what the user can change (a binary to name
// with --duckdb-binary, the Go toolchain, a writable cache) and nothing was run.
func (e *BuildError) ExitCode() exitcode.Code { return exitcode.Usage }

// Status describes what Binaries has for a release, for `lockbench duckdb list`.
type Status struct {
	Release Release `json:"release"`
	// Path is the binary's path when it is ready (this binary, an override, or a cached build).
	Path string `json:"path,omitempty"`
	// How says where the binary comes from: "this binary", "--duckdb-binary", "cached build",
	// or "not built" (Path empty).
	How string `json:"how"`
}

// Status reports, without building anything, what is ready for each known release.
func (b *Binaries) Status() []Status {
	var out []Status
	for _, r := range Known() {
		st := Status{Release: r, How: "not built"}
		switch {
		case r.Name == b.Linked.Name:
			st.Path, st.How = b.Self, "this binary"
		case b.Override[r.Name] != "":
			st.Path, st.How = b.Override[r.Name], "--duckdb-binary"
		default:
			if key, err := b.key(r); err == nil {
				if p := b.binPath(key); isExecutable(p) {
					st.Path, st.How = p, "cached build"
				}
			}
		}
		out = append(out, st)
	}
	return out
}

// Check reports whether a binary for r can be had, without building it: an override must be
// an executable file, and a build needs the source and a Go toolchain.
func (b *Binaries) Check(r Release) error {
	if r.Name == b.Linked.Name {
		return nil
	}
	if p := b.Override[r.Name]; p != "" {
		if !isExecutable(p) {
			return &BuildError{Release: r.Name, Reason: fmt.Sprintf("--duckdb-binary %s=%s is not an executable file; build one with `go build -modfile=ALT/go.mod -o PATH ./cmd/lockbench`, or drop the option to let lockbench build it", r.Name, p)}
		}
		return nil
	}
	if _, err := b.key(r); err != nil {
		return err
	}
	if isExecutable(b.binPath(mustKey(b, r))) {
		return nil
	}
	if _, err := exec.LookPath("go"); err != nil {
		return &BuildError{Release: r.Name, Reason: "building it needs the Go toolchain (`go` is not on PATH); install Go 1.26 or name a binary with --duckdb-binary " + r.Name + "=PATH", Err: err}
	}
	return nil
}

func mustKey(b *Binaries, r Release) string {
	k, _ := b.key(r)
	return k
}

// Path returns a lockbench binary that links r, building it the first time (with a line on
// Progress). It is safe for concurrent use.
func (b *Binaries) Path(ctx context.Context, r Release) (string, error) {
	if r.Name == b.Linked.Name && b.Self != "" {
		return b.Self, nil
	}
	if p := b.Override[r.Name]; p != "" {
		if err := b.Check(r); err != nil {
			return "", err
		}
		return p, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if p, ok := b.done[r.Name]; ok {
		return p, nil
	}
	key, err := b.key(r)
	if err != nil {
		return "", err
	}
	bin := b.binPath(key)
	if !isExecutable(bin) {
		if err := b.Check(r); err != nil {
			return "", err
		}
		if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
			return "", &BuildError{Release: r.Name, Reason: "creating " + filepath.Dir(bin) + " (set LOCKBENCH_CACHE to a writable directory)", Err: err}
		}
		unlock, err := flockFile(bin + ".lock")
		if err != nil {
			return "", &BuildError{Release: r.Name, Reason: "locking " + bin, Err: err}
		}
		// Another process may have built it while this one waited.
		if !isExecutable(bin) {
			err = b.build(ctx, r, key, bin)
		}
		unlock()
		if err != nil {
			return "", err
		}
	}
	if b.done == nil {
		b.done = map[string]string{}
	}
	b.done[r.Name] = bin
	return bin, nil
}

func (b *Binaries) dir() string {
	if b.Dir != "" {
		return b.Dir
	}
	return DefaultCacheDir()
}

func (b *Binaries) binPath(key string) string {
	return filepath.Join(b.dir(), "bin", key, "lockbench")
}

// key is the cache key of r's binary: the release and a digest of the source tree's Go files,
// SQL models, seeds and module files, so that any change to the source builds anew.
func (b *Binaries) key(r Release) (string, error) {
	if b.Source == "" {
		return "", &BuildError{Release: r.Name, Reason: "lockbench's source tree was not found (a binary built elsewhere and copied here cannot rebuild itself); run lockbench from a clone of its repository, or name a binary with --duckdb-binary " + r.Name + "=PATH"}
	}
	d, err := sourceDigest(b.Source)
	if err != nil {
		return "", &BuildError{Release: r.Name, Reason: "reading lockbench's source at " + b.Source, Err: err}
	}
	return d + "-duckdb-" + r.Name, nil
}

// sourceDigests caches the digest of each source tree for the life of the process.
var sourceDigests sync.Map

// sourceDigest hashes the names and contents of the files a build depends on.
func sourceDigest(root string) (string, error) {
	if d, ok := sourceDigests.Load(root); ok {
		return d.(string), nil
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", err
	}
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "runs" || name == "bin" || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(name) {
		case ".go", ".sql", ".csv", ".yaml", ".yml", ".c", ".h":
			if !strings.HasSuffix(name, "_test.go") {
				files = append(files, p)
			}
		}
		if name == "go.mod" || name == "go.sum" {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		data, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", rel, len(data))
		h.Write(data)
	}
	d := hex.EncodeToString(h.Sum(nil))[:16]
	sourceDigests.Store(root, d)
	return d, nil
}

// reDuckDBRequire matches the go.mod lines that pin the driver and its platform libraries.
var reDuckDBRequire = regexp.MustCompile(`(?m)^\s*(?:github\.com/duckdb/duckdb-go-bindings\S*|go\.duckdb\.org/libduckdb/\S+) v\S+.*\n`)
var reDriverRequire = regexp.MustCompile(`(?m)^(\s*github\.com/duckdb/duckdb-go/v2) v\S+`)

// AltModFile returns the go.mod of src with the duckdb-go driver set to r's version and its
// platform libraries left for the go command to resolve.
func AltModFile(src []byte, r Release) ([]byte, error) {
	if !reDriverRequire.Match(src) {
		return nil, errors.New("go.mod does not require " + DriverModule)
	}
	out := reDuckDBRequire.ReplaceAll(src, nil)
	out = reDriverRequire.ReplaceAll(out, []byte("${1} "+r.Driver))
	return out, nil
}

// build makes r's lockbench binary at bin, writing to a temporary name renamed into place so
// that an interrupted build leaves nothing half-made.
func (b *Binaries) build(ctx context.Context, r Release, key, bin string) error {
	start := time.Now()
	if b.Progress != nil {
		fmt.Fprintf(b.Progress, "building lockbench with DuckDB %s (duckdb-go %s) into %s, once (about a minute or two the first time)...\n", r.Name, r.Driver, filepath.Dir(bin))
	}
	if err := os.MkdirAll(filepath.Dir(bin), 0o755); err != nil {
		return &BuildError{Release: r.Name, Reason: "creating " + filepath.Dir(bin) + " (set LOCKBENCH_CACHE to a writable directory)", Err: err}
	}
	tmp := bin + ".tmp"
	if err := b.GoBuild(ctx, r, "./cmd/lockbench", tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, bin); err != nil {
		return &BuildError{Release: r.Name, Reason: "installing the binary", Err: err}
	}
	if b.Progress != nil {
		fmt.Fprintf(b.Progress, "built lockbench with DuckDB %s in %s\n", r.Name, time.Since(start).Round(100*time.Millisecond))
	}
	return nil
}

// GoBuild builds the package pkg of the source tree (such as "./cmd/lockbench" or a DuckDB
// client of the examples) linked against r's duckdb-go driver, into out: it writes an
// alternate module file in the cache, resolves it (`go mod tidy -modfile`), and runs `go build
// -modfile` in the source tree, which it does not change.
func (b *Binaries) GoBuild(ctx context.Context, r Release, pkg, out string) error {
	key, err := b.key(r)
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("go"); err != nil {
		return &BuildError{Release: r.Name, Reason: "building it needs the Go toolchain (`go` is not on PATH); install Go 1.26 or name a binary with --duckdb-binary " + r.Name + "=PATH", Err: err}
	}
	work := filepath.Join(b.dir(), "mod", key)
	if err := os.MkdirAll(work, 0o755); err != nil {
		return &BuildError{Release: r.Name, Reason: "creating the cache directory " + work + " (set LOCKBENCH_CACHE to a writable directory)", Err: err}
	}
	modPath := filepath.Join(work, "go.mod")
	run := func(args ...string) error {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = b.Source
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "GOFLAGS=-mod=mod")
		outb, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, lastLines(string(outb), 15))
		}
		return nil
	}
	b.mu2.Lock()
	defer b.mu2.Unlock()
	// Other lockbench processes (parallel test packages, two shells) may build the same release.
	unlock, err := flockFile(filepath.Join(work, ".lock"))
	if err != nil {
		return &BuildError{Release: r.Name, Reason: "locking " + work, Err: err}
	}
	defer unlock()
	if _, err := os.Stat(filepath.Join(work, ".resolved")); err != nil {
		mod, err := os.ReadFile(filepath.Join(b.Source, "go.mod"))
		if err != nil {
			return &BuildError{Release: r.Name, Reason: "reading lockbench's go.mod", Err: err}
		}
		alt, err := AltModFile(mod, r)
		if err != nil {
			return &BuildError{Release: r.Name, Reason: "making the module file", Err: err}
		}
		sum, _ := os.ReadFile(filepath.Join(b.Source, "go.sum"))
		if err := os.WriteFile(modPath, alt, 0o644); err != nil {
			return &BuildError{Release: r.Name, Reason: "writing " + modPath, Err: err}
		}
		if err := os.WriteFile(filepath.Join(work, "go.sum"), sum, 0o644); err != nil {
			return &BuildError{Release: r.Name, Reason: "writing go.sum", Err: err}
		}
		if err := run("mod", "tidy", "-modfile="+modPath); err != nil {
			return &BuildError{Release: r.Name, Reason: "resolving duckdb-go " + r.Driver + " (the Go module proxy must be reachable)", Err: err}
		}
		if err := os.WriteFile(filepath.Join(work, ".resolved"), nil, 0o644); err != nil {
			return &BuildError{Release: r.Name, Reason: "writing " + work, Err: err}
		}
	}
	if err := run("build", "-modfile="+modPath, "-o", out, pkg); err != nil {
		return &BuildError{Release: r.Name, Reason: "building " + pkg, Err: err}
	}
	return nil
}

// flockFile takes an exclusive flock(2) on path (created if missing) and returns its release.
func flockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
