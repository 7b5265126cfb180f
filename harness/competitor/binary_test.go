package competitor_test

import (
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/harness/competitor"
	"lockbench/vocab"
)

// started collects what Env.Started is told.
type started struct {
	mu    sync.Mutex
	pids  []int
	roles []string
}

func (s *started) add(pid int, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pids = append(s.pids, pid)
	s.roles = append(s.roles, role)
}

// A spec's Binary runs the competitor's processes (`BINARY hold`, `BINARY cooperate`) in place
// of the environment's launchers, which here name no program at all, and Env.Started hears of
// every process with its role.
func TestBinaryRunsTheCompetitorsProcesses(t *testing.T) {
	bogus := competitor.Launcher{Path: "/nonexistent/lockbench"}
	tests := []struct {
		spec competitor.Spec
		// roleEnv makes the test binary play the role the binary is started in, since Binary
		// carries no environment of its own.
		roleEnv string
		role    string
	}{
		{competitor.Spec{Kind: vocab.Readers, Count: 2}, holdEnv, competitor.RoleHolder},
		{competitor.Spec{Kind: vocab.Viewers, Count: 2}, coopEnv, competitor.RoleViewer},
		{competitor.Spec{Kind: vocab.SecondWriter}, coopEnv, competitor.RoleWriter},
	}
	for _, tt := range tests {
		t.Run(string(tt.spec.Kind), func(t *testing.T) {
			t.Setenv(tt.roleEnv, "1")
			var got started
			env := competitor.Env{DB: newDB(t), Launcher: bogus, Cooperator: bogus, Started: got.add}
			tt.spec.Binary = os.Args[0]
			r := start(t, tt.spec, env)
			want := max(tt.spec.Count, 1)
			require.Len(t, r.PIDs(), want)
			got.mu.Lock()
			defer got.mu.Unlock()
			assert.Equal(t, r.PIDs(), got.pids, "Started names every process, in start order")
			assert.Equal(t, slices.Repeat([]string{tt.role}, want), got.roles)
		})
	}
	// Without a Binary the launchers run, and must exist.
	_, err := competitor.Start(t.Context(), competitor.Spec{Kind: vocab.ReaderProcess}, competitor.Env{DB: newDB(t), Launcher: bogus})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "/nonexistent/lockbench")
}
