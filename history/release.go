package history

import (
	"cmp"
	"strings"

	"lockbench/release"
	"lockbench/vocab"
)

// ReleaseName returns a DuckDB version as the name of its release: "2.0.0" for "v2.0.0" (as
// Versions.DuckDB records it) or "2.0.0" (as trials do). It returns "" for an empty or
// unknown version and for the duckdb axis's default value, which name no release.
func ReleaseName(v string) string {
	v = strings.TrimSpace(v)
	if v == "" || v == "unknown" || v == vocab.DefaultValue {
		return ""
	}
	if r, ok := release.ByVersion(v); ok {
		return r.Name
	}
	return strings.TrimPrefix(v, "v")
}

// WorkloadRelease returns the DuckDB release of the process that ran the trial's workload, as
// a release name: the one the trial recorded; for a record written before trials recorded it,
// the one its cell's duckdb axis names (from its parameters, else its key), else the release of
// the manifest's Versions (the runner's own, which then ran every trial).
func (t Trial) WorkloadRelease(m Manifest) string {
	axis := t.Params["duckdb"]
	if len(t.Params) == 0 {
		axis = vocab.ParseCellKey(t.Cell)["duckdb"]
	}
	return cmp.Or(ReleaseName(t.DuckDB), ReleaseName(axis), ReleaseName(m.Versions.DuckDB))
}
