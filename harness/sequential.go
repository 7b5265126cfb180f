package harness

import (
	"fmt"
	"iter"
	"slices"

	"lockbench/criteria"
	"lockbench/history"
	"lockbench/internal/exitcode"
	"lockbench/scenarios"
	"lockbench/stats/sequential"
	"lockbench/verdict"
	"lockbench/vocab"
)

// gate decides, from the trials recorded so far, which trials of a run's schedule still have to
// run. A fixed design needs every trial of the schedule. A sequential design (package
// stats/sequential, the run's criteria.Design) needs of every cell its first look, and more
// only while something the cell feeds is undecided: a target of which it is on a side (the
// trials up to the target's next look, per side), or its own expectation (every trial shows
// the outcome the cell expects). A cell never runs more than the last look. The decisions are a
// function of the recorded trials alone, so a resumed run takes up the rounds where the
// recorded trials left them.
//
// Targets whose other side is not in the run (a shard, or a filter) cannot be decided here: the
// cells the run holds of them run to the last look, so that a report merging the shards can
// walk every look.
type gate struct {
	design criteria.Design
	plan   *sequential.Design // nil for a fixed design
	cells  []scenarios.Cell
	// slots is the schedule up to the last look.
	slots []scenarios.Slot
	// recorded holds the slot IDs of the recorded trials.
	recorded map[string]bool
	// measured are the verdict cells of the run's cells, with their measured trials in the order
	// they were recorded.
	measured map[string]*verdict.Cell
	// targets are the targets of the run's scenario and, per target, the run's cells of each
	// side; byCell lists the targets each cell is on a side of.
	targets []gateTarget
	byCell  map[string][]int
	// expNeed and tgtNeed are the trials each cell needs for its own expectation and for each
	// target; need combines them (see need).
	expNeed map[string]int
	tgtNeed []map[string]int
	// ready is set once the trials recorded before this session are observed.
	ready bool
}

type gateTarget struct {
	t               criteria.ResolvedTarget
	baseline, cands []string // the run's cells of each side, in run order
}

// newGate returns the gate of run r under design d, having observed the trials recorded before
// this session (existing).
func newGate(r *Result, d criteria.Design, existing []history.Trial) (*gate, error) {
	g := &gate{design: d, cells: r.Cells, recorded: map[string]bool{}, measured: map[string]*verdict.Cell{},
		byCell: map[string][]int{}, expNeed: map[string]int{}}
	if d.IsSequential() {
		p, err := d.Plan()
		if err != nil {
			return nil, fmt.Errorf("run %s: design: %w", r.Dir, err)
		}
		g.plan = &p
	}
	g.slots = scenarios.Schedule(r.Cells, d.MaxTrials(), r.Scenario.Warmup, r.Manifest.RootSeed)
	for _, c := range r.Cells {
		g.measured[c.Key] = &verdict.Cell{Key: c.Key, Params: c.Values, Samples: map[vocab.Metric][]float64{}}
	}
	targets := r.Manifest.Targets
	if targets == nil {
		targets = r.Scenario.ResolvedTargets()
	}
	for i, t := range targets {
		gt := gateTarget{t: t}
		for _, c := range r.Cells {
			if (t.BaselineCells == nil && c.Matches(t.Baseline)) || slices.Contains(t.BaselineCells, c.Key) {
				gt.baseline = append(gt.baseline, c.Key)
				g.byCell[c.Key] = append(g.byCell[c.Key], i)
			}
			if (t.CandidateCells == nil && c.Matches(t.Candidate)) || slices.Contains(t.CandidateCells, c.Key) {
				gt.cands = append(gt.cands, c.Key)
				if !slices.Contains(g.byCell[c.Key], i) {
					g.byCell[c.Key] = append(g.byCell[c.Key], i)
				}
			}
		}
		g.targets = append(g.targets, gt)
		g.tgtNeed = append(g.tgtNeed, map[string]int{})
	}
	for _, t := range existing {
		g.observe(t)
	}
	g.ready = true
	for _, c := range r.Cells {
		g.judgeCell(c.Key)
	}
	for i := range g.targets {
		g.judgeTarget(i)
	}
	return g, nil
}

// observe takes in a recorded trial and updates what its cell, and the targets it feeds, need.
func (g *gate) observe(t history.Trial) {
	g.recorded[slotID(t.Cell, t.Trial, t.Warmup)] = true
	vc := g.measured[t.Cell]
	if vc == nil || t.Warmup {
		return
	}
	vt := verdict.Trial{Trial: t.Trial, Outcome: t.Outcome.Kind, Sub: t.Outcome.Sub, HolderPID: t.Outcome.HolderPID,
		HolderRole: t.Outcome.HolderRole, Message: t.Outcome.Message, Expected: t.Expected}
	if t.Outcome.Kind == vocab.OK {
		vt.Metrics = map[vocab.Metric]float64{vocab.Wall: t.WallS, vocab.SQL: t.SQLS, vocab.Overhead: t.OverheadS}
		for m, v := range vt.Metrics {
			vc.Samples[m] = append(vc.Samples[m], v)
		}
	}
	vc.Trials = append(vc.Trials, vt)
	if g.plan == nil || !g.ready {
		return
	}
	g.judgeCell(t.Cell)
	for _, i := range g.byCell[t.Cell] {
		g.judgeTarget(i)
	}
}

// judgeCell updates the trials cell needs for its own expectation: up to the next look while
// it is undecided.
func (g *gate) judgeCell(cell string) {
	if g.plan == nil {
		return
	}
	er := verdict.JudgeCellSequential(*g.measured[cell], *g.plan, g.design.ExpectationMaxRate)
	g.expNeed[cell] = 0
	if er.Verdict == verdict.Unknown && er.Sequential != nil {
		g.expNeed[cell] = er.Sequential.Next
	}
}

// judgeTarget updates the trials the cells of target i need for it: while it is undecided, as
// many more trials as bring each side's ok trials to the next look, shared among the side's
// cells. With one side absent from the run, the other side's cells need the last look.
func (g *gate) judgeTarget(i int) {
	if g.plan == nil {
		return
	}
	gt := g.targets[i]
	need := map[string]int{}
	g.tgtNeed[i] = need
	if len(gt.baseline) == 0 || len(gt.cands) == 0 {
		for _, k := range append(slices.Clone(gt.baseline), gt.cands...) {
			need[k] = g.design.MaxTrials()
		}
		return
	}
	var cells []verdict.Cell
	for _, c := range g.cells {
		if slices.Contains(gt.baseline, c.Key) || slices.Contains(gt.cands, c.Key) {
			cells = append(cells, *g.measured[c.Key])
		}
	}
	tr := verdict.JudgeTargetSequential(gt.t, cells, *g.plan)
	if tr.Verdict != verdict.Unknown || tr.Sequential == nil || tr.Sequential.Next == 0 {
		return
	}
	next := tr.Sequential.Next
	for _, side := range []struct {
		keys []string
		ok   int
	}{{gt.baseline, tr.BaselineN}, {gt.cands, tr.CandidateN}} {
		if short := next - side.ok; short > 0 {
			each := (short + len(side.keys) - 1) / len(side.keys)
			for _, k := range side.keys {
				need[k] = max(need[k], len(g.measured[k].Trials)+each)
			}
		}
	}
}

// need returns the measured trials cell needs: every trial of a fixed design; for a sequential
// one, the first look, and more while an expectation or target the cell feeds is undecided, up
// to the last look.
func (g *gate) need(cell string) int {
	if g.plan == nil {
		return g.design.Trials
	}
	n := max(g.design.MinTrials(), g.expNeed[cell])
	for _, i := range g.byCell[cell] {
		n = max(n, g.tgtNeed[i][cell])
	}
	return min(n, g.design.MaxTrials())
}

// wants reports whether slot still has to run: a warmup always, a measured trial while its
// cell needs it.
func (g *gate) wants(sl scenarios.Slot) bool {
	return sl.Warmup || sl.Trial < g.need(sl.Cell.Key)
}

// next yields the slots to run, in schedule order: first every slot of the schedule that is
// recorded (for the caller to skip) or wanted; then, as long as the trials run meanwhile made
// cells need more, the slots wanted since, again in schedule order. A slot is yielded once.
func (g *gate) next() iter.Seq[scenarios.Slot] {
	return func(yield func(scenarios.Slot) bool) {
		yielded := make([]bool, len(g.slots))
		for {
			any := false
			for i, sl := range g.slots {
				if yielded[i] || !(g.recorded[slotID(sl.Cell.Key, sl.Trial, sl.Warmup)] || g.wants(sl)) {
					continue
				}
				yielded[i], any = true, true
				if !yield(sl) {
					return
				}
			}
			if !any {
				return
			}
		}
	}
}

// left returns, by cell key, how many trials (warmups included) the run still needs as far as
// the gate can tell now: those it wants that are not recorded. A cell that needs none is absent.
func (g *gate) left() map[string]int {
	n := map[string]int{}
	for _, sl := range g.slots {
		if !g.recorded[slotID(sl.Cell.Key, sl.Trial, sl.Warmup)] && g.wants(sl) {
			n[sl.Cell.Key]++
		}
	}
	return n
}

// planned returns the number of trials the run needs as far as the gate can tell now: those
// recorded and those it still wants.
func (g *gate) planned() int {
	n := 0
	for _, sl := range g.slots {
		if g.recorded[slotID(sl.Cell.Key, sl.Trial, sl.Warmup)] || g.wants(sl) {
			n++
		}
	}
	return n
}

// runDesign returns the design of run r: the one its manifest records (a resume), else fixed
// when the manifest predates recorded designs, else the scenario's (a new run).
func runDesign(r *Result) (criteria.Design, error) {
	switch {
	case r.Manifest.Design != nil:
		return *r.Manifest.Design, nil
	case r.Dir != "":
		return criteria.FixedDesign(r.Scenario.Trials), nil
	}
	d, err := r.Scenario.Design()
	if err != nil {
		return d, exitcode.Usagef("scenario %s: %w", r.Scenario.Name, err)
	}
	return d, nil
}
