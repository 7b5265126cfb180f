package reports

import (
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"lockbench/criteria"
	"lockbench/history"
	"lockbench/outcome"
	"lockbench/trace"
	"lockbench/vocab"
)

// step is one span a synthetic worker runs.
type step struct {
	kind trace.Kind
	dur  float64
}

// cellSpec describes a synthetic cell: what each worker runs and what its trials end as.
type cellSpec struct {
	params     [][2]string
	workers    [][]step
	trials     int
	warmups    int
	expected   string
	outcome    func(i int) outcome.Outcome // nil: ok
	competitor bool
	slowFirst  float64 // factor applied to the first timed trial (0: none)
	errorSpan  bool    // mark the last span of worker 0 as failed in non-ok trials
}

func (c cellSpec) key() string {
	parts := make([]string, len(c.params))
	for i, p := range c.params {
		parts[i] = p[0] + "=" + p[1]
	}
	return strings.Join(parts, "/")
}

func round(v, unit float64) float64 { return math.Round(v/unit) * unit }

// synthTrials builds the trials of spec with a fixed seed: every step lasts its duration times
// a per-trial and a per-step lognormal factor; sql, overhead and the breakdown come from
// trace.Summarize as in the harness.
func synthTrials(spec cellSpec, seed uint64) []history.Trial {
	rng := rand.New(rand.NewPCG(seed, 7))
	params := map[string]string{}
	for _, p := range spec.params {
		params[p[0]] = p[1]
	}
	var out []history.Trial
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range spec.warmups + spec.trials {
		warm := i < spec.warmups
		factor := math.Exp(0.08 * rng.NormFloat64())
		if !warm && i == spec.warmups && spec.slowFirst > 0 {
			factor *= spec.slowFirst
		}
		var spans []trace.Span
		end := 0.0
		for w, steps := range spec.workers {
			t := 0.0
			for j, s := range steps {
				d := round(s.dur*factor*math.Exp(0.05*rng.NormFloat64()), 1e-3)
				spans = append(spans, trace.Span{Kind: s.kind, Name: string(s.kind) + "_" + string(rune('a'+j)), Year: 2025, Worker: w, Start: round(t, 1e-3), End: round(t+d, 1e-3)})
				t += d
			}
			end = max(end, t)
		}
		wall := round(end+0.05*factor, 1e-3)
		oc := outcome.Outcome{Kind: vocab.OK}
		if spec.outcome != nil && !warm {
			oc = spec.outcome(i - spec.warmups)
		}
		if oc.Kind != vocab.OK && spec.errorSpan {
			for j := len(spans) - 1; j >= 0; j-- {
				if spans[j].Worker == 0 {
					spans[j].Error = oc.Message
					break
				}
			}
		}
		if spec.competitor {
			spans = append(spans, trace.Span{Kind: trace.Competitor, Name: "holder", Worker: 99, Start: 0, End: round(wall*0.6, 1e-3)})
		}
		sum := trace.Summarize(spans, wall)
		for k, v := range sum.ByKind {
			sum.ByKind[k] = round(v, 1e-6)
		}
		out = append(out, history.Trial{
			Cell: spec.key(), Trial: i + 1, Warmup: warm, Outcome: oc, Expected: spec.expected,
			WallS: wall, SQLS: round(sum.SQL, 1e-6), OverheadS: round(sum.Overhead, 1e-6), OverheadByKind: sum.ByKind,
			StartedAt: base.Add(time.Duration(i) * time.Minute), Seed: int64(seed), Params: params, Spans: spans,
		})
	}
	return out
}

func repeat(n int, ss ...step) []step {
	var out []step
	for range n {
		out = append(out, ss...)
	}
	return out
}

func cellParams(mode, threads, coord, competitor string) [][2]string {
	return [][2]string{{"mode", mode}, {"threads", threads}, {"coordination", coord}, {"employees", "1000"}, {"years", "3"}, {"competitor", competitor}}
}

// Synthetic cells of the golden report.
var (
	specPPM = cellSpec{
		params:    cellParams("process-per-model", "1", "off", "none"),
		workers:   [][]step{repeat(8, step{trace.Spawn, 0.4}, step{trace.Open, 0.3}, step{trace.Model, 1.0}, step{trace.Close, 0.2}, step{trace.Validate, 0.3})},
		trials:    12,
		warmups:   1,
		slowFirst: 1.8,
	}
	threadedOn = [][]step{
		{{trace.Open, 0.3}, {trace.Model, 1.0}, {trace.Model, 1.0}, {trace.Validate, 0.3}},
		{{trace.Open, 0.3}, {trace.Model, 1.0}, {trace.Model, 1.0}},
		{{trace.Open, 0.3}, {trace.Model, 1.0}, {trace.Model, 1.0}},
		{{trace.Open, 0.3}, {trace.Model, 1.0}, {trace.Model, 1.0}},
	}
	specThreadedOn = cellSpec{
		params:  cellParams("threaded", "4", "on", "none"),
		workers: threadedOn,
		trials:  12,
		warmups: 1,
	}
	specThreadedOff = cellSpec{
		params: cellParams("threaded", "4", "off", "none"),
		workers: [][]step{
			{{trace.Open, 0.3}, {trace.Model, 1.0}, {trace.Recompute, 1.5}, {trace.Model, 1.0}, {trace.Validate, 1.0}, {trace.Checkpoint, 1.0}},
			{{trace.Open, 0.3}, {trace.Model, 1.0}, {trace.Recompute, 1.5}, {trace.Model, 1.0}},
			{{trace.Open, 0.3}, {trace.Model, 1.0}, {trace.Recompute, 1.5}, {trace.Model, 1.0}},
			{{trace.Open, 0.3}, {trace.Model, 1.0}, {trace.Recompute, 1.5}, {trace.Model, 1.0}},
		},
		trials:  12,
		warmups: 1,
	}
	specParallel = cellSpec{
		params:   cellParams("parallel-processes", "4", "off", "none"),
		workers:  [][]step{{{trace.Spawn, 0.4}, {trace.Open, 0.3}}, {{trace.Spawn, 0.4}, {trace.Open, 0.2}}},
		trials:   6,
		expected: string(vocab.LockConflict),
		outcome: func(i int) outcome.Outcome {
			if i == 4 {
				return outcome.Outcome{Kind: vocab.Timeout, Message: "trial exceeded 30s"}
			}
			return outcome.Outcome{Kind: vocab.LockConflict, Sub: "database", HolderPID: 4242, HolderExe: "/usr/bin/lockbench",
				Message: `IO Error: Could not set lock on file "sim.duckdb": Conflicting lock is held in /usr/bin/lockbench (PID 4242)`}
		},
		errorSpan: true,
	}
	specHolder = cellSpec{
		params:     cellParams("threaded", "4", "on", "holder-ro"),
		workers:    threadedOn,
		trials:     4,
		competitor: true,
	}
)

// goldenRuns returns two shards of one synthetic run: the first holds three cells, the second
// the other two and more trials of the threaded-on cell, which Build pools.
func goldenRuns(t testing.TB) []history.Run {
	t.Helper()
	mk := func(id, shard string) history.Manifest {
		return history.Manifest{SchemaVersion: history.SchemaVersion, ID: id, Shard: shard, RootSeed: 42,
			CreatedAt: time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC),
			Versions:  history.Versions{Lockbench: "v0.1.0", Commit: "abc1234", Go: "go1.26.0", DuckDB: "v1.5.6", Driver: "v2.10506.0"},
			Host:      history.Host{CPU: "Synthetic CPU @ 3.00GHz", Cores: 4, MemBytes: 8 << 30, OS: "linux", Kernel: "6.8.0"}}
	}
	on := synthTrials(specThreadedOn, 2)
	var a, b []history.Trial
	a = append(a, synthTrials(specPPM, 1)...)
	a = append(a, on[:7]...)
	a = append(a, synthTrials(specThreadedOff, 3)...)
	b = append(b, on[7:]...)
	b = append(b, synthTrials(specParallel, 4)...)
	b = append(b, synthTrials(specHolder, 5)...)
	return []history.Run{
		{Dir: "runs/r1-a", Manifest: mk("r1", "1/2"), Trials: a},
		{Dir: "runs/r1-b", Manifest: mk("r1", "2/2"), Trials: b},
	}
}

func goldenOptions() Options {
	ppm := criteria.Selector{"mode": "process-per-model", "coordination": "off"}
	target := func(name string, metric vocab.Metric, candidate criteria.Selector, reduction float64) criteria.ResolvedTarget {
		return criteria.ResolvedTarget{Target: criteria.Target{Name: name, Metric: metric, Baseline: ppm, Candidate: candidate, Reduction: reduction}}
	}
	return Options{
		Targets: []criteria.ResolvedTarget{
			target("threaded+coordination cuts overhead 65%", vocab.Overhead, criteria.Selector{"mode": "threaded", "coordination": "on", "competitor": "none"}, 0.65),
			target("threaded without coordination cuts overhead 80%", vocab.Overhead, criteria.Selector{"mode": "threaded", "coordination": "off"}, 0.80),
			target("threaded+coordination cuts wall 85%", vocab.Wall, criteria.Selector{"mode": "threaded", "coordination": "on", "competitor": "none"}, 0.85),
			target("reader competitor costs little", vocab.Wall, criteria.Selector{"competitor": "holder-ro"}, 0.5),
		},
		Expectations: []criteria.Expectation{
			{Note: "a read-only holder does not block", Cells: criteria.Selector{"competitor": "holder-ro"}, Outcome: string(vocab.OK)},
			{Cells: criteria.Selector{"mode": "sequential"}, Outcome: string(vocab.OK)},
		},
		VersusAxis: "coordination",
		VersusBase: "off",
	}
}

func ensureDir(dir string) string {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		panic(err)
	}
	return dir
}

// scaled returns spec with every step of kind k (every step when k is "") lasting factor times
// as long.
func scaled(spec cellSpec, k trace.Kind, factor float64) cellSpec {
	var ws [][]step
	for _, steps := range spec.workers {
		var out []step
		for _, s := range steps {
			if k == "" || s.kind == k {
				s.dur *= factor
			}
			out = append(out, s)
		}
		ws = append(ws, out)
	}
	spec.workers = ws
	return spec
}

// compareNewRuns is a later run of the golden matrix: process-per-model unchanged (new seed),
// threaded with coordination 20% faster, threaded without coordination recomputing twice as
// long, the parallel cell gone and a sequential cell added.
func compareNewRuns(t testing.TB) []history.Run {
	t.Helper()
	seqSpec := cellSpec{params: cellParams("sequential", "1", "on", "none"),
		workers: [][]step{{{trace.Open, 0.3}, {trace.Model, 8}}}, trials: 12}
	var trials []history.Trial
	trials = append(trials, synthTrials(specPPM, 11)...)
	trials = append(trials, synthTrials(scaled(specThreadedOn, "", 0.8), 12)...)
	trials = append(trials, synthTrials(scaled(specThreadedOff, trace.Recompute, 2), 13)...)
	trials = append(trials, synthTrials(specHolder, 15)...)
	trials = append(trials, synthTrials(seqSpec, 16)...)
	m := goldenRuns(t)[0].Manifest
	m.ID, m.Shard = "r2", ""
	return []history.Run{{Dir: "runs/r2", Manifest: m, Trials: trials}}
}
