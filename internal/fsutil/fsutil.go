// Package fsutil writes files so that a crash or Ctrl-C never leaves a torn one: whole files
// are replaced atomically (a synced temporary file renamed over the old one) and directory
// entries are synced. Every file lockbench writes goes through it or through an append that
// syncs each record. Files are created with mode 0666 less the process's umask, as a shell's
// redirection would create them, so that a CI step running as another user can read a report.
package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// WriteFileAtomic writes data to path through a temporary file in the same directory, synced and
// renamed over path, so readers see either the old or the new content, never a torn file. The
// file's mode is 0666 less the umask (os.CreateTemp would make it 0600 whatever the umask).
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := createTemp(dir, "."+filepath.Base(path)+".tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("rename %s: %w", path, err)
	}
	return SyncDir(dir)
}

// createTemp creates a new file in dir whose name starts with prefix, with mode 0666 less the
// umask (the kernel applies it).
func createTemp(dir, prefix string) (*os.File, error) {
	for range 1000 {
		name := filepath.Join(dir, prefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, &fs.PathError{Op: "createtemp", Path: filepath.Join(dir, prefix+"*"), Err: fs.ErrExist}
}

// SyncDir makes the creation, renaming and removal of entries in dir durable (fsync of the
// directory), so a rename survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
