package fsutil

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriteFileAtomicFollowsUmask writes files under several umasks: each gets 0666 less the
// umask, as `echo > file` would, and no temporary file is left behind.
func TestWriteFileAtomicFollowsUmask(t *testing.T) {
	dir := t.TempDir()
	for _, mask := range []int{0o022, 0o002, 0o077, 0o027} {
		old := syscall.Umask(mask)
		path := filepath.Join(dir, "report.html")
		err := WriteFileAtomic(path, []byte("x"))
		syscall.Umask(old)
		require.NoError(t, err)
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o666&^mask), st.Mode().Perm(), "umask %04o", mask)
		require.NoError(t, os.Remove(path))
	}
	left, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, left)
}

// TestWriteFileAtomicReplaces replaces an existing file's content whole.
func TestWriteFileAtomicReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "manifest.json")
	require.NoError(t, WriteFileAtomic(path, []byte("old content")))
	require.NoError(t, WriteFileAtomic(path, []byte("new")))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "new", string(b))
}

// TestWriteFileAtomicInMissingDirectory names the file it could not write.
func TestWriteFileAtomicInMissingDirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gone", "report.txt")
	err := WriteFileAtomic(path, []byte("x"))
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), path)
}
