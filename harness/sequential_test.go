package harness

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/criteria"
	"lockbench/history"
	"lockbench/reports"
	"lockbench/verdict"
)

// gateScenario is an exec workload whose verdicts are certain, whatever the machine's speed:
// the target compares the sql time, which is the model span the command writes, not a measured
// time. threads=1 (the baseline) reports 100·(1 + step·k) µs and threads=2 (the candidate)
// 10·(1 + step·k) µs, where k counts the cell's trials so far (a file per cell in dir): a
// reduction of 90%, with a small spread when step > 0 and none when step is 0 (then no look can
// form an interval, and the target stays undecided). The spans are far shorter than the
// command, which starts two processes, so the trial's wall time never clips them. threads=3
// fails every trial with an error, which its expectation expects. extra is appended to the
// file.
func gateScenario(dir string, step float64, extra string) string {
	return fmt.Sprintf(`
name: gate
workload:
  kind: exec
  command: |
    if [ {threads} = 3 ]; then echo "refused on purpose" >&2; exit 3; fi
    f=%s/n-{threads}; echo x >> "$f"; k=$(wc -l < "$f")
    if [ {threads} = 1 ]; then base=0.0001; else base=0.00001; fi
    end=$(awk -v b=$base -v k=$k -v s=%g 'BEGIN {{ printf "%%.10f", b*(1+s*k) }}')
    printf '{{"kind":"model","name":"m","worker":0,"start_s":0,"end_s":%%s}}\n' "$end" > "$LOCKBENCH_TRACE"
trials: 10
warmup: 1
defaults:
  mode: threaded
matrix:
  threads: [1, 2, 3]
expect:
  - cells: {threads: 3}
    outcome: error
targets:
  - name: tenfold
    metric: sql
    baseline: {threads: 1}
    candidate: {threads: 2}
    reduction: 0.5
%s`, dir, step, extra)
}

// measuredPerCell counts the recorded measured trials of each cell by its threads value, and
// fails when a slot was recorded twice or a warmup is missing.
func measuredPerCell(t *testing.T, dir string) map[string]int {
	t.Helper()
	trials, err := history.ReadTrials(dir)
	require.NoError(t, err)
	seen := map[string]bool{}
	warm := map[string]int{}
	out := map[string]int{}
	for _, tr := range trials {
		id := slotID(tr.Cell, tr.Trial, tr.Warmup)
		require.False(t, seen[id], "trial %s recorded twice", id)
		seen[id] = true
		if tr.Warmup {
			warm[tr.Params["threads"]]++
			continue
		}
		out[tr.Params["threads"]]++
	}
	for th := range out {
		assert.Equal(t, 1, warm[th], "threads=%s: one warmup", th)
	}
	return out
}

func runGate(t *testing.T, src string, o Options) (*Result, *reports.Report) {
	t.Helper()
	o.Scenario, o.ScenarioYAML, o.Trial = parse(t, src), []byte(src), testTrialCommand()
	if o.RunsDir == "" {
		o.RunsDir = t.TempDir()
	}
	res, err := Execute(context.Background(), o)
	require.NoError(t, err)
	r, err := reports.LoadReport([]string{res.Dir}, "")
	require.NoError(t, err)
	return res, r
}

// TestSequentialRunStopsWhenDecided: the target is clear at the first look (3 trials a side) and
// every expectation passes there, so each cell runs 3 of its 10 trials, and the report says
// where and how each verdict was reached.
func TestSequentialRunStopsWhenDecided(t *testing.T) {
	res, r := runGate(t, gateScenario(t.TempDir(), 0.01, ""), Options{})
	assert.Equal(t, map[string]int{"1": 3, "2": 3, "3": 3}, measuredPerCell(t, res.Dir))
	assert.Equal(t, 12, res.Ran, "3 cells × (1 warmup + 3 trials)")
	assert.Equal(t, 12, res.Planned)
	require.NotNil(t, res.Manifest.Design)
	assert.Equal(t, []int{3, 5, 10}, res.Manifest.Design.Looks)
	assert.Equal(t, criteria.MethodSequential, res.Manifest.Design.Method)

	require.Equal(t, verdict.Pass, r.Verdict)
	tr := r.Targets[0]
	require.Equal(t, verdict.Pass, tr.Verdict, tr.Reason)
	assert.Equal(t, 1, tr.Sequential.Look)
	assert.InDelta(t, 0.9, tr.Achieved, 1e-9, "every candidate value is a tenth of its baseline's")
	for _, e := range r.Expectations {
		assert.Equal(t, verdict.Pass, e.Verdict, "%s: %s", e.Name, e.Reason)
		assert.Equal(t, 1, e.Sequential.Look, e.Name)
	}
}

// TestSequentialRunGoesToMaxWhenUndecided: with no spread, no look can form an interval, so the
// target's cells run to the last look (max-trials 4: looks at 3 and 4); the cell that feeds only
// its expectation still stops at the first look.
func TestSequentialRunGoesToMaxWhenUndecided(t *testing.T) {
	res, r := runGate(t, gateScenario(t.TempDir(), 0, "max-trials: 4\n"), Options{})
	assert.Equal(t, map[string]int{"1": 4, "2": 4, "3": 3}, measuredPerCell(t, res.Dir))
	assert.Equal(t, []int{3, 4}, res.Design.Looks)
	tr := r.Targets[0]
	assert.Equal(t, verdict.Unknown, tr.Verdict)
	assert.Contains(t, tr.Reason, "the last planned look is spent")
	assert.Equal(t, verdict.Unknown, r.Verdict)
}

// TestFixedRunRunsEveryTrial: fixed: true is the behaviour before sequential verdicts, every
// cell's trials.
func TestFixedRunRunsEveryTrial(t *testing.T) {
	res, r := runGate(t, gateScenario(t.TempDir(), 0.01, "fixed: true\n"), Options{})
	assert.Equal(t, map[string]int{"1": 10, "2": 10, "3": 10}, measuredPerCell(t, res.Dir))
	assert.Equal(t, criteria.MethodFixed, res.Manifest.Design.Method)
	assert.Nil(t, r.Design)
	assert.Nil(t, r.Targets[0].Sequential)
	assert.Equal(t, verdict.Pass, r.Targets[0].Verdict, r.Targets[0].Reason)
}

// TestSequentialOneSidedRunGoesToMax: a run that holds one side of a target (here by --filter;
// a shard likewise) cannot decide it, so it runs that side to the last look, for a report that
// merges it with the other side's run to walk every look.
func TestSequentialOneSidedRunGoesToMax(t *testing.T) {
	res, r := runGate(t, gateScenario(t.TempDir(), 0.01, "max-trials: 4\n"), Options{Filter: "threads=1"})
	assert.Equal(t, map[string]int{"1": 4}, measuredPerCell(t, res.Dir))
	assert.Equal(t, verdict.Unknown, r.Targets[0].Verdict)
}

// TestSequentialRunResumes interrupts a sequential run partway (as Ctrl-C does, once a given
// number of trials is recorded: the warmups come first, 3 of them) and resumes it: the resumed
// run takes up the rounds from what is recorded and ends where an uninterrupted run ends, each
// trial recorded once.
func TestSequentialRunResumes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		step  float64
		extra string
		want  map[string]int
		stop  int
	}{
		{"decided at the first look, stopped in its second round", 0.01, "", map[string]int{"1": 3, "2": 3, "3": 3}, 5},
		{"undecided, stopped before the first look", 0, "max-trials: 5\n", map[string]int{"1": 5, "2": 5, "3": 3}, 10},
		{"undecided, stopped after the first look", 0, "max-trials: 5\n", map[string]int{"1": 5, "2": 5, "3": 3}, 13},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runs := t.TempDir()
			src := gateScenario(t.TempDir(), tc.step, tc.extra)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n := 0
			stop := func(history.Trial) {
				if n++; n == tc.stop {
					cancel()
				}
			}
			res, err := Execute(ctx, Options{Scenario: parse(t, src), ScenarioYAML: []byte(src), RunsDir: runs, Trial: testTrialCommand(), OnTrial: stop})
			require.ErrorIs(t, err, ErrInterrupted)
			before, err := history.ReadTrials(res.Dir)
			require.NoError(t, err)
			require.Len(t, before, tc.stop)

			again, err := Execute(context.Background(), Options{Resume: filepath.Join(runs, "latest"), Trial: testTrialCommand()})
			require.NoError(t, err)
			assert.Equal(t, len(before), again.Skipped)
			assert.Equal(t, res.Design, again.Design, "the manifest's design")
			assert.Equal(t, tc.want, measuredPerCell(t, res.Dir))
		})
	}
}

// TestGateLeft checks what the gate says each cell still needs, which the progress ETA prices:
// before anything runs, a warmup and the first look (3 trials) per cell; once only the warmups
// are recorded, the first look; once the run is decided, nothing.
func TestGateLeft(t *testing.T) {
	res, _ := runGate(t, gateScenario(t.TempDir(), 0.01, ""), Options{})
	trials, err := history.ReadTrials(res.Dir)
	require.NoError(t, err)
	var warmups []history.Trial
	for _, tr := range trials {
		if tr.Warmup {
			warmups = append(warmups, tr)
		}
	}
	each := func(n int) map[string]int {
		m := map[string]int{}
		for _, c := range res.Cells {
			m[c.Key] = n
		}
		return m
	}
	for _, tc := range []struct {
		name     string
		recorded []history.Trial
		want     map[string]int
	}{
		{"nothing recorded", nil, each(4)},
		{"the warmups recorded", warmups, each(3)},
		{"every trial recorded", trials, map[string]int{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := newGate(res, res.Design, tc.recorded)
			require.NoError(t, err)
			assert.Equal(t, tc.want, g.left())
		})
	}
}
