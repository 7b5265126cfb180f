package reports

import (
	"fmt"
	"slices"
	"strings"

	"lockbench/criteria"
	"lockbench/history"
	"lockbench/stats/sequential"
	"lockbench/verdict"
)

// judge judges targets and expectations under a run's design: at the planned looks of a
// sequential design, or on every trial (the bootstrap interval and the per-side floor) for a
// fixed one or none.
type judge struct {
	s       verdict.Settings
	plan    *sequential.Design
	maxRate float64
}

// newJudge returns the judge of design d (nil: fixed) with settings s.
func newJudge(d *criteria.Design, s verdict.Settings) (judge, error) {
	j := judge{s: s}
	if d == nil || !d.IsSequential() {
		return j, nil
	}
	p, err := d.Plan()
	if err != nil {
		return j, err
	}
	j.plan, j.maxRate = &p, d.ExpectationMaxRate
	return j, nil
}

func (j judge) sequential() bool { return j.plan != nil }

func (j judge) target(t criteria.ResolvedTarget, cells []verdict.Cell) verdict.TargetResult {
	if j.plan != nil {
		return verdict.JudgeTargetSequential(t, cells, *j.plan)
	}
	return verdict.JudgeTarget(t, cells, j.s)
}

func (j judge) cell(c verdict.Cell) verdict.ExpectationResult {
	if j.plan != nil {
		return verdict.JudgeCellSequential(c, *j.plan, j.maxRate)
	}
	return verdict.JudgeCell(c)
}

func (j judge) expectation(e criteria.Expectation, cells []verdict.Cell) verdict.ExpectationResult {
	if j.plan != nil {
		return verdict.JudgeExpectationSequential(e, cells, *j.plan, j.maxRate)
	}
	return verdict.JudgeExpectation(e, cells)
}

// noteShards adds to the reason of an unknown target whose resolved cells are not all in the
// report, when the report holds shards, which shards it holds: a shard decides only on the
// trials it holds, and the shards of a run merge into one report.
func noteShards(tr *verdict.TargetResult, runs []history.Run) {
	if tr.Verdict != verdict.Unknown {
		return
	}
	var shards []string
	for _, r := range runs {
		if r.Manifest.Shard != "" && !slices.Contains(shards, r.Manifest.Shard) {
			shards = append(shards, r.Manifest.Shard)
		}
	}
	if len(shards) == 0 {
		return
	}
	missing := len(tr.BaselineCells) < len(tr.ResolvedTarget.BaselineCells) || len(tr.CandidateCells) < len(tr.ResolvedTarget.CandidateCells) ||
		len(tr.BaselineCells) == 0 || len(tr.CandidateCells) == 0
	if missing {
		tr.Reason += fmt.Sprintf(" (this report holds shard %s only, and the target's other cells are in other shards: a shard decides only on what it holds; merge the shards with lockbench report DIR...)",
			strings.Join(shards, ", "))
	}
}

// levelPct formats a confidence level with up to two decimals: 0.95 → "95%", 0.9792 → "97.92%"
// (a sequential look's level).
func levelPct(p float64) string {
	s := strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", 100*p), "0"), ".")
	return s + "%"
}
