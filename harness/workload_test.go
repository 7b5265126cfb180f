package harness

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/harness/competitor"
	"lockbench/scenarios"
	"lockbench/sim"
	"lockbench/trace"
	"lockbench/vocab"
)

func TestWorkloadRegistry(t *testing.T) {
	tests := []struct {
		kind       vocab.WorkloadKind
		want       vocab.WorkloadKind // "" when the kind is not a workload
		tables     []string
		checksData bool
	}{
		{kind: vocab.WorkloadSim, want: vocab.WorkloadSim, tables: sim.ContendedTables(), checksData: true},
		{kind: vocab.WorkloadExec, want: vocab.WorkloadExec},
		{kind: "", want: vocab.WorkloadSim, tables: sim.ContendedTables(), checksData: true},
		{kind: "python"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			w, err := workloadOf(tt.kind)
			if tt.want == "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), `unknown workload "python"`)
				assert.Contains(t, err.Error(), "exec, sim", "the error lists what there is")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, w.Kind())
			assert.Equal(t, tt.tables, w.Tables())
			_, checks := w.(DataChecker)
			assert.Equal(t, tt.checksData, checks)
		})
	}
	assert.Len(t, workloads, 2, "a new workload kind needs a row above")
	for kind, w := range workloads {
		assert.Equal(t, kind, w.Kind(), "registered under its own kind")
	}
	assert.Panics(t, func() { registry(simWorkload{}, execWorkload{}, simWorkload{}) }, "a kind registered twice")
}

// TestWorkloadPrepare checks the per-trial part of a spec each workload adds: the simulation
// adds nothing, an exec workload its expanded command and, unless the cell names one, the
// storage version every DuckDB since 1.0 reads.
func TestWorkloadPrepare(t *testing.T) {
	const src = `
name: p
workload: {kind: exec, command: 'run --threads {threads} --db {db}'}
defaults: {threads: 3}
matrix:
  storage-version: [default, v1.2.0]
`
	s := parse(t, src)
	dir := filepath.Join(t.TempDir(), "trial dir")
	db := "'" + filepath.Join(dir, DBName) + "'" // the space needs quoting
	want := map[string]string{vocab.DefaultValue: ExecStorageVersion, "v1.2.0": "v1.2.0"}
	cells := s.Cells()
	require.Len(t, cells, 2)
	for _, c := range cells {
		sl := scenarios.Slot{Cell: c, Trial: 1}
		spec := trialSpec(s, execWorkload{}, sl, dir)
		assert.Equal(t, vocab.WorkloadExec, spec.Workload)
		assert.Equal(t, "run --threads 3 --db "+db, spec.Command, c.Key)
		require.Contains(t, want, c.StorageVersion)
		assert.Equal(t, want[c.StorageVersion], spec.StorageVersion, c.Key)

		simSpec := trialSpec(s, simWorkload{}, sl, dir)
		assert.Equal(t, vocab.WorkloadSim, simSpec.Workload)
		assert.Empty(t, simSpec.Command)
		if c.StorageVersion == vocab.DefaultValue {
			assert.Empty(t, simSpec.StorageVersion, "DuckDB's own default")
		} else {
			assert.Equal(t, c.StorageVersion, simSpec.StorageVersion)
		}
	}
}

// TestTrialFinishIsTheSameForEveryWorkload runs real trials of both workloads and checks that
// what happens around the workload is recorded the same way: a lock holder is named with its
// role (the injected competitor, or one of the workload's own workers), the competitor's life
// is a span on the timeline and its events are kept, and only a workload that checks its data
// gets a fingerprint.
func TestTrialFinishIsTheSameForEveryWorkload(t *testing.T) {
	// holdCommand is an exec workload that opens the trial's file read-write, as a user's
	// pipeline would, and fails with DuckDB's own error when somebody holds it.
	holdCommand := fmt.Sprintf("exec env %s=hold '%s' --for=1ms \"$LOCKBENCH_DB\"", roleEnv, self())
	// idleCommand never opens the file.
	idleCommand := `printf '{"kind":"model","name":"m","worker":0,"start_s":0,"end_s":0.001}\n' > "$LOCKBENCH_TRACE"`
	writer := competitor.Spec{Kind: vocab.WriterProcess, Period: time.Hour}
	tests := []struct {
		name       string
		spec       TrialSpec
		kind       vocab.Kind
		role       vocab.Role // of the holder, when kind is a lock conflict
		competitor bool       // the trial has a competitor span
	}{
		{"sim next to a writer", TrialSpec{Workload: vocab.WorkloadSim, Mode: vocab.Sequential, Competitor: writer},
			vocab.LockConflict, vocab.RoleCompetitor, true},
		{"exec next to a writer", TrialSpec{Workload: vocab.WorkloadExec, Command: holdCommand, Competitor: writer},
			vocab.LockConflict, vocab.RoleCompetitor, true},
		{"exec that leaves the file alone", TrialSpec{Workload: vocab.WorkloadExec, Command: idleCommand, Competitor: writer},
			vocab.OK, "", true},
		{"sim alone", TrialSpec{Workload: vocab.WorkloadSim, Mode: vocab.Sequential},
			vocab.OK, "", false},
		{"sim workers collide", TrialSpec{Workload: vocab.WorkloadSim, Mode: vocab.ParallelProcesses},
			vocab.LockConflict, vocab.RoleWorker, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			spec.Cell, spec.Dir = tt.name, t.TempDir()
			spec.Threads, spec.Coordination, spec.Employees, spec.Years, spec.Seed = 2, true, 100, []int{2025, 2026}, 7
			res := RunTrial(context.Background(), spec, testRoles())
			require.Equal(t, tt.kind, res.Outcome.Kind, "%+v", res.Outcome)

			var pids []int
			for _, e := range res.Events {
				if e.PID > 0 && !slices.Contains(pids, e.PID) {
					pids = append(pids, e.PID)
				}
			}
			var spans []trace.Span
			for _, s := range res.Spans {
				if s.Kind == trace.Competitor {
					spans = append(spans, s)
				}
			}
			if tt.competitor {
				require.Len(t, pids, 1, "the writer's events: %+v", res.Events)
				require.Len(t, spans, 1, "one span for the writer's life")
				assert.Equal(t, fmt.Sprintf("%s pid %d", vocab.WriterProcess, pids[0]), spans[0].Name)
				assert.GreaterOrEqual(t, spans[0].End, spans[0].Start)
				assert.Equal(t, -1, spans[0].Worker)
			} else {
				assert.Empty(t, spans)
			}

			if tt.kind == vocab.LockConflict {
				assert.Equal(t, tt.role, res.Outcome.HolderRole)
				assert.Positive(t, res.Outcome.HolderPID)
				if tt.role == vocab.RoleCompetitor {
					assert.Equal(t, pids[0], res.Outcome.HolderPID, "the holder DuckDB named is the writer")
					assert.NotEmpty(t, res.Outcome.HolderCmdline, "named while it still held the file")
				}
				assert.Empty(t, res.Fingerprint)
				return
			}
			assert.Empty(t, res.Note)
			if spec.Workload == vocab.WorkloadSim {
				fp, err := sim.FingerprintFile(context.Background(), filepath.Join(spec.Dir, DBName))
				require.NoError(t, err)
				assert.Equal(t, fp, res.Fingerprint, "the data check fingerprints the file")
			} else {
				assert.Empty(t, res.Fingerprint, "a command's data is its own")
				assert.Positive(t, res.Summary.SQL, "the command's spans were read")
			}
		})
	}
}

// TestUnknownWorkloadIsAnOutcome checks that a trial of a workload lockbench does not know ends
// as an error outcome that says which workloads there are, before it creates anything.
func TestUnknownWorkloadIsAnOutcome(t *testing.T) {
	dir := t.TempDir()
	res := RunTrial(context.Background(), TrialSpec{Workload: "python", Dir: dir}, testRoles())
	assert.Equal(t, vocab.Error, res.Outcome.Kind)
	assert.True(t, strings.HasPrefix(res.Outcome.Message, `unknown workload "python"`), res.Outcome.Message)
	assert.NoFileExists(t, filepath.Join(dir, DBName))
}
