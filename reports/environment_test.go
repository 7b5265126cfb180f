package reports

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/history"
	"lockbench/outcome"
	"lockbench/verdict"
	"lockbench/vocab"
)

// TestEnvironmentTrialsAreNotResults builds reports of runs with trials that failed for
// environmental reasons: they are left out of every count and verdict, the report says how many
// and whether their slots were run again, and a slot still without a result makes the verdict
// unknown, never a failure.
func TestEnvironmentTrialsAreNotResults(t *testing.T) {
	ok := outcome.Outcome{Kind: vocab.OK}
	lock := outcome.Outcome{Kind: vocab.LockConflict, HolderPID: 7, HolderRole: vocab.RoleCompetitor}
	full := outcome.Outcome{Kind: vocab.Environment, Sub: vocab.SubDiskFull, Message: `TransactionContext Error: Failed to commit: Could not write file "$TRIAL_DIR/trial.duckdb.wal": No space left on device`}
	oom := outcome.Outcome{Kind: vocab.Environment, Sub: vocab.SubOOMKill}
	mk := func(cell string, trial int, expected string, oc outcome.Outcome) history.Trial {
		tr := history.Trial{Cell: cell, Trial: trial, Expected: expected, Outcome: oc, Params: vocab.ParseCellKey(cell)}
		if oc.Kind == vocab.OK {
			tr.WallS, tr.SQLS, tr.OverheadS = 1, 0.5, 0.5
		}
		return tr
	}
	tests := []struct {
		name    string
		trials  []history.Trial
		verdict verdict.Verdict
		counted int    // trials of cell c=a that count
		warning string // the environment warning ("" none)
	}{
		{"no environment failure", []history.Trial{mk("c=a", 0, "", ok), mk("c=a", 1, "", ok)}, verdict.Pass, 2, ""},
		{"a full disk, run again by resume", []history.Trial{mk("c=a", 0, "", ok), mk("c=a", 1, "", full), mk("c=a", 1, "", ok)}, verdict.Pass, 2,
			"1 trial failed for environmental reasons (disk-full 1) and is not counted: the machine failed, not the code; it was run again"},
		{"a slot without a result", []history.Trial{mk("c=a", 0, "", ok), mk("c=a", 1, "", full), mk("c=a", 2, "", oom)}, verdict.Unknown, 1,
			"2 trials failed for environmental reasons (disk-full 1, oom-kill 1) and are not counted: the machine failed, not the code; 2 slots have no result yet, so the verdict is at best unknown: `lockbench bench --resume runs/r1` runs them again"},
		{"a cell that expects a lock conflict and only met the machine", []history.Trial{mk("c=a", 0, "lock-conflict", full), mk("c=a", 1, "lock-conflict", full)}, verdict.Unknown, 0,
			"2 trials failed for environmental reasons (disk-full 2) and are not counted: the machine failed, not the code; 2 slots have no result yet, so the verdict is at best unknown: `lockbench bench --resume runs/r1` runs them again"},
		{"a real failure still fails", []history.Trial{mk("c=a", 0, "lock-conflict", ok), mk("c=a", 1, "lock-conflict", full), mk("c=a", 2, "lock-conflict", lock)}, verdict.Fail, 2,
			"1 trial failed for environmental reasons (disk-full 1) and is not counted: the machine failed, not the code; 1 slot has no result yet, so the verdict is at best unknown: `lockbench bench --resume runs/r1` runs it again"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Build([]history.Run{{Dir: "runs/r1", Trials: tc.trials}}, Options{})
			require.NoError(t, err)
			assert.Equal(t, tc.verdict, r.Verdict)
			counted := 0
			if c := r.Cell("c=a"); c != nil {
				counted = c.Trials
				for _, v := range c.Values {
					assert.NotEqual(t, vocab.Environment, v.Outcome, "an environment trial is in the cell")
				}
				for _, o := range c.Outcomes {
					assert.NotEqual(t, vocab.Environment, o.Kind)
				}
			}
			assert.Equal(t, tc.counted, counted)
			var got string
			for _, w := range r.Warnings {
				if w.Code == "environment" {
					got = w.Message
				}
			}
			assert.Equal(t, tc.warning, got)
			for _, er := range r.Expectations {
				for _, m := range er.Mismatches {
					assert.NotContains(t, m, string(vocab.Environment), "an environment failure is blamed on the code")
				}
			}
		})
	}
}
