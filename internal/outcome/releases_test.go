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

	"lockbench/history"
	"lockbench/internal/outcome"
)

// facts are what lockbench's classification of a DuckDB message must say, whatever the
// release's wording.
type facts struct {
	Kind, Sub, Path, HolderExe, Role string
	HolderPID                        int
	ReadOnly                         bool
	Storage, ReaderMax               int
}

func factsOf(o history.Outcome) facts {
	return facts{Kind: o.Kind, Sub: o.Sub, Path: o.Path, HolderExe: o.HolderExe, Role: o.HolderRole,
		HolderPID: o.HolderPID, ReadOnly: o.ReadOnlyWouldWork, Storage: o.StorageVersion, ReaderMax: o.ReaderMaxStorage}
}

// eventFacts are the facts of every event testdata/capture records. The storage events hold the
// reading release's own limit, so they are checked per release.
var eventFacts = map[string]facts{
	"lock-writer-holds-rw-open":        {Kind: history.LockConflict, Sub: outcome.SubDatabase, Path: "/data/lock-writer-holds-rw-open.db", HolderExe: "/usr/bin/holder", HolderPID: 4242},
	"lock-readers-hold-rw-open":        {Kind: history.LockConflict, Sub: outcome.SubDatabase, Path: "/data/lock-readers-hold-rw-open.db", HolderExe: "/usr/bin/holder", HolderPID: 4242, ReadOnly: true},
	"lock-writer-holds-ro-open":        {Kind: history.LockConflict, Sub: outcome.SubDatabase, Path: "/data/lock-writer-holds-ro-open.db", HolderExe: "/usr/bin/holder", HolderPID: 4242},
	"txn-update":                       {Kind: history.TxnConflict, Sub: outcome.SubUpdate},
	"txn-delete":                       {Kind: history.TxnConflict, Sub: outcome.SubDelete},
	"txn-aborted":                      {Kind: history.TxnConflict, Sub: outcome.SubAborted},
	"txn-catalog-create":               {Kind: history.TxnConflict, Sub: outcome.SubCatalog},
	"txn-dropped":                      {Kind: history.TxnConflict, Sub: outcome.SubDropped},
	"txn-altered":                      {Kind: history.TxnConflict, Sub: outcome.SubAltered},
	"txn-checkpoint":                   {Kind: history.TxnConflict, Sub: outcome.SubCheckpoint},
	"constraint-primary-key":           {Kind: history.Constraint},
	"constraint-primary-key-at-commit": {Kind: history.Constraint},
	"handle-conflict-attach-self":      {Kind: history.Error, Sub: outcome.SubHandleConflict, Path: "/data/handle.db"},
	"bad-path-directory":               {Kind: history.Error, Sub: outcome.SubBadPath, Path: "/data/adir"},
	"bad-path-not-duckdb":              {Kind: history.Error, Sub: outcome.SubBadPath, Path: "/data/text.db"},
	"bad-path-missing-read-only":       {Kind: history.Error, Sub: outcome.SubBadPath, Path: "/data/missing.db"},
	"bad-path-missing-parent":          {Kind: history.Error, Sub: outcome.SubBadPath, Path: "/data/nodir/x.db"},
}

// storageFacts are the storage events, per reading release: 1.5.6 reads up to 68 and was given a
// 2.0.0 file (69); 1.4.5 reads up to 67 and was given a file made with v1.5.0 compatibility (68).
var storageFacts = map[string]facts{
	"1.5.6": {Kind: history.StorageFormat, Sub: outcome.SubTooNew, Storage: 69, ReaderMax: 68},
	"1.4.5": {Kind: history.StorageFormat, Sub: outcome.SubTooNew, Storage: 68, ReaderMax: 67},
}

// TestRealMessagesOfEveryRelease classifies the messages each release really gave (recorded by
// testdata/capture, one txtar file per release) and checks their facts: every release's message
// of one event classifies the same.
func TestRealMessagesOfEveryRelease(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "messages", "*.txtar"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 3, "fixtures of 1.4.5, 1.5.6 and 2.0.0")
	for _, f := range files {
		rel := strings.TrimSuffix(filepath.Base(f), ".txtar")
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		ar := txtar.Parse(b)
		require.Contains(t, string(ar.Comment), "DuckDB v"+rel, "%s is labelled with its release", f)
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
			if !seen[name] {
				missing = append(missing, name)
			}
		}
		sort.Strings(missing)
		assert.Empty(t, missing, "%s records every event", f)
	}
}
