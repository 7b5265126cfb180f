package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/vocab"
)

// The tests of this file break the machine under bench for real (a small tmpfs, a read-only
// bind mount, a low descriptor limit) and check that lockbench blames the machine, not the code:
// exit code 3 with what happened and the resume line, no trial counted as a result, a valid
// history, and a resume that finishes the run once the machine is fixed.

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

func mount(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command("mount", args...).CombinedOutput()
	require.NoError(t, err, "mount %v: %s", args, out)
}

// latestRun is the run directory runs/latest points at.
func latestRun(t *testing.T, runs string) string {
	t.Helper()
	dir, err := filepath.EvalSymlinks(filepath.Join(runs, "latest"))
	require.NoError(t, err)
	return dir
}

// checkHistory reads dir's history (which must be valid and whole) and returns its results by
// outcome kind and its environment failures by sub-kind. No slot may have two results.
func checkHistory(t *testing.T, dir string) (results map[vocab.Kind]int, env map[vocab.Sub]int) {
	t.Helper()
	run, err := history.ReadRun(dir)
	require.NoError(t, err, "the history stays valid")
	assert.False(t, run.TornLine, "the history ends in a whole line")
	results, env = map[vocab.Kind]int{}, map[vocab.Sub]int{}
	slots := map[string]bool{}
	for _, tr := range run.Trials {
		if !tr.Outcome.Kind.Result() {
			env[tr.Outcome.Sub]++
			continue
		}
		results[tr.Outcome.Kind]++
		slot := fmt.Sprintf("%s#%d#%v", tr.Cell, tr.Trial, tr.Warmup)
		assert.False(t, slots[slot], "%s trial %d recorded twice", tr.Cell, tr.Trial)
		slots[slot] = true
	}
	return results, env
}

// TestFullDiskStopsTheRunAndResumes runs a 12-trial matrix with the runs directory on a 4 MB
// tmpfs, which the first trial's database outgrows: bench exits 3 and says that the disk is full
// and where, no trial is a result (none is a conflict), and after the tmpfs is enlarged
// `bench --resume` finishes with 12 ok trials, each once, and a report that says what it left
// out. The reports follow the umask.
func TestFullDiskStopsTheRunAndResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (a full run): skipped by -short, run by CI")
	}
	fs := mountTmpfs(t, "4m")
	runs := filepath.Join(fs, "runs")
	code, out, stderr := lockbench(t, "bench", "-m", "testdata/env-disk.yaml", "--runs", runs, "--quiet")
	require.Equal(t, int(exitcode.Unknown), code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	dir := latestRun(t, runs)
	assert.Contains(t, stderr, "the machine failed, not the code: environment/disk-full")
	assert.Contains(t, stderr, "No space left on device")
	assert.Contains(t, stderr, "the disk is full: "+dir+" (on tmpfs at "+fs+", ")
	assert.Contains(t, stderr, "resume with: lockbench bench --resume "+dir)
	assert.Contains(t, out, "failed for environmental reasons (disk-full 1) and is not counted")
	assert.Contains(t, out, "verdict: UNKNOWN")
	assert.NotContains(t, out, "FAIL")
	results, env := checkHistory(t, dir)
	assert.Empty(t, results, "a trial on a full disk is a result")
	assert.Equal(t, map[vocab.Sub]int{vocab.SubDiskFull: 1}, env, "the run stops at the first full disk")

	mount(t, "-o", "remount,size=256m", fs)
	code, out, stderr = lockbench(t, "bench", "--resume", dir, "--quiet")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, out, "verdict: PASS")
	assert.Contains(t, out, "1 trial failed for environmental reasons (disk-full 1) and is not counted: the machine failed, not the code; it was run again")
	results, _ = checkHistory(t, dir)
	assert.Equal(t, map[vocab.Kind]int{vocab.OK: 12}, results)

	mask := syscall.Umask(0)
	syscall.Umask(mask)
	for _, f := range []string{"report.html", "report.txt", history.ManifestFile, history.HistoryFile} {
		st, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o666&^mask), st.Mode().Perm(), "%s with umask %04o", f, mask)
	}
}

// TestReadOnlyRunsDirectoryAtStart gives bench a runs directory on a read-only bind mount: it
// exits 2 before any trial, naming the directory and the read-only file system, and writes
// nothing.
func TestReadOnlyRunsDirectoryAtStart(t *testing.T) {
	runs := t.TempDir()
	if out, err := exec.Command("mount", "--bind", runs, runs).CombinedOutput(); err != nil {
		t.Skipf("cannot bind-mount here (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", runs).Run() })
	mount(t, "-o", "remount,bind,ro", runs)
	code, out, stderr := lockbench(t, "bench", "-m", "testdata/env-disk.yaml", "--runs", runs, "--quiet")
	assert.Equal(t, int(exitcode.Usage), code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	assert.Contains(t, stderr, runs)
	assert.Contains(t, stderr, "read-only file system")
	assert.Contains(t, stderr, "give --runs a directory you can write")
	assert.NotContains(t, stderr, "internal error")
	left, err := os.ReadDir(runs)
	require.NoError(t, err)
	assert.Empty(t, left)
}

// TestTooFewFileDescriptorsStopTheRun runs a 12-trial matrix under `prlimit --nofile=20`, enough
// for bench to start trials but not for a trial to start four worker processes: bench exits 3
// naming too many open files (not a lock conflict, an error or a crash), and a resume with the
// usual limit finishes with every trial once: sequential ok, parallel-processes the lock
// conflict it is expected to meet.
func TestTooFewFileDescriptorsStopTheRun(t *testing.T) {
	if testing.Short() {
		t.Skip("slow (a full run): skipped by -short, run by CI")
	}
	prlimit, err := exec.LookPath("prlimit")
	if err != nil {
		t.Skip("prlimit (util-linux) is not installed")
	}
	runs := t.TempDir()
	cmd := exec.Command(prlimit, "--nofile=20", os.Args[0], "bench", "-m", "testdata/env-nofile.yaml", "--runs", runs, "--quiet")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	require.Equal(t, int(exitcode.Unknown), ee.ExitCode(), "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	dir := latestRun(t, runs)
	assert.Contains(t, stderr.String(), "the machine failed, not the code: environment/too-many-files")
	assert.Contains(t, stderr.String(), "ulimit -n")
	assert.Contains(t, stderr.String(), "resume with: lockbench bench --resume "+dir)
	results, env := checkHistory(t, dir)
	assert.Equal(t, map[vocab.Sub]int{vocab.SubTooManyFiles: 2}, env, "the second shortage of descriptors stops the run")
	for kind := range results {
		assert.Equal(t, vocab.OK, kind, "a trial short of descriptors was counted as %s", kind)
	}

	code, out, errOut := lockbench(t, "bench", "--resume", dir, "--quiet")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "2 trials failed for environmental reasons (too-many-files 2) and are not counted")
	results, _ = checkHistory(t, dir)
	assert.Equal(t, map[vocab.Kind]int{vocab.OK: 6, vocab.LockConflict: 6}, results)
}
