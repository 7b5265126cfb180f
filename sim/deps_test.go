package sim

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSimImportsNothingUnderHarness keeps the one-way architecture: the workload does not depend
// on the harness that drives it (both use internal/outcome for DuckDB's errors).
func TestSimImportsNothingUnderHarness(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	require.NoError(t, err)
	for _, dep := range strings.Fields(string(out)) {
		require.False(t, strings.HasPrefix(dep, "lockbench/harness"), "sim depends on %s", dep)
		require.False(t, strings.HasPrefix(dep, "lockbench/reports"), "sim depends on %s", dep)
		require.False(t, strings.HasPrefix(dep, "lockbench/scenarios"), "sim depends on %s", dep)
	}
}
