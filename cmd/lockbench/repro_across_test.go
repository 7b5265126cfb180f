package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReproAcrossReleases runs two catalog cases on DuckDB 1.5.6 (a lockbench binary built from
// this source, as the command builds it) and on the release this binary links, and one upgrade
// case, and reads the JSON: every case ran on both releases and passed.
func TestReproAcrossReleases(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a DuckDB 1.5.6 lockbench: skipped by -short")
	}
	code, out, stderr := lockbench(t, "repro", "--json", "--duckdb", "1.5.6,2.0.0", "rw-vs-rw", "readers-coexist", "upgrade-lock-hides-format")
	require.Equal(t, 0, code, "stderr:\n%s\nstdout:\n%s", stderr, out)
	var a struct {
		Releases  []string `json:"releases"`
		ByRelease map[string][]struct {
			Name     string `json:"name"`
			Verdict  string `json:"verdict"`
			Observed struct {
				HolderExe string `json:"holder_exe"`
			} `json:"observed"`
		} `json:"by_release"`
		Upgrade []struct {
			Name     string   `json:"name"`
			Verdict  string   `json:"verdict"`
			Releases []string `json:"releases"`
		} `json:"upgrade"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &a), out)
	assert.Equal(t, []string{"1.5.6", "2.0.0"}, a.Releases)
	for _, rel := range a.Releases {
		require.Len(t, a.ByRelease[rel], 2, rel)
		for _, r := range a.ByRelease[rel] {
			assert.Equal(t, "pass", r.Verdict, "%s on %s", r.Name, rel)
			if r.Name == "rw-vs-rw" && rel == "1.5.6" {
				assert.Contains(t, r.Observed.HolderExe, "duckdb-1.5.6", "the holder of the 1.5.6 run is the 1.5.6 binary")
			}
		}
	}
	require.Len(t, a.Upgrade, 1)
	assert.Equal(t, "pass", a.Upgrade[0].Verdict)
	assert.Equal(t, []string{"1.5.6", "2.0.0"}, a.Upgrade[0].Releases)
}
