package sim

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"lockbench/vocab"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadProfilesFormats reads a profile in DuckDB 1.x's layout (the tree under "children",
// operator_type/operator_timing/operator_cardinality) and one in DuckDB 2.0's (the tree under
// "operator", type/timing/intermediate_rows), slowest operator first.
func TestReadProfilesFormats(t *testing.T) {
	for _, tc := range []struct {
		name, json string
	}{
		{"duckdb-1", `{"operator_timing": 0, "children": [
			{"operator_type": "HASH_JOIN", "operator_timing": 0.25, "operator_cardinality": 40,
			 "extra_info": {"Join Type": "INNER"},
			 "children": [{"operator_type": "TABLE_SCAN", "operator_timing": 0.5, "operator_cardinality": 100, "children": []}]}]}`},
		{"duckdb-2", `{"query": {"total_time": 0.8}, "operator": [
			{"type": "HASH_JOIN", "timing": 0.25, "intermediate_rows": 40, "extra_info": {"Join Type": "INNER"},
			 "children": [{"type": "TABLE_SCAN", "timing": 0.5, "intermediate_rows": 100, "extra_info": {}, "children": []}]}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, "int_comp_by_year.2025.json"), []byte(tc.json), 0o644))
			ops, err := ReadProfiles(dir)
			require.NoError(t, err)
			assert.Equal(t, []OperatorTime{
				{Step: "int_comp_by_year.2025", Operator: "TABLE_SCAN", Seconds: 0.5, Rows: 100},
				{Step: "int_comp_by_year.2025", Operator: "HASH_JOIN", Seconds: 0.25, Rows: 40, Detail: "Join Type: INNER"},
			}, ops)
		})
	}
}

// TestProfileOfARealRun profiles a small run with the linked DuckDB and finds every model's
// operators with their time: the format the profiler writes is the one ReadProfiles reads.
func TestProfileOfARealRun(t *testing.T) {
	cfg := smallConfig(t, vocab.Sequential, true)
	cfg.Employees, cfg.Years = 300, []int{2025}
	cfg.ProfileDir = t.TempDir()
	_, err := validRun(context.Background(), cfg)
	require.NoError(t, err)
	ops, err := ReadProfiles(cfg.ProfileDir)
	require.NoError(t, err)
	steps := map[string]bool{}
	total := 0.0
	scanned := int64(0)
	for _, o := range ops {
		steps[o.Step] = true
		total += o.Seconds
		if o.Step == "int_comp_by_year.2025" && o.Operator == "TABLE_SCAN" {
			scanned += o.Rows
		}
	}
	assert.Contains(t, steps, "fct_yearly_events.2025")
	assert.Contains(t, steps, "stg_census")
	assert.Greater(t, total, 0.0, "the operators' times add up to nothing")
	assert.Positive(t, scanned, "int_comp_by_year scans no rows")
}
