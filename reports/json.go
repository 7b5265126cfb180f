package reports

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes the report as indented JSON: schema_version, the runs, the settings, every
// cell with its statistics, warnings and raw per-trial values, the versus comparisons, target
// and expectation verdicts with their evidence, and the run verdict.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("json report: %w", err)
	}
	return nil
}

// WriteCompareJSON writes a comparison as indented JSON with schema_version.
func WriteCompareJSON(w io.Writer, c *Comparison) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("json comparison: %w", err)
	}
	return nil
}
