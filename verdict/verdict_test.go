package verdict

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/criteria"
	"lockbench/stats"
	"lockbench/vocab"
)

func TestCombineAndExitCodes(t *testing.T) {
	assert.Equal(t, Pass, Combine())
	assert.Equal(t, Pass, Combine(Pass, Pass))
	assert.Equal(t, Unknown, Combine(Pass, Unknown))
	assert.Equal(t, Fail, Combine(Unknown, Fail, Pass))
	assert.Equal(t, 0, int(Pass.ExitCode()))
	assert.Equal(t, 1, int(Fail.ExitCode()))
	assert.Equal(t, 3, int(Unknown.ExitCode()))
}

func TestSettingsDefaults(t *testing.T) {
	assert.Equal(t, Settings{Alpha: 0.05, Confidence: 0.95, Resamples: 2000, MinTrials: 10}, Settings{}.WithDefaults())
	assert.Equal(t, Settings{Alpha: 0.01, Confidence: 0.95, Resamples: 10, MinTrials: 3}, Settings{Alpha: 0.01, Confidence: 1.5, Resamples: 10, MinTrials: 3}.WithDefaults())
}

// around returns n values spread evenly over center·(1 ± spread), in a shuffled order.
func around(n int, center, spread float64, seed uint64) []float64 {
	out := make([]float64, n)
	for i := range out {
		f := 0.0
		if n > 1 {
			f = 2*float64(i)/float64(n-1) - 1
		}
		out[i] = center * (1 + spread*f)
	}
	rand.New(rand.NewPCG(seed, 1)).Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func timedCell(key string, params map[string]string, overhead []float64) Cell {
	return Cell{Key: key, Params: params, Samples: map[vocab.Metric][]float64{vocab.Overhead: overhead}}
}

func overheadTarget(reduction float64) criteria.ResolvedTarget {
	return criteria.ResolvedTarget{Target: criteria.Target{Name: "t", Metric: vocab.Overhead,
		Baseline: criteria.Selector{"mode": "process-per-model"}, Candidate: criteria.Selector{"mode": "threaded"}, Reduction: reduction}}
}

// TestJudgeTarget checks criterion's rule: the reduction's whole interval against the target.
// With baseline values 10 ± 5% and candidate values 3 ± 5%, the reduction is 70%, and its
// interval lies within about 68–72%.
func TestJudgeTarget(t *testing.T) {
	cells := func(nBase, nCand int, base float64) []Cell {
		return []Cell{
			timedCell("mode=process-per-model", map[string]string{"mode": "process-per-model"}, around(nBase, base, 0.05, 1)),
			timedCell("mode=threaded", map[string]string{"mode": "threaded"}, around(nCand, 3, 0.05, 2)),
		}
	}
	tests := []struct {
		name      string
		cells     []Cell
		target    criteria.ResolvedTarget
		want      Verdict
		reasonHas string
	}{
		{"pass: whole interval above", cells(12, 12, 10), overheadTarget(0.65), Pass, "at or above"},
		{"fail: whole interval below", cells(12, 12, 10), overheadTarget(0.75), Fail, "below the target"},
		{"unknown: interval straddles", cells(12, 12, 10), overheadTarget(0.70), Unknown, "straddles"},
		{"unknown: too few baseline trials", cells(9, 12, 10), overheadTarget(0.65), Unknown, "need >= 10 per side, have 9 baseline and 12 candidate"},
		{"unknown: zero baseline", cells(12, 12, 0), overheadTarget(0.65), Unknown, "zero"},
		{"unknown: no candidate cell", cells(12, 12, 10), criteria.ResolvedTarget{Target: criteria.Target{Name: "t", Metric: vocab.Overhead,
			Baseline: criteria.Selector{"mode": "process-per-model"}, Candidate: criteria.Selector{"mode": "sequential"}, Reduction: 0.5}}, Unknown, "no cell matches the candidate selector mode=sequential"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := JudgeTarget(tc.target, tc.cells, Settings{})
			assert.Equal(t, tc.want, tr.Verdict, "%s; %s", tr.Reason, tr.Evidence())
			assert.Contains(t, tr.Reason, tc.reasonHas)
			if tr.AchievedCI != nil {
				assert.LessOrEqual(t, tr.AchievedCI.Lo, tr.Achieved)
				assert.GreaterOrEqual(t, tr.AchievedCI.Hi, tr.Achieved)
			}
		})
	}
	tr := JudgeTarget(overheadTarget(0.65), cells(12, 12, 10), Settings{})
	assert.InDelta(t, 0.7, tr.Achieved, 1e-12, "1 − 3/10")
	assert.Equal(t, 10.0, tr.BaselineMedian)
	require.NotNil(t, tr.P)
	assert.InDelta(t, 2/2704156.0, *tr.P, 1e-12, "fully separated 12 and 12: 2/C(24,12)")
	assert.Regexp(t, `^overhead: baseline median 10.0s \(n=12\) → candidate median 3.00s \(n=12\): reduction 70.0%, 95% CI \[6\d\.\d%, 7\d\.\d%\]; target ≥ 65.0%$`, tr.Evidence())
}

// TestJudgeTargetPoolsTheResolvedCells pools the cells the manifest recorded for a side, and
// the cells the selector matches when it recorded none.
func TestJudgeTargetPoolsTheResolvedCells(t *testing.T) {
	cells := []Cell{
		timedCell("mode=process-per-model/x=1", map[string]string{"mode": "process-per-model", "x": "1"}, around(12, 10, 0.05, 1)),
		timedCell("mode=process-per-model/x=2", map[string]string{"mode": "process-per-model", "x": "2"}, around(12, 3, 0.05, 2)),
		timedCell("mode=threaded/x=1", map[string]string{"mode": "threaded", "x": "1"}, around(12, 3, 0.05, 3)),
	}
	listed := overheadTarget(0.65)
	listed.BaselineCells = []string{"mode=process-per-model/x=1"}
	listed.CandidateCells = []string{"mode=threaded/x=1", "mode=threaded/x=9"}
	tr := JudgeTarget(listed, cells, Settings{})
	assert.Equal(t, []string{"mode=process-per-model/x=1"}, tr.BaselineCells)
	assert.Equal(t, []string{"mode=threaded/x=1"}, tr.CandidateCells, "a listed cell that is not at hand is left out")
	assert.Equal(t, Pass, tr.Verdict, tr.Reason)

	tr = JudgeTarget(overheadTarget(0.65), cells, Settings{})
	assert.Equal(t, []string{"mode=process-per-model/x=1", "mode=process-per-model/x=2"}, tr.BaselineCells)
	assert.Equal(t, 24, tr.BaselineN)
	assert.Equal(t, Unknown, tr.Verdict, "the pooled baseline spans 3 to 10: the interval is wide")
}

func TestJudgeExpectation(t *testing.T) {
	lock := Trial{Outcome: vocab.LockConflict, HolderPID: 7, Message: `Conflicting lock is held in /bin/x (PID 7)`}
	ok := Trial{Outcome: vocab.OK}
	with := func(tr Trial, expected string) Trial { tr.Expected = expected; return tr }
	warm := func(tr Trial) Trial { tr.Warmup = true; return tr }
	cell := func(trials ...Trial) Cell {
		for i := range trials {
			trials[i].Run, trials[i].Trial = "r", i+1
		}
		return Cell{Key: "c=a", Params: map[string]string{"c": "a"}, Trials: trials}
	}
	tests := []struct {
		name string
		cell Cell
		exp  *criteria.Expectation
		want Verdict
	}{
		{"implicit ok", cell(ok, ok), nil, Pass},
		{"implicit lock-conflict", cell(with(lock, "lock-conflict")), nil, Pass},
		{"implicit differs", cell(with(ok, "lock-conflict")), nil, Fail},
		{"only warmups", cell(warm(ok)), nil, Unknown},
		{"warmup failures do not count", cell(warm(lock), ok), nil, Pass},
		{"mismatch always fails", cell(with(Trial{Outcome: vocab.Mismatch}, "mismatch")), nil, Fail},
		{"either of two outcomes", cell(with(lock, "ok|lock-conflict"), with(ok, "ok|lock-conflict")), nil, Pass},
		{"lock held by the injected competitor", cell(with(Trial{Outcome: vocab.LockConflict, HolderRole: vocab.RoleCompetitor}, "lock-conflict")), nil, Pass},
		{"lock held by a stray process", cell(with(Trial{Outcome: vocab.LockConflict, HolderRole: vocab.RoleOther}, "lock-conflict")), nil, Fail},
		{"explicit pass", cell(with(lock, "lock-conflict")), &criteria.Expectation{Cells: criteria.Selector{"c": "a"}, Outcome: "lock-conflict"}, Pass},
		{"explicit fail", cell(ok), &criteria.Expectation{Cells: criteria.Selector{"c": "a"}, Outcome: "lock-conflict"}, Fail},
		{"explicit no match", cell(ok), &criteria.Expectation{Cells: criteria.Selector{"c": "b"}, Outcome: "ok"}, Unknown},
		{"explicit by key", cell(ok), &criteria.Expectation{Cells: criteria.Selector{"cell": "c=a"}}, Pass},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var er ExpectationResult
			if tc.exp == nil {
				er = JudgeCell(tc.cell)
				assert.Equal(t, "cell c=a", er.Name)
				assert.True(t, er.Implicit)
				assert.Equal(t, "c=a", er.Cell)
			} else {
				er = JudgeExpectation(*tc.exp, []Cell{tc.cell})
			}
			assert.Equal(t, tc.want, er.Verdict, er.Reason)
			assert.Equal(t, len(er.Details), len(er.Mismatches))
			if tc.want == Fail {
				assert.NotEmpty(t, er.Mismatches)
			}
		})
	}
	er := JudgeExpectation(criteria.Expectation{Cells: criteria.Selector{"c": "a"}, Outcome: "lock-conflict", Note: "a holder blocks"},
		[]Cell{cell(lock, ok, with(Trial{Outcome: vocab.LockConflict, HolderPID: 8, Message: `Conflicting lock is held in /bin/x (PID 8)`}, ""))})
	assert.Equal(t, "a holder blocks", er.Name, "named by its note")
	assert.Equal(t, []string{"c=a #2 (run r): got ok, want lock-conflict"}, er.Mismatches)
	assert.Equal(t, []string{"Conflicting lock is held in /bin/x (PID …) (×2; PIDs 7, 8)"}, er.Messages)
	assert.Equal(t, []OutcomeCount{{vocab.OK, 1}, {vocab.LockConflict, 2}}, er.Outcomes)
	assert.Equal(t, "expect ok in c=b", JudgeExpectation(criteria.Expectation{Cells: criteria.Selector{"c": "b"}, Outcome: "ok"}, nil).Name)
}

// TestJudgeChanges compares samples whose change is known: a 40% slowdown regresses, the same
// values do not change, 5 trials a side cannot say "unchanged", and a baseline of 0 is judged
// in seconds.
func TestJudgeChanges(t *testing.T) {
	s := Settings{}.WithDefaults()
	base := around(12, 1, 0.02, 1)
	slower := around(12, 1.4, 0.02, 2)
	same := around(12, 1, 0.02, 3)
	zero := make([]float64, 12)
	tiny := around(12, 0.05, 0.02, 4)
	change := func(label string, b, n []float64) CellChange {
		w := CompareSamples(vocab.Wall, b, n, s)
		o := CompareSamples(vocab.Overhead, b, n, s)
		return CellChange{Cell: label, Label: label, Wall: &w, Overhead: &o}
	}
	judge := func(cs ...CellChange) ([]CellChange, Verdict, string) {
		var ds []*Delta
		for i := range cs {
			ds = append(ds, cs[i].Wall, cs[i].Overhead)
		}
		ApplyHolm(ds, s.Alpha)
		v, reason := JudgeChanges(cs, 0.05)
		return cs, v, reason
	}

	cs, v, reason := judge(change("slow", base, slower), change("same", base, same))
	assert.Equal(t, Fail, v)
	assert.Equal(t, "1 cell(s) regressed beyond the threshold: slow", reason)
	assert.Equal(t, ChangeRegressed, cs[0].WallClass)
	assert.InDelta(t, 0.4, cs[0].Wall.Change, 1e-9)
	assert.Equal(t, "+40.0%", cs[0].Wall.Symbol())
	assert.Equal(t, ChangeNone, cs[1].WallClass)
	assert.Equal(t, "~", cs[1].Wall.Symbol())

	cs, v, reason = judge(change("improved", slower, base))
	assert.Equal(t, Pass, v, reason)
	assert.Equal(t, ChangeImproved, cs[0].OverheadClass)

	_, v, reason = judge(change("few", base[:5], same[:5]))
	assert.Equal(t, Unknown, v)
	assert.Equal(t, "1 cell(s) have too few ok trials to tell a change from noise (need >= 6 per side): few (n=5+5)", reason)

	cs, v, _ = judge(change("from zero", zero, tiny))
	assert.Equal(t, Fail, v)
	assert.True(t, cs[0].Wall.Absolute())
	assert.Nil(t, cs[0].Wall.RatioCI)
	assert.InDelta(t, 0.05, cs[0].Wall.Diff, 1e-12)
	assert.Equal(t, ChangeRegressed, cs[0].WallClass)

	_, v, reason = judge()
	assert.Equal(t, Unknown, v)
	assert.Equal(t, "no cell has ok trials on both sides to compare", reason)

	d := CompareSamples(vocab.Wall, nil, base, s)
	assert.Equal(t, "no ok trials on one side", d.Note)
	assert.Equal(t, "?", d.Symbol())
	assert.True(t, math.IsNaN(stats.Median(nil)))
}
