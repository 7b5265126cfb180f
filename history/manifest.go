package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"lockbench/criteria"
)

// ReadManifest reads dir/manifest.json. The manifest's targets are checked (a known metric,
// both selectors, a reduction below 1) and unnamed ones named target-N. A manifest older than
// schema version 3 has its targets and expectations only in its raw Scenario: they are read
// from there, here and nowhere else. Every error is an *InputError naming the file.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	path := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if err := checkDir(dir, runDirWanted); err != nil {
				return m, err
			}
			return m, notRunDirf("%s is not a run directory: it has no %s", dir, ManifestFile)
		}
		return m, inputErr("read manifest: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, inputErr("%s: %w", path, err)
	}
	if m.SchemaVersion < 3 {
		if err := m.typesFromScenario(); err != nil {
			return m, inputErr("%s: scenario: %w", path, err)
		}
	}
	if m.Design != nil {
		if err := m.Design.Validate(); err != nil {
			return m, inputErr("%s: %w", path, err)
		}
	}
	for i := range m.Targets {
		if m.Targets[i].Name == "" {
			m.Targets[i].Name = fmt.Sprintf("target-%d", i+1)
		}
		if err := m.Targets[i].Validate(); err != nil {
			return m, inputErr("%s: %w", path, err)
		}
	}
	return m, nil
}

// typesFromScenario reads the targets and expectations of a manifest written before they had
// fields of their own from its raw scenario (whose shape is scenarios.Scenario.Effective's). A
// target there may lack its cell lists (manifests written before they were recorded): its
// selectors are then matched against the cells at hand.
func (m *Manifest) typesFromScenario() error {
	raw := bytes.TrimSpace(m.Scenario)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var sc struct {
		Targets      []criteria.ResolvedTarget `json:"targets"`
		Expectations []criteria.Expectation    `json:"expectations"`
	}
	if err := json.Unmarshal(raw, &sc); err != nil {
		return err
	}
	m.Targets, m.Expectations = sc.Targets, sc.Expectations
	return nil
}

// ScenarioName returns the name of the run's scenario, read from its raw Scenario ("" when it
// has none).
func (m Manifest) ScenarioName() string {
	var s struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(m.Scenario, &s)
	return s.Name
}

// CellOrder returns the keys of the scenario's cells in matrix order, read from the raw
// Scenario (nil when it lists none), so that readers can list cells as the scenario does rather
// than in the shuffled order trials ran in.
func (m Manifest) CellOrder() []string {
	var s struct {
		Cells []struct {
			Key string `json:"key"`
		} `json:"cells"`
	}
	if len(m.Scenario) == 0 || json.Unmarshal(m.Scenario, &s) != nil {
		return nil
	}
	var keys []string
	for _, c := range s.Cells {
		if c.Key != "" {
			keys = append(keys, c.Key)
		}
	}
	return keys
}
