package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lockbench/vocab"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStrategiesMatrix runs part of the built-in strategies matrix with the README's command,
// narrowed to the in-process strategies and one trial: the real `lockbench cooperate` viewers and
// writer follow the strategy, the expectations hold, and the report has its strategies section.
func TestStrategiesMatrix(t *testing.T) {
	dir := userDir(t)
	code, stdout, stderr := lockbench(t, dir, "bench", "-m", "strategies", "--filter", "strategy=none,publish,read-only-attach", "--trials", "1", "-q")
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	for _, want := range []string{"strategies: what to do about \"Conflicting lock is held\"", "with viewers", "with second writer",
		"recommendations (from these measurements):", "dashboards reading during the run: "} {
		assert.Contains(t, stdout, want)
	}
	trials := latestTrials(t, filepath.Join(dir, "runs"))
	require.Len(t, trials, 7, "publish and read-only-attach × 3 competitor sets, and the reference")
	ref := ""
	for _, tr := range trials {
		if tr.Params["strategy"] == "none" {
			require.Equal(t, vocab.OK, tr.Outcome.Kind, tr.Outcome.Message)
			ref = tr.Fingerprint
		}
	}
	require.NotEmpty(t, ref)
	for _, tr := range trials {
		st, comp := tr.Params["strategy"], tr.Params["competitor"]
		switch {
		case st == "publish":
			require.Equal(t, vocab.OK, tr.Outcome.Kind, "%s: %s", tr.Cell, tr.Outcome.Message)
			assert.Equal(t, ref, tr.Fingerprint, "%s: the published data is the sequential run's", tr.Cell)
			if comp == "viewers" {
				v := tr.Cooperation.Viewers
				require.NotNil(t, v, tr.Cell)
				assert.Equal(t, 3, v.Processes)
				assert.Equal(t, v.Attempts, v.Successes, "%s: nobody refuses a reader of the published copy: %s", tr.Cell, v.FirstError)
			}
		case st == "read-only-attach" && comp == "viewers":
			v := tr.Cooperation.Viewers
			require.NotNil(t, v, tr.Cell)
			if tr.Outcome.Kind == vocab.OK {
				// The pipeline got the file: an ATTACH (READ_ONLY) while it held the file was
				// refused. Only attempts at the run's edges (before its open, after its close)
				// can have worked.
				assert.LessOrEqual(t, v.Successes, 2*v.Processes, tr.Cell)
				assert.Greater(t, v.LockConflicts, v.Successes, "%s: %s", tr.Cell, v.FirstError)
				assert.Zero(t, v.OtherErrors, v.FirstError)
				assert.Contains(t, v.FirstError, "Conflicting lock is held")
			} else {
				// A viewer's read lock was there first.
				require.Equal(t, vocab.LockConflict, tr.Outcome.Kind, tr.Outcome.Message)
				assert.Equal(t, vocab.RoleCompetitor, tr.Outcome.HolderRole)
				assert.Equal(t, filepath.Join(bin, "lockbench"), tr.Outcome.HolderExe, "the holder is `lockbench cooperate`")
			}
		}
	}
	run, err := filepath.EvalSymlinks(filepath.Join(dir, "runs", "latest"))
	require.NoError(t, err)
	for _, f := range []string{"report.md", "report.html", "report.json"} {
		b, err := os.ReadFile(filepath.Join(run, f))
		require.NoError(t, err)
		assert.Contains(t, strings.ToLower(string(b)), "strategies", f)
	}
}
