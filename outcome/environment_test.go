package outcome_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/outcome"
	"lockbench/vocab"
)

// TestEnvironmentText covers the machine's failures as they appear in text, whatever DuckDB
// error type leads them, and errors that are not the machine's.
func TestEnvironmentText(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		sub  vocab.Sub
		path string
	}{
		{"full disk at commit, not a transaction conflict", `TransactionContext Error: Failed to commit: Could not write file "/r/t/trial.duckdb.wal": No space left on device`, vocab.SubDiskFull, "/r/t/trial.duckdb.wal"},
		{"the harness cannot start a trial", "start trial: fork/exec /usr/local/bin/lockbench: too many open files", vocab.SubTooManyFiles, "/usr/local/bin/lockbench"},
		{"read-only runs directory", "create run directory: mkdir /mnt/ro/runs: read-only file system", vocab.SubReadOnlyFS, "/mnt/ro/runs"},
		{"permission", `IO Error: Cannot open file "/srv/x.duckdb": Permission denied`, vocab.SubPermission, "/srv/x.duckdb"},
		{"a Go runtime out of memory", "fatal error: runtime: out of memory\n\ngoroutine 1 [running]:", vocab.SubOutOfMemory, ""},
		{"a quota", `IO Error: Could not write file "/home/u/a.db": Disk quota exceeded`, vocab.SubDiskFull, "/home/u/a.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := outcome.ClassifyText(tt.msg)
			assert.Equal(t, vocab.Environment, o.Kind, o.Message)
			assert.Equal(t, tt.sub, o.Sub)
			assert.Equal(t, tt.path, o.Path)
			assert.NotEmpty(t, outcome.Advice(o, "a.db"))
			assert.False(t, o.Kind.Result(), "an environment failure is not a result")
		})
	}
	for _, msg := range []string{
		"TransactionContext Error: Conflict on update!",
		`IO Error: Could not read from file "/x.db": Input/output error`,
	} {
		assert.NotEqual(t, vocab.Environment, outcome.ClassifyText(msg).Kind, msg)
	}
}

// mountTmpfs mounts a tmpfs of size at a new directory (root only; it skips elsewhere) and
// unmounts it when the test ends.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "fs")
	require.NoError(t, os.Mkdir(dir, 0o755))
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// TestEnvironmentErrnoOnRealFileSystems fills a real tmpfs and remounts one read-only: the Go
// errors of the harness's own writes are environment failures with the mount's facts.
func TestEnvironmentErrnoOnRealFileSystems(t *testing.T) {
	small := mountTmpfs(t, "64k")
	f, err := os.Create(filepath.Join(small, "fill"))
	require.NoError(t, err)
	var werr error
	for werr == nil {
		_, werr = f.Write(make([]byte, 4096))
	}
	f.Close()
	o := outcome.Classify(fmt.Errorf("append history: %w", werr))
	assert.Equal(t, vocab.Environment, o.Kind, o.Message)
	assert.Equal(t, vocab.SubDiskFull, o.Sub)
	outcome.EnrichEnvironment(&o, small)
	require.NotNil(t, o.Env)
	assert.Equal(t, "tmpfs", o.Env.FSType)
	assert.Equal(t, small, o.Env.Mount)
	assert.Equal(t, int64(0), o.Env.FreeBytes)
	assert.Equal(t, int64(64*1024), o.Env.SizeBytes)
	assert.Contains(t, outcome.Advice(o, ""), "0 B free of 64.0 KiB")

	ro := mountTmpfs(t, "64k")
	require.NoError(t, exec.Command("mount", "-o", "remount,ro", ro).Run())
	err = os.Mkdir(filepath.Join(ro, "runs"), 0o755)
	o = outcome.Classify(fmt.Errorf("create run directory: %w", err))
	assert.Equal(t, vocab.SubReadOnlyFS, o.Sub, o.Message)
	assert.Equal(t, filepath.Join(ro, "runs"), o.Path)
	outcome.EnrichEnvironment(&o, "")
	require.NotNil(t, o.Env)
	assert.True(t, o.Env.ReadOnly)
}

// TestEnvironmentTooManyFiles lowers this process's descriptor limit to the lowest free
// descriptor, so that the next open fails with EMFILE, and classifies that error.
func TestEnvironmentTooManyFiles(t *testing.T) {
	var old syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old))
	// The kernel hands out the lowest free descriptor; with the limit at that number the next
	// open fails.
	probe, err := os.Open("/dev/null")
	require.NoError(t, err)
	free := probe.Fd()
	probe.Close()
	low := old
	low.Cur = uint64(free)
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low))
	_, err = os.Open("/dev/null")
	require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old))
	require.True(t, errors.Is(err, syscall.EMFILE), "%v", err)
	o := outcome.Classify(fmt.Errorf("start trial: %w", err))
	assert.Equal(t, vocab.Environment, o.Kind)
	assert.Equal(t, vocab.SubTooManyFiles, o.Sub)
	assert.Contains(t, outcome.Advice(o, ""), "ulimit -n")
}

// TestOOMKillIsNamed starts a process in a memory cgroup of its own with a small limit, lets it
// allocate past it, and checks that its SIGKILL is turned into an oom-kill by the cgroup's
// counter. It skips where this process cannot create a memory cgroup.
func TestOOMKillIsNamed(t *testing.T) {
	cg := childMemoryCgroup(t, 32<<20)
	before, known := outcome.OOMKills()
	require.True(t, known)
	// A child (this test binary, see TestMain) that joins the cgroup and allocates and touches
	// 256 MiB: the cgroup's OOM killer ends it.
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), allocEnv+"="+filepath.Join(cg, "cgroup.procs"))
	err := cmd.Run()
	require.Error(t, err)
	o := outcome.Classify(err)
	if o.Kind != vocab.Crash {
		t.Skipf("the child was not killed by a signal (%v): the cgroup did not limit it", err)
	}
	outcome.OOMKilled(&o, before, known)
	assert.Equal(t, vocab.Environment, o.Kind, o.Message)
	assert.Equal(t, vocab.SubOOMKill, o.Sub)
	assert.Contains(t, outcome.Advice(o, ""), "OOM")

	// Without a raised counter a SIGKILL stays a crash.
	after, _ := outcome.OOMKills()
	c := outcome.Outcome{Kind: vocab.Crash, Sub: "SIGKILL"}
	outcome.OOMKilled(&c, after, true)
	assert.Equal(t, vocab.Crash, c.Kind)
}

// allocEnv makes this test binary join the cgroup whose cgroup.procs the variable names and
// allocate 256 MiB (TestMain).
const allocEnv = "LOCKBENCH_TEST_ALLOC_IN"

func TestMain(m *testing.M) {
	if procs := os.Getenv(allocEnv); procs != "" {
		if err := os.WriteFile(procs, []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
			os.Exit(3)
		}
		var keep [][]byte
		for range 256 {
			b := make([]byte, 1<<20)
			for i := range b {
				b[i] = 1
			}
			keep = append(keep, b)
		}
		fmt.Println(len(keep))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childMemoryCgroup makes a memory cgroup below this process's (v1 or v2) with a limit.
func childMemoryCgroup(t *testing.T, limit int64) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/cgroup")
	require.NoError(t, err)
	var dir, limitFile string
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if strings.Contains(","+parts[1]+",", ",memory,") {
			dir, limitFile = filepath.Join("/sys/fs/cgroup/memory", parts[2]), "memory.limit_in_bytes"
		}
		if parts[0] == "0" && parts[1] == "" && dir == "" {
			dir, limitFile = filepath.Join("/sys/fs/cgroup", parts[2]), "memory.max"
		}
	}
	cg := filepath.Join(dir, fmt.Sprintf("lockbench-test-%d", os.Getpid()))
	if err := os.Mkdir(cg, 0o755); err != nil {
		t.Skipf("cannot create a memory cgroup here: %v", err)
	}
	t.Cleanup(func() { _ = os.Remove(cg) })
	if err := os.WriteFile(filepath.Join(cg, limitFile), []byte(strconv.FormatInt(limit, 10)), 0o644); err != nil {
		t.Skipf("cannot limit the memory cgroup: %v", err)
	}
	// No swap, so the limit is reached (v1 with swap accounting).
	_ = os.WriteFile(filepath.Join(cg, "memory.memsw.limit_in_bytes"), []byte(strconv.FormatInt(limit, 10)), 0o644)
	_ = os.WriteFile(filepath.Join(cg, "memory.swap.max"), []byte("0"), 0o644)
	return cg
}
