package sim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// OperatorTime is one operator of a model's DuckDB query profile.
type OperatorTime struct {
	Step     string  `json:"step"` // model.year, as in the profile's file name
	Operator string  `json:"operator"`
	Seconds  float64 `json:"seconds"`
	Rows     int64   `json:"rows"`
	// Detail is DuckDB's own description of the operator (join condition, aggregates,
	// projections), shortened.
	Detail string `json:"detail,omitempty"`
}

// profileNode is the part of DuckDB's JSON profile that ReadProfiles reads. DuckDB 2.0 writes
// the operator tree under "operator" with type, timing and intermediate_rows; DuckDB 1.x wrote
// the tree under "children" with operator_type, operator_timing and operator_cardinality. Both
// are read.
type profileNode struct {
	Type                string          `json:"type"`
	Timing              float64         `json:"timing"`
	IntermediateRows    int64           `json:"intermediate_rows"`
	OperatorType        string          `json:"operator_type"`
	OperatorTiming      float64         `json:"operator_timing"`
	OperatorCardinality int64           `json:"operator_cardinality"`
	ExtraInfo           json.RawMessage `json:"extra_info"`
	Operator            []profileNode   `json:"operator"`
	Children            []profileNode   `json:"children"`
}

// operator returns the node's operator type, seconds and output rows in either format.
func (n profileNode) operator() (string, float64, int64) {
	if n.Type != "" {
		return n.Type, n.Timing, n.IntermediateRows
	}
	return n.OperatorType, n.OperatorTiming, n.OperatorCardinality
}

// ReadProfiles reads every JSON query profile in dir (written by a run with ProfileDir) and
// returns all their operators, slowest first.
func ReadProfiles(dir string) ([]OperatorTime, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []OperatorTime
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var root profileNode
		if err := json.Unmarshal(b, &root); err != nil {
			return nil, fmt.Errorf("profile %s: %w", f, err)
		}
		step := strings.TrimSuffix(filepath.Base(f), ".json")
		var walk func(n profileNode)
		walk = func(n profileNode) {
			if typ, secs, rows := n.operator(); typ != "" {
				out = append(out, OperatorTime{Step: step, Operator: typ, Seconds: secs, Rows: rows, Detail: describeExtra(n.ExtraInfo)})
			}
			for _, c := range n.Operator {
				walk(c)
			}
			for _, c := range n.Children {
				walk(c)
			}
		}
		walk(root)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seconds > out[j].Seconds })
	return out, nil
}

// describeExtra flattens an operator's extra_info object into one short line.
func describeExtra(raw json.RawMessage) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		v := fmt.Sprint(m[k])
		if list, ok := m[k].([]any); ok {
			var s []string
			for _, e := range list {
				s = append(s, fmt.Sprint(e))
			}
			v = strings.Join(s, ", ")
		}
		parts = append(parts, k+": "+strings.Join(strings.Fields(v), " "))
	}
	line := strings.Join(parts, "; ")
	if len(line) > 120 {
		line = line[:117] + "..."
	}
	return line
}
