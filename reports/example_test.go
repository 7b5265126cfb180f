package reports_test

import (
	"fmt"

	"lockbench/criteria"
	"lockbench/history"
	"lockbench/outcome"
	"lockbench/reports"
	"lockbench/vocab"
)

// Example judges the S031-04 target on a small in-memory run: twelve process-per-model trials
// with about 10 s of overhead against twelve threaded trials with about 3 s.
func Example() {
	var trials []history.Trial
	for i := range 12 {
		jitter := float64(i%4) * 0.1
		trials = append(trials,
			history.Trial{Cell: "mode=process-per-model", Trial: i + 1, Outcome: outcome.Outcome{Kind: vocab.OK},
				WallS: 18 + jitter, SQLS: 8, OverheadS: 10 + jitter},
			history.Trial{Cell: "mode=threaded", Trial: i + 1, Outcome: outcome.Outcome{Kind: vocab.OK},
				WallS: 9 + jitter/3, SQLS: 6, OverheadS: 3 + jitter/3})
	}
	r, err := reports.Build([]history.Run{{Trials: trials}}, reports.Options{Targets: []criteria.ResolvedTarget{{Target: criteria.Target{
		Name: "threaded cuts overhead by 65%", Metric: vocab.Overhead,
		Baseline:  criteria.Selector{"mode": "process-per-model"},
		Candidate: criteria.Selector{"mode": "threaded"}, Reduction: 0.65,
	}}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	t := r.Targets[0]
	fmt.Println(t.Verdict, "-", t.Evidence())
	fmt.Println("run verdict:", r.Verdict, "exit", int(r.ExitCode()))
	// Output:
	// pass - overhead: baseline median 10.1s (n=12) → candidate median 3.05s (n=12): reduction 70.0%, 95% CI [69.5%, 70.4%]; target ≥ 65.0%
	// run verdict: pass exit 0
}
