package verdict

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/criteria"
	"lockbench/stats/sequential"
	"lockbench/vocab"
)

// seqCell returns a cell whose trials have the given numbers and overheads, in that (recorded)
// order; a value of 0 stands for a trial that ended in an error.
func seqCell(key string, params map[string]string, trials []int, overhead []float64) Cell {
	c := Cell{Key: key, Params: params, Samples: map[vocab.Metric][]float64{}}
	for i, n := range trials {
		tr := Trial{Run: "r", Trial: n, Outcome: vocab.OK}
		if overhead[i] == 0 {
			tr.Outcome = vocab.Error
		} else {
			tr.Metrics = map[vocab.Metric]float64{vocab.Overhead: overhead[i]}
			c.Samples[vocab.Overhead] = append(c.Samples[vocab.Overhead], overhead[i])
		}
		c.Trials = append(c.Trials, tr)
	}
	return c
}

var (
	ppm      = map[string]string{"mode": "process-per-model"}
	threaded = map[string]string{"mode": "threaded"}
)

// A candidate exactly ten times faster than the baseline in every trial pair: the reduction is
// 90% whatever the spread, and the first look decides it.
func TestJudgeTargetSequentialPassesAtTheFirstLook(t *testing.T) {
	d := sequential.DefaultDesign()
	cells := []Cell{
		seqCell("mode=process-per-model", ppm, []int{0, 1, 2}, []float64{10, 10.5, 9.5}),
		seqCell("mode=threaded", threaded, []int{0, 1, 2}, []float64{1, 1.05, 0.95}),
	}
	tr := JudgeTargetSequential(overheadTarget(0.65), cells, d)
	require.Equal(t, Pass, tr.Verdict, tr.Reason)
	require.NotNil(t, tr.Sequential)
	assert.Equal(t, 1, tr.Sequential.Look)
	assert.Equal(t, 3, tr.Sequential.TrialsBaseline)
	assert.Equal(t, 3, tr.Sequential.TrialsCandidate)
	assert.InDelta(t, 0.9, tr.Achieved, 1e-12, "1 − exp(mean log ratio) with every ratio 0.1")
	// Look 1 spends 2.5%·ln(1 + (e − 1)·0.3) of the one-sided budget (docs/sequential-verdicts.md).
	assert.InDelta(t, 1-2*0.025*math.Log(1+(math.E-1)*0.3), tr.AchievedCI.Level, 1e-12)
	assert.Less(t, tr.AchievedCI.Lo, 0.9)
	assert.Greater(t, tr.AchievedCI.Hi, 0.9)
	assert.GreaterOrEqual(t, tr.AchievedCI.Lo, 0.65)
	assert.Equal(t, 10.0, tr.BaselineMedian)
	assert.Contains(t, tr.Decided(), "sequential: decided at look 1 of 3 on the first 3 baseline and 3 candidate ok trials, 97.92% interval [")
	assert.Contains(t, tr.Evidence(), "97.92% CI")
}

// Look k uses the first n_k ok trials of each side in trial order, not in the order they were
// recorded, and skips trials that were not ok.
func TestJudgeTargetSequentialUsesTrialOrder(t *testing.T) {
	d := sequential.DefaultDesign()
	// Trial 4 of the baseline is recorded first and is wild; trial 1 failed. The first three ok
	// trials are 0, 2 and 3.
	base := seqCell("mode=process-per-model", ppm, []int{4, 0, 1, 2, 3}, []float64{1000, 10, 0, 10.5, 9.5})
	cand := seqCell("mode=threaded", threaded, []int{0, 1, 2}, []float64{1, 1.05, 0.95})
	tr := JudgeTargetSequential(overheadTarget(0.65), []Cell{base, cand}, d)
	require.Equal(t, Pass, tr.Verdict, tr.Reason)
	assert.InDelta(t, 0.9, tr.Achieved, 1e-12)
	assert.Equal(t, 4, tr.BaselineN, "the medians and counts describe every ok trial")

	// Pooled sides interleave their cells by trial number: x=1 #0, x=2 #0, x=1 #1.
	a := seqCell("mode=process-per-model/x=1", map[string]string{"mode": "process-per-model", "x": "1"}, []int{0, 1, 2}, []float64{10, 10.5, 1000})
	b := seqCell("mode=process-per-model/x=2", map[string]string{"mode": "process-per-model", "x": "2"}, []int{0, 1}, []float64{9.5, 2000})
	cand = seqCell("mode=threaded", threaded, []int{0, 1, 2}, []float64{1, 0.95, 1.05})
	tr = JudgeTargetSequential(overheadTarget(0.65), []Cell{a, b, cand}, d)
	require.Equal(t, Pass, tr.Verdict, tr.Reason)
	assert.InDelta(t, 0.9, tr.Achieved, 1e-12, "10, 9.5 and 10.5 against 1, 0.95 and 1.05")
}

func TestJudgeTargetSequentialUndecided(t *testing.T) {
	d := sequential.DefaultDesign()
	cells := []Cell{
		seqCell("mode=process-per-model", ppm, []int{0, 1}, []float64{10, 10.5}),
		seqCell("mode=threaded", threaded, []int{0, 1, 2}, []float64{1, 1.05, 0.95}),
	}
	tr := JudgeTargetSequential(overheadTarget(0.65), cells, d)
	assert.Equal(t, Unknown, tr.Verdict)
	assert.Equal(t, 3, tr.Sequential.Next)
	assert.Equal(t, 0, tr.Sequential.Look)
	assert.Nil(t, tr.AchievedCI)
	assert.Contains(t, tr.Decided(), "no look reached yet (the first needs 3 ok trials per side)")

	// A reduction right at the target with noise: undecided at look 1, the next look needs 5.
	cells = []Cell{
		seqCell("mode=process-per-model", ppm, []int{0, 1, 2}, []float64{10, 12, 8}),
		seqCell("mode=threaded", threaded, []int{0, 1, 2}, []float64{3.5, 3, 4}),
	}
	tr = JudgeTargetSequential(overheadTarget(0.65), cells, d)
	assert.Equal(t, Unknown, tr.Verdict, tr.Reason)
	assert.Equal(t, 5, tr.Sequential.Next)
	assert.Contains(t, tr.Reason, "straddles the target")

	tr = JudgeTargetSequential(overheadTarget(0.65), cells[1:], d)
	assert.Equal(t, Unknown, tr.Verdict)
	assert.Nil(t, tr.Sequential)
	assert.Contains(t, tr.Reason, "no cell matches the baseline selector")
}

func TestJudgeExpectationSequential(t *testing.T) {
	d := sequential.DefaultDesign()
	const maxRate = 0.708 // the first look's bound, 1 − 0.025^(1/3), rounded up
	lock := Trial{Outcome: vocab.LockConflict, HolderRole: vocab.RoleCompetitor, Expected: "lock-conflict"}
	stray := Trial{Outcome: vocab.LockConflict, HolderRole: vocab.RoleOther, Expected: "lock-conflict"}
	ok := Trial{Outcome: vocab.OK, Expected: "lock-conflict"}
	cell := func(key string, trials ...Trial) Cell {
		for i := range trials {
			trials[i].Run, trials[i].Trial = "r", i
		}
		return Cell{Key: key, Params: vocab.ParseCellKey(key), Trials: trials}
	}
	tests := []struct {
		name     string
		cell     Cell
		want     Verdict
		look     int
		trials   int
		mismatch int
		next     int
	}{
		{"three matches pass at look 1", cell("c=a", lock, lock, lock), Pass, 1, 3, 0, 0},
		{"more trials than the look", cell("c=a", lock, lock, lock, lock, lock), Pass, 1, 3, 0, 0},
		{"two matches: the first look needs 3", cell("c=a", lock, lock), Unknown, 0, 0, 0, 3},
		{"a mismatch fails at once", cell("c=a", ok), Fail, 1, 1, 1, 0},
		{"a stray holder's conflict is a mismatch", cell("c=a", lock, stray), Fail, 1, 2, 2, 0},
		{"a mismatch after the look that passed still fails", cell("c=a", lock, lock, lock, lock, ok), Fail, 2, 5, 5, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			er := JudgeCellSequential(tc.cell, d, maxRate)
			require.Equal(t, tc.want, er.Verdict, er.Reason)
			require.NotNil(t, er.Sequential)
			assert.Equal(t, tc.look, er.Sequential.Look)
			assert.Equal(t, tc.trials, er.Sequential.Trials)
			assert.Equal(t, tc.mismatch, er.Sequential.Mismatch)
			assert.Equal(t, tc.next, er.Sequential.Next)
			assert.True(t, er.Implicit)
			assert.NotEmpty(t, er.Decided())
			if tc.want == Fail {
				assert.NotEmpty(t, er.Mismatches)
			}
		})
	}
	// A group passes when each of its cells does, and is unknown while one has too few trials.
	e := criteria.Expectation{Cells: criteria.Selector{"c": "a|b"}, Outcome: "lock-conflict"}
	e.Cells = criteria.Selector{"mode": "x"}
	cells := []Cell{cell("mode=x/c=a", lock, lock, lock), cell("mode=x/c=b", lock, lock)}
	er := JudgeExpectationSequential(e, cells, d, maxRate)
	assert.Equal(t, Unknown, er.Verdict)
	assert.Equal(t, "mode=x/c=b: 2 trials matched so far; a pass needs 3 matching trials (the look at 3) to show a mismatch rate of at most 70.8%", er.Reason)
	cells[1] = cell("mode=x/c=b", lock, lock, lock)
	er = JudgeExpectationSequential(e, cells, d, maxRate)
	assert.Equal(t, Pass, er.Verdict, er.Reason)
	assert.Equal(t, "all 6 trials had the expected outcome", er.Reason)
	assert.Contains(t, er.Decided(), "decided at look 1 of 3 on 3 trials per cell: mismatch rate at most 70.8% at 97.5% confidence")
	cells[0] = cell("mode=x/c=a", lock, ok, lock)
	er = JudgeExpectationSequential(e, cells, d, maxRate)
	assert.Equal(t, Fail, er.Verdict)
	assert.Equal(t, "1 of 6 trials differ from the expectation", er.Reason)
	assert.Equal(t, 2, er.Sequential.Mismatch)

	// A rate no planned look can show is an error, said as an unknown verdict.
	er = JudgeCellSequential(cell("c=a", lock, lock, lock), d, 0.1)
	assert.Equal(t, Unknown, er.Verdict)
	assert.Contains(t, er.Reason, "needs 36 matching trials")
}
