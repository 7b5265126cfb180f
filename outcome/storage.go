package outcome

import (
	"strings"

	"lockbench/release"
	"lockbench/vocab"
)

// EnrichStorage adds what the file's format says to a lock-conflict or storage-format outcome:
// for a lock conflict, the storage version read from the database file's headers (a plain read
// that takes no lock, skipped when this process has the file open, so that no lock of its own is
// dropped); for both, the releases lockbench knows that read the file and, when opener is known
// (its Name is not empty), the opener's release and the newest storage version it reads.
//
// With these, Advice can tell a lock conflict that hides an unreadable format (a DuckDB 1.5
// process meeting a 2.0 holder of a 2.0-format file) from an ordinary one.
func EnrichStorage(o *Outcome, opener release.Release) {
	switch o.Kind {
	case vocab.LockConflict:
		if o.Path == "" || o.Sub == vocab.SubLocksUnsupported {
			return
		}
		if v, err := release.ReadStorageVersion(strings.TrimSuffix(o.Path, ".wal")); err == nil {
			o.StorageVersion = v.Number
			o.ReadableBy = v.ReadableBy
		}
		if opener.Name != "" {
			o.OpenerDuckDB = opener.Name
			o.ReaderMaxStorage = opener.MaxStorage
		}
	case vocab.StorageFormat:
		if opener.Name != "" {
			o.OpenerDuckDB = opener.Name
		}
	}
}

// CannotRead reports whether an outcome shows that the opener's DuckDB cannot read the file's
// storage format: always for a storage-format outcome, and for a lock conflict whose file is in
// a format newer than the opener reads (once the holder lets go, the open fails again, and a
// read-only open fails too).
func CannotRead(o Outcome) bool {
	if o.Kind == vocab.StorageFormat {
		return true
	}
	return o.StorageVersion > 0 && o.ReaderMaxStorage > 0 && o.StorageVersion > o.ReaderMaxStorage
}

// formatAdvice says what to do about a file the opener cannot read.
func formatAdvice(o Outcome) string {
	var b strings.Builder
	b.WriteString("the file has storage version ")
	b.WriteString(itoa(o.StorageVersion))
	if c := release.CompatName(o.StorageVersion); c != "" {
		b.WriteString(" (the " + c + " format)")
	}
	if o.OpenerDuckDB != "" {
		b.WriteString(" and the opener's DuckDB " + o.OpenerDuckDB)
	} else {
		b.WriteString(" and the opener's DuckDB")
	}
	if o.ReaderMaxStorage > 0 {
		b.WriteString(" reads up to " + itoa(o.ReaderMaxStorage))
	}
	b.WriteString(": ")
	if o.Kind == vocab.LockConflict {
		b.WriteString("even once the holder lets go this open will fail, read-only too; ")
	}
	if len(o.ReadableBy) > 0 {
		b.WriteString("upgrade the reader to DuckDB " + o.ReadableBy[0] + " or later")
	} else {
		b.WriteString("upgrade the reader to a newer DuckDB")
	}
	if o.Sub == vocab.SubTooOld {
		b.WriteString(", or export the data with the release that wrote it.")
		return b.String()
	}
	target := release.CompatName(o.ReaderMaxStorage)
	if target == "" {
		target = "v1.0.0"
	}
	b.WriteString(", or have the writer create the file for older readers with storage_compatibility_version=" + target +
		" (`?storage_compatibility_version=" + target + "` after the path, ATTACH ... (STORAGE_VERSION '" + target + "'), or lockbench simulate --storage-version " + target +
		"); an existing file keeps its format: copy its data into a new file with COPY FROM DATABASE.")
	return b.String()
}
