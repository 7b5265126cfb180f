package harness

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"lockbench/history"
	"lockbench/scenarios"
	"lockbench/vocab"
)

// WorkloadIdentity returns what defines the work of the given cells of s: the workload's digest
// (Workload.Digest: the embedded SQL models and seeds for sim, the command template for exec)
// and, per cell, a digest of that and the cell's expanded parameters. Anything that changes the
// work a cell does changes its digest; what only changes how it is judged (its expected
// outcome, the scenario's targets, timeout and trial counts) does not.
func WorkloadIdentity(s *scenarios.Scenario, cells []scenarios.Cell) (*history.WorkloadIdentity, error) {
	w, err := workloadOf(vocab.WorkloadKind(s.Workload.Kind))
	if err != nil {
		return nil, err
	}
	id := &history.WorkloadIdentity{Kind: string(w.Kind()), Digest: w.Digest(s.Workload), Cells: make(map[string]string, len(cells))}
	for _, c := range cells {
		c.Expect = "" // what the cell must show is not what it does
		b, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("workload identity of %s: %w", c.Key, err)
		}
		h := sha256.New()
		fmt.Fprintf(h, "%s\n%s\n", id.Kind, id.Digest)
		h.Write(b)
		id.Cells[c.Key] = hex.EncodeToString(h.Sum(nil))[:16]
	}
	return id, nil
}
