package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckScenarioParsesBack(t *testing.T) {
	tests := []struct {
		name    string
		opts    CheckOptions
		modes   []string
		targets int
		trials  int
	}{
		{"default", CheckOptions{Threads: 4, Trials: 10, Employees: 2000, Years: []int{2025, 2026, 2027}},
			[]string{"sequential", "threaded", "process-per-model", "parallel-processes"}, 1, 10},
		{"force-sequential", CheckOptions{ForceSequential: true, Threads: 4, Trials: 10, Employees: 2000, Years: []int{2025}},
			[]string{"sequential", "parallel-processes"}, 0, 10},
		{"no-compare", CheckOptions{NoCompare: true, Threads: 8, Trials: 10, Employees: 300, Years: []int{2024, 2025}},
			[]string{"sequential", "threaded", "parallel-processes"}, 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Check(tc.opts).Marshal()
			require.NoError(t, err)
			s, err := Parse("check", src)
			require.NoError(t, err, "%s", src)
			var modes []string
			for _, c := range s.Cells() {
				modes = append(modes, string(c.Mode))
				assert.Equal(t, tc.opts.Employees, c.Employees)
				assert.Equal(t, tc.opts.Years, c.Years)
				if c.Mode == "parallel-processes" {
					assert.Equal(t, "lock-conflict", c.Expect, "the negative control")
				} else {
					assert.Equal(t, "ok", c.Expect)
				}
			}
			assert.ElementsMatch(t, tc.modes, modes)
			assert.Len(t, s.Targets, tc.targets)
			assert.Equal(t, tc.trials, s.Trials)
		})
	}
}
