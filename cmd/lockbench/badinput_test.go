package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/internal/exitcode"
)

// snapshot is what must not change about a path: its bytes (for a file), its entries (for a
// directory) and its modification time.
type snapshot struct {
	exists  bool
	content string
	mtime   time.Time
}

func snap(t *testing.T, path string) snapshot {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		return snapshot{}
	}
	s := snapshot{exists: true, mtime: st.ModTime()}
	if st.IsDir() {
		ents, err := os.ReadDir(path)
		require.NoError(t, err)
		for _, e := range ents {
			s.content += e.Name() + "\n"
		}
	} else if st.Mode().IsRegular() {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		s.content = string(b)
	}
	return s
}

// TestBadDatabasePathsExitTwo gives every command that opens a database a path that cannot be
// one: each exits 2 with one line naming the path and what to do, and leaves the path as it
// was (same bytes, same entries, same modification time; no directory created).
func TestBadDatabasePathsExitTwo(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	require.NoError(t, os.WriteFile(text, []byte("not a database\n"), 0o644))
	empty := filepath.Join(dir, "empty.duckdb")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	sub := filepath.Join(dir, "sub")
	require.NoError(t, os.Mkdir(sub, 0o755))
	old := time.Now().Add(-time.Hour).Truncate(time.Second)
	for _, p := range []string{text, empty, sub, dir} {
		require.NoError(t, os.Chtimes(p, old, old))
	}
	cases := []struct {
		name, path, says string
		watch            string // the path that must not change
	}{
		{"directory", sub, "is a directory, not a database file", sub},
		{"missing directory", filepath.Join(dir, "no", "such", "x.duckdb"), "mkdir -p " + filepath.Join(dir, "no", "such"), dir},
		{"parent is a file", filepath.Join(text, "x.duckdb"), "is a file, not a directory", text},
		{"not a database", text, "is not a DuckDB database", text},
		{"empty file", empty, "is an empty file", empty},
	}
	commands := []struct {
		name string
		args func(db string) []string
	}{
		{"simulate", func(db string) []string {
			return []string{"simulate", "--db", db, "--employees", "50", "--years", "2025"}
		}},
		{"simulate process-per-model", func(db string) []string {
			return []string{"simulate", "--mode", "process-per-model", "--db", db, "--employees", "50", "--years", "2025", "--json"}
		}},
		{"hold", func(db string) []string { return []string{"hold", "--for", "2s", db} }},
		{"hold read-only", func(db string) []string { return []string{"hold", "--read-only", "--create", "--for", "2s", db} }},
		{"who", func(db string) []string { return []string{"who", db} }},
	}
	for _, cmd := range commands {
		for _, tc := range cases {
			if cmd.name == "who" && tc.name == "empty file" {
				continue // who lists the holders of an empty file (a database being created)
			}
			t.Run(cmd.name+"/"+tc.name, func(t *testing.T) {
				before := snap(t, tc.watch)
				code, out, stderr := lockbench(t, cmd.args(tc.path)...)
				assert.Equal(t, int(exitcode.Usage), code, "stderr: %s", stderr)
				assert.Empty(t, out)
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
				if cmd.name == "who" && strings.Contains(tc.name, "missing") || cmd.name == "who" && strings.Contains(tc.name, "parent") {
					assert.Contains(t, stderr, "does not exist")
				} else if cmd.name == "who" && tc.name == "not a database" {
					assert.Contains(t, stderr, "is not a DuckDB database")
				} else {
					assert.Contains(t, stderr, tc.says)
				}
				assert.Contains(t, stderr, tc.path)
				assert.Equal(t, before, snap(t, tc.watch), "%s changed", tc.watch)
				_, err := os.Stat(filepath.Join(dir, "no"))
				assert.ErrorIs(t, err, os.ErrNotExist, "a directory was created")
			})
		}
	}
}

// TestDatabaseWithoutPermissionExitsTwo runs lockbench as an unprivileged user on databases it
// may not open: simulate and hold exit 2 naming the file, which stays as it was.
func TestDatabaseWithoutPermissionExitsTwo(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o755))
	db := filepath.Join(dir, "owned.duckdb")
	code, _, stderr := lockbench(t, "simulate", "--db", db, "--employees", "50", "--years", "2025")
	require.Equal(t, 0, code, stderr)
	require.NoError(t, os.Chmod(db, 0o600))
	run := func(args ...string) (int, string) {
		if os.Geteuid() != 0 {
			code, _, stderr := lockbench(t, args...)
			return code, stderr
		}
		code, _, stderr := asNobody(t, dir, args...)
		return code, stderr
	}
	if os.Geteuid() != 0 {
		require.NoError(t, os.Chmod(db, 0o000))
		t.Cleanup(func() { _ = os.Chmod(db, 0o600) })
	}
	before := snap(t, db)
	for _, args := range [][]string{
		{"simulate", "--db", db, "--employees", "50", "--years", "2025"},
		{"hold", "--for", "2s", db},
		{"hold", "--read-only", "--for", "2s", db},
	} {
		code, stderr := run(args...)
		assert.Equal(t, int(exitcode.Usage), code, "%v: %s", args, stderr)
		assert.Contains(t, stderr, "no permission to open "+db, args)
		assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
	}
	assert.Equal(t, before, snap(t, db))
}

// asNobody runs this test binary as lockbench under the unprivileged user nobody (the test runs
// as root, which may open any file), from a copy in dir every user may execute, and returns its
// exit code, stdout and stderr.
func asNobody(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	exe := filepath.Join(dir, "lockbench")
	if _, err := os.Stat(exe); err != nil {
		src, err := os.Open(os.Args[0])
		require.NoError(t, err)
		defer src.Close()
		dst, err := os.OpenFile(exe, os.O_CREATE|os.O_WRONLY, 0o755)
		require.NoError(t, err)
		_, err = io.Copy(dst, src)
		require.NoError(t, err)
		require.NoError(t, dst.Close())
	}
	// Every directory above dir must be searchable by nobody.
	for d := filepath.Dir(dir); d != "/"; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		require.NoError(t, err)
		if st.Mode().Perm()&0o001 == 0 {
			require.NoError(t, os.Chmod(d, st.Mode().Perm()|0o011))
		}
	}
	cmd := exec.Command(exe, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run as nobody: %v", err)
	}
	return code, stdout.String(), stderr.String()
}

// TestAbsurdMatrixRefusedBeforeAnythingIsWritten gives bench a matrix of 1,100 cells: it exits 2
// naming the count and --max-cells, and creates no run directory.
func TestAbsurdMatrixRefusedBeforeAnythingIsWritten(t *testing.T) {
	dir := t.TempDir()
	seeds := make([]string, 100)
	for i := range seeds {
		seeds[i] = fmt.Sprint(i)
	}
	file := filepath.Join(dir, "big.yaml")
	require.NoError(t, os.WriteFile(file, []byte(fmt.Sprintf("matrix:\n  threads: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]\n  seed: [%s]\n", strings.Join(seeds, ", "))), 0o644))
	runs := filepath.Join(dir, "runs")
	code, _, stderr := lockbench(t, "bench", "-m", file, "--runs", runs)
	assert.Equal(t, int(exitcode.Usage), code, stderr)
	assert.Contains(t, stderr, "has 1100 cells (11 trials each), more than --max-cells 1000")
	assert.Contains(t, stderr, "raise --max-cells")
	_, err := os.Stat(runs)
	assert.ErrorIs(t, err, os.ErrNotExist, "a run directory was created")
	// A filter that leaves few enough cells is judged on what it leaves.
	code, _, stderr = lockbench(t, "bench", "-m", file, "--runs", runs, "--max-cells", "10", "--filter", "seed=1,2,3,4,5,6,7,8,9,10,11")
	assert.Equal(t, int(exitcode.Usage), code, stderr)
	assert.Contains(t, stderr, "with --filter seed=1,2,3,4,5,6,7,8,9,10,11 has 121 cells")
}
