package release

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// MinStorage is the oldest storage version every known release reads (DuckDB 0.10's format,
// which every 1.x release still creates by default).
const MinStorage = 64

// Storage versions and the storage_compatibility_version names that create them. DuckDB 1.0
// and 1.1 write the same format (64); 2.0.0 creates 69 unless told otherwise.
var compat = []struct {
	number int
	name   string
}{
	{64, "v1.0.0"},
	{64, "v1.1.0"},
	{65, "v1.2.0"},
	{66, "v1.3.0"},
	{67, "v1.4.0"},
	{68, "v1.5.0"},
	{69, "v2.0.0"},
}

// CompatName returns the storage_compatibility_version that creates files of a storage version
// ("v1.5.0" for 68), or "" for a version lockbench does not know.
func CompatName(storage int) string {
	for _, c := range compat {
		if c.number == storage {
			return c.name
		}
	}
	return ""
}

// ParseCompat reads a storage_compatibility_version ("v1.5.0", "1.5.0", "1.5", or "latest")
// and returns the canonical name and the storage version it creates.
func ParseCompat(s string) (name string, storage int, err error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	if t == "latest" {
		last := compat[len(compat)-1]
		return last.name, last.number, nil
	}
	if strings.Count(t, ".") == 1 {
		t += ".0"
	}
	for _, c := range compat {
		if c.name == "v"+t {
			return c.name, c.number, nil
		}
	}
	var names []string
	for _, c := range compat {
		names = append(names, c.name)
	}
	return "", 0, fmt.Errorf("storage version %q is not one DuckDB knows; use one of %s (the oldest DuckDB release that must read the file)", s, strings.Join(names, ", "))
}

// StorageVersion is what a database file's headers say about its format.
type StorageVersion struct {
	// Number is the storage version (64 to 69 today): the one DuckDB compares with the
	// range it can read.
	Number int `json:"number"`
	// Compat is the storage_compatibility_version that creates this format, such as
	// "v1.5.0"; empty for a number lockbench does not know.
	Compat string `json:"compat,omitempty"`
	// CreatedBy is the DuckDB version that created the file, as its main header records it
	// ("v2.0.0"); a later writer of another release does not change it.
	CreatedBy string `json:"created_by,omitempty"`
	// ReadableBy lists the known releases that can open the file.
	ReadableBy []string `json:"readable_by"`
}

// String renders the version as `69 (v2.0.0 format, created by v2.0.0; readable by 2.0.0)`.
func (v StorageVersion) String() string {
	s := strconv.Itoa(v.Number)
	var parts []string
	if v.Compat != "" {
		parts = append(parts, v.Compat+" format")
	}
	if v.CreatedBy != "" {
		parts = append(parts, "created by "+v.CreatedBy)
	}
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ")
	} else {
		s += " ("
	}
	if len(v.ReadableBy) > 0 {
		s += "; readable by DuckDB " + strings.Join(v.ReadableBy, ", ") + ")"
	} else {
		s += "; no release lockbench knows reads it)"
	}
	return strings.Replace(s, "(; ", "(", 1)
}

// Layout of a DuckDB database file: a main header, then two database headers of which the one
// with the higher iteration is current.
const (
	headerSize       = 4096
	magicOffset      = 8  // "DUCK"
	versionOffset    = 12 // u64: the storage version, or newVersionMarker
	createdByOffset  = 52 // 32 bytes: the creating library's version string
	iterationOffset  = 8  // in a database header: u64 iteration
	serialOffset     = 56 // in a database header: u64 serialization compatibility
	newVersionMarker = 999
	minFileSize      = 3 * headerSize
)

// ErrNotDatabase is wrapped by ReadStorageVersion's error for a file that is not a DuckDB
// database (too short, or without DuckDB's magic bytes).
var ErrNotDatabase = errors.New("not a DuckDB database file")

// ErrHeldHere is wrapped by ReadStorageVersion's error when this process itself has the file
// open (a DuckDB handle on it): opening and closing the file by another route would drop the
// process's POSIX locks on it, so the headers are not read.
var ErrHeldHere = errors.New("this process has the file open; its headers are not read, so as not to drop its lock")

// ReadStorageVersion reads the storage version of the DuckDB database file at path from its
// headers, with a plain read: no DuckDB and no lock, so it works while another process holds
// the file. It refuses (ErrHeldHere) when this process has the file open, because closing
// any descriptor of a file drops the process's POSIX locks on it.
//
// DuckDB writes the storage version at byte 12 of the file; since 2.0 that field holds a
// marker (999) and the version is in the current database header (byte 56 of the header at
// 4096 or 8192, whichever has the higher iteration), which is where DuckDB 1.5.6 finds the 69
// it reports.
func ReadStorageVersion(path string) (StorageVersion, error) {
	b, err := readHeaders(path, "storage version")
	if err != nil {
		return StorageVersion{}, err
	}
	return ParseHeaders(b, path)
}

// ReadIteration reads the iteration of the current database header of the DuckDB database file
// at path. Every checkpoint writes the other of the file's two database headers with the
// iteration one higher, so the difference between two readings counts the checkpoints that
// reached the file in between. Like ReadStorageVersion it reads the file without DuckDB and
// refuses (ErrHeldHere) when this process has it open.
func ReadIteration(path string) (uint64, error) {
	b, err := readHeaders(path, "header iteration")
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(b[magicOffset:magicOffset+4], []byte("DUCK")) {
		return 0, fmt.Errorf("header iteration of %s: %w", path, ErrNotDatabase)
	}
	return max(binary.LittleEndian.Uint64(b[headerSize+iterationOffset:]), binary.LittleEndian.Uint64(b[2*headerSize+iterationOffset:])), nil
}

// readHeaders reads the main and database headers of the file at path; what names the reading
// in errors.
func readHeaders(path, what string) ([]byte, error) {
	if held, err := openHere(path); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	} else if held {
		return nil, fmt.Errorf("%s of %s: %w", what, path, ErrHeldHere)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	b := make([]byte, minFileSize)
	if _, err := io.ReadFull(f, b); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s of %s: %w (shorter than its headers)", what, path, ErrNotDatabase)
		}
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return b, nil
}

// ParseHeaders reads a storage version from the first 12 KiB of a database file; name is used
// in errors.
func ParseHeaders(b []byte, name string) (StorageVersion, error) {
	if len(b) < minFileSize || !bytes.Equal(b[magicOffset:magicOffset+4], []byte("DUCK")) {
		return StorageVersion{}, fmt.Errorf("storage version of %s: %w", name, ErrNotDatabase)
	}
	le := binary.LittleEndian
	number := le.Uint64(b[versionOffset:])
	if number == newVersionMarker {
		h1, h2 := b[headerSize:2*headerSize], b[2*headerSize:3*headerSize]
		cur := h1
		if le.Uint64(h2[iterationOffset:]) > le.Uint64(h1[iterationOffset:]) {
			cur = h2
		}
		number = le.Uint64(cur[serialOffset:])
	}
	v := StorageVersion{Number: int(number), Compat: CompatName(int(number))}
	v.CreatedBy = string(bytes.TrimRight(b[createdByOffset:createdByOffset+32], "\x00"))
	v.ReadableBy = ReadableBy(v.Number)
	if v.ReadableBy == nil {
		v.ReadableBy = []string{}
	}
	return v, nil
}

// openHere reports whether this process has a descriptor open on path's file (same device and
// inode), by stat(2) of the links in /proc/self/fd: nothing is opened.
func openHere(path string) (bool, error) {
	var want syscall.Stat_t
	if err := syscall.Stat(path, &want); err != nil {
		return false, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return false, nil
	}
	for _, fd := range fds {
		var st syscall.Stat_t
		if syscall.Stat(filepath.Join("/proc/self/fd", fd.Name()), &st) == nil && st.Dev == want.Dev && st.Ino == want.Ino {
			return true, nil
		}
	}
	return false, nil
}
