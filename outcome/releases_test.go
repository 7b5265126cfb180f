package outcome_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/txtar"

	"lockbench/outcome"
	"lockbench/vocab"
)

// facts are what lockbench's classification of a DuckDB message must say, whatever the
// release's wording.
type facts struct {
	Kind               vocab.Kind
	Sub                vocab.Sub
	Path, HolderExe    string
	Role               vocab.Role
	HolderPID          int
	ReadOnly           bool
	Storage, ReaderMax int
}

func factsOf(o outcome.Outcome) facts {
	return facts{Kind: o.Kind, Sub: o.Sub, Path: o.Path, HolderExe: o.HolderExe, Role: o.HolderRole,
		HolderPID: o.HolderPID, ReadOnly: o.ReadOnlyWouldWork, Storage: o.StorageVersion, ReaderMax: o.ReaderMaxStorage}
}

// eventFacts are the facts of every event testdata/capture records. The storage events hold the
// reading release's own limit, so they are checked per release.
var eventFacts = map[string]facts{
	"lock-writer-holds-rw-open":        {Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Path: "/data/lock-writer-holds-rw-open.db", HolderExe: "/usr/bin/holder", HolderPID: 4242},
	"lock-readers-hold-rw-open":        {Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Path: "/data/lock-readers-hold-rw-open.db", HolderExe: "/usr/bin/holder", HolderPID: 4242, ReadOnly: true},
	"lock-writer-holds-ro-open":        {Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Path: "/data/lock-writer-holds-ro-open.db", HolderExe: "/usr/bin/holder", HolderPID: 4242},
	"txn-update":                       {Kind: vocab.TxnConflict, Sub: vocab.SubUpdate},
	"txn-delete":                       {Kind: vocab.TxnConflict, Sub: vocab.SubDelete},
	"txn-aborted":                      {Kind: vocab.TxnConflict, Sub: vocab.SubAborted},
	"txn-catalog-create":               {Kind: vocab.TxnConflict, Sub: vocab.SubCatalog},
	"txn-dropped":                      {Kind: vocab.TxnConflict, Sub: vocab.SubDropped},
	"txn-altered":                      {Kind: vocab.TxnConflict, Sub: vocab.SubAltered},
	"txn-checkpoint":                   {Kind: vocab.TxnConflict, Sub: vocab.SubCheckpoint},
	"constraint-primary-key":           {Kind: vocab.Constraint},
	"constraint-primary-key-at-commit": {Kind: vocab.Constraint},
	"handle-conflict-attach-self":      {Kind: vocab.Error, Sub: vocab.SubHandleConflict, Path: "/data/handle.db"},
	"bad-path-directory":               {Kind: vocab.Error, Sub: vocab.SubBadPath, Path: "/data/adir"},
	"bad-path-not-duckdb":              {Kind: vocab.Error, Sub: vocab.SubBadPath, Path: "/data/text.db"},
	"bad-path-missing-read-only":       {Kind: vocab.Error, Sub: vocab.SubBadPath, Path: "/data/missing.db"},
	"bad-path-missing-parent":          {Kind: vocab.Error, Sub: vocab.SubBadPath, Path: "/data/nodir/x.db"},
	"env-disk-full-create":             {Kind: vocab.Environment, Sub: vocab.SubDiskFull, Path: "/data/small/full.db"},
	"env-disk-full-insert":             {Kind: vocab.Environment, Sub: vocab.SubDiskFull, Path: "/data/small/full.db.wal"},
	"env-read-only-fs-rw-open":         {Kind: vocab.Environment, Sub: vocab.SubReadOnlyFS, Path: "/data/ro/a.db"},
	"env-out-of-memory":                {Kind: vocab.Environment, Sub: vocab.SubOutOfMemory},
}

// storageFacts are the storage events, per reading release: 1.5.6 reads up to 68 and was given a
// 2.0.0 file (69); 1.4.5 reads up to 67 and was given a file made with v1.5.0 compatibility (68).
var storageFacts = map[string]facts{
	"1.5.6": {Kind: vocab.StorageFormat, Sub: vocab.SubTooNew, Storage: 69, ReaderMax: 68},
	"1.4.5": {Kind: vocab.StorageFormat, Sub: vocab.SubTooNew, Storage: 68, ReaderMax: 67},
}

// recorded is one release's fixture file: the messages that release really gave, as
// testdata/capture recorded them, one txtar section per event.
type recorded struct {
	release, file string
	ar            *txtar.Archive
}

// recordedReleases reads every release's fixture file (named after the release, and labelled
// with it in its comment).
func recordedReleases(t *testing.T) []recorded {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "messages", "*.txtar"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 3, "fixtures of 1.4.5, 1.5.6 and 2.0.0")
	var out []recorded
	for _, f := range files {
		rel := strings.TrimSuffix(filepath.Base(f), ".txtar")
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		ar := txtar.Parse(b)
		require.Contains(t, string(ar.Comment), "DuckDB v"+rel, "%s is labelled with its release", f)
		out = append(out, recorded{release: rel, file: f, ar: ar})
	}
	return out
}

// TestRealMessagesOfEveryRelease classifies the messages each release really gave (recorded by
// testdata/capture, one txtar file per release) and checks their facts: every release's message
// of one event classifies the same.
func TestRealMessagesOfEveryRelease(t *testing.T) {
	for _, r := range recordedReleases(t) {
		rel, f, ar := r.release, r.file, r.ar
		seen := map[string]bool{}
		for _, file := range ar.Files {
			name, msg := file.Name, strings.TrimRight(string(file.Data), "\n")
			seen[name] = true
			t.Run(rel+"/"+name, func(t *testing.T) {
				want, ok := eventFacts[name]
				if strings.HasPrefix(name, "storage-") {
					want, ok = storageFacts[rel]
				}
				require.True(t, ok, "no facts for event %s", name)
				o := outcome.ClassifyText(msg)
				assert.Equal(t, want, factsOf(o), msg)
				assert.NotContains(t, o.Message, `\0`)
				assert.NotContains(t, o.Message, "\x00")
				assert.NotContains(t, o.Message, `""`, "names are quoted once")
			})
		}
		var missing []string
		for name := range eventFacts {
			if !seen[name] && !(strings.HasPrefix(name, "env-disk") || strings.HasPrefix(name, "env-read-only")) {
				missing = append(missing, name)
			}
		}
		sort.Strings(missing)
		assert.Empty(t, missing, "%s records every event", f)
	}
}
