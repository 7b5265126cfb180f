package proc_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestProcIsALeaf keeps proc importable from sim as well as harness: it depends on no other
// lockbench package but internal/crash, which imports none.
func TestProcIsALeaf(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	require.NoError(t, err)
	for _, dep := range strings.Fields(string(out)) {
		require.False(t, strings.HasPrefix(dep, "lockbench/") && dep != "lockbench/internal/proc" && dep != "lockbench/internal/crash", "proc depends on %s", dep)
	}
}
