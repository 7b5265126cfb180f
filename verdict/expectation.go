package verdict

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"lockbench/criteria"
	"lockbench/scenarios"
	"lockbench/stats/sequential"
	"lockbench/vocab"
)

// ExpectationResult is the verdict on one expectation, with its evidence.
type ExpectationResult struct {
	// Name identifies the expectation; Verdict is pass, fail or unknown.
	Name    string  `json:"name"`
	Verdict Verdict `json:"verdict"`
	// Expected is the expected outcome kind ("" when each trial's own expectation applies and
	// they differ).
	Expected string `json:"expected"`
	// Cells are the matched cell keys and Trials their non-warmup trials.
	Cells  []string `json:"cells"`
	Trials int      `json:"trials"`
	// Outcomes counts the matched trials by outcome kind.
	Outcomes []OutcomeCount `json:"outcomes"`
	// Mismatches lists the trials that differ from the expectation, one line each.
	Mismatches []string `json:"mismatches,omitempty"`
	// Messages are the distinct error messages of the matched trials (at most three, each
	// with its count), verbatim: for a lock conflict, DuckDB's text naming the holder.
	Messages []string `json:"messages,omitempty"`
	// Reason explains the verdict in one sentence.
	Reason string `json:"reason"`
	// Implicit is true for the per-cell expectation derived from the trials' Expected field.
	Implicit bool `json:"implicit"`
	// Sequential is the decision of a sequential verdict (JudgeExpectationSequential): the look
	// at which it was reached, the trials per cell it used, the bound on the mismatch rate and
	// the method. Nil for an expectation judged at the end of a fixed run.
	Sequential *sequential.ExpectationDecision `json:"sequential,omitempty"`

	// Cell is the key of an implicit expectation's cell.
	Cell string `json:"-"`
	// Details are the Mismatches, structured for renderers that label and fold them.
	Details []Mismatch `json:"-"`
}

// Mismatch is one trial that differs from an expectation.
type Mismatch struct {
	// Cell, Run and Trial identify the trial.
	Cell, Run string
	Trial     int
	// Got is the trial's outcome in words and Want the expected one.
	Got, Want string
	// StrayOwner is true for a lock conflict from a process lockbench did not start.
	StrayOwner bool
}

// Text is the mismatch as one line, naming the cell by label.
func (m Mismatch) Text(label string) string {
	if m.StrayOwner {
		return fmt.Sprintf("%s #%d (run %s): got %s from a process lockbench did not start, want %s from the injected competitor", label, m.Trial, m.Run, m.Got, m.Want)
	}
	return fmt.Sprintf("%s #%d (run %s): got %s, want %s", label, m.Trial, m.Run, m.Got, m.Want)
}

// JudgeExpectation judges e on cells: every non-warmup trial of the cells e.Cells selects must
// end with e.Outcome (one kind, or several joined with "|"), or, when e.Outcome is empty, with
// its own Expected outcome. A lock conflict counts only when it came from a process the harness
// started, and a data mismatch never passes. The result is named by e.Note, else by what it
// expects and where ("expect lock-conflict in competitor=holder-rw").
func JudgeExpectation(e criteria.Expectation, cells []Cell) ExpectationResult {
	return judgeExpectation(e, cells, false)
}

// JudgeCell judges the implicit expectation of one cell: each of its trials ended with the
// outcome the trial expected. The result is named "cell KEY".
func JudgeCell(c Cell) ExpectationResult {
	er := judgeExpectation(criteria.Expectation{Cells: criteria.Selector{criteria.CellAxis: c.Key}, Note: "cell " + c.Key}, []Cell{c}, true)
	er.Cell = c.Key
	return er
}

func judgeExpectation(e criteria.Expectation, cells []Cell, implicit bool) ExpectationResult {
	er := ExpectationResult{Name: e.Note, Expected: e.Outcome, Implicit: implicit, Verdict: Unknown}
	if er.Name == "" {
		er.Name = "expect " + cmp.Or(e.Outcome, "expected outcome") + " in " + e.Cells.String()
	}
	counts := map[vocab.Kind]int{}
	expectSet := map[string]bool{}
	msgs := newMessageFolder()
	for _, c := range cells {
		if !scenarios.Selects(e.Cells, c.Key, c.Params) {
			continue
		}
		er.Cells = append(er.Cells, c.Key)
		for _, v := range c.Trials {
			if v.Warmup {
				continue
			}
			er.Trials++
			counts[v.Outcome]++
			if v.Message != "" {
				msgs.add(v.Message)
			}
			want := wantOf(e, v)
			expectSet[want] = true
			ok, stray := matches(want, v)
			if ok {
				continue
			}
			m := Mismatch{Cell: c.Key, Run: v.Run, Trial: v.Trial, Got: outcomeText(v), Want: want, StrayOwner: stray}
			er.Details = append(er.Details, m)
			er.Mismatches = append(er.Mismatches, m.Text(c.Key))
		}
	}
	if er.Expected == "" && len(expectSet) == 1 {
		for k := range expectSet {
			er.Expected = k
		}
	}
	er.Outcomes = CountOutcomes(counts)
	er.Messages = msgs.lines(3)
	switch {
	case len(er.Cells) == 0:
		er.Reason = fmt.Sprintf("no cell matches %s", e.Cells)
	case er.Trials == 0:
		er.Reason = "no trials were recorded"
	case len(er.Mismatches) > 0:
		er.Verdict = Fail
		er.Reason = fmt.Sprintf("%d of %d trials differ from the expectation", len(er.Mismatches), er.Trials)
	default:
		er.Verdict = Pass
		er.Reason = fmt.Sprintf("all %d trials had the expected outcome", er.Trials)
	}
	return er
}

// wantOf returns the outcome e expects of trial v: e's own, else the trial's, else ok.
func wantOf(e criteria.Expectation, v Trial) string {
	return cmp.Or(e.Outcome, v.Expected, string(vocab.OK))
}

// matches reports whether trial v shows want. A data mismatch never does, and a lock conflict
// does only when it came from a process the harness started (a competitor or a sibling worker);
// stray is true for one from a process it did not start.
func matches(want string, v Trial) (ok, stray bool) {
	switch {
	case !accepts(want, v.Outcome) || v.Outcome == vocab.Mismatch:
		return false, false
	case v.Outcome == vocab.LockConflict && v.HolderRole == vocab.RoleOther:
		return false, true
	}
	return true, false
}

func outcomeText(v Trial) string {
	s := string(v.Outcome)
	if v.Sub != "" {
		s += "/" + string(v.Sub)
	}
	if v.HolderPID != 0 {
		s += fmt.Sprintf(" (holder pid %d)", v.HolderPID)
	}
	return s
}

// accepts reports whether an expectation (one outcome, or several joined with "|") allows
// outcome.
func accepts(want string, outcome vocab.Kind) bool {
	for w := range strings.SplitSeq(want, "|") {
		if strings.TrimSpace(w) == string(outcome) {
			return true
		}
	}
	return false
}

// reHolderPID is the part of a lock message that differs between otherwise identical trials.
var reHolderPID = regexp.MustCompile(`\(PID \d+\)`)

// messageFolder counts messages, folding those that differ only in the holder's PID.
type messageFolder struct {
	order []string
	first map[string]string
	count map[string]int
	pids  map[string][]string
}

func newMessageFolder() *messageFolder {
	return &messageFolder{first: map[string]string{}, count: map[string]int{}, pids: map[string][]string{}}
}

func (f *messageFolder) add(msg string) {
	key := reHolderPID.ReplaceAllString(msg, "(PID …)")
	if f.count[key] == 0 {
		f.order = append(f.order, key)
		f.first[key] = msg
	}
	f.count[key]++
	if pid := reHolderPID.FindString(msg); pid != "" {
		pid = strings.TrimSuffix(strings.TrimPrefix(pid, "(PID "), ")")
		if !slices.Contains(f.pids[key], pid) {
			f.pids[key] = append(f.pids[key], pid)
		}
	}
}

// lines returns at most n messages, most frequent folded first in first-seen order, each with
// its count: "msg (×6)", or for a message seen with several holder PIDs, the message with
// "(PID …)" and the PIDs: "msg (×6; PIDs 4681, 5392, 5612, …)".
func (f *messageFolder) lines(n int) []string {
	var out []string
	for _, key := range f.order {
		if len(out) == n {
			break
		}
		pids := f.pids[key]
		switch {
		case len(pids) > 1:
			shown := pids
			if len(shown) > 3 {
				shown = append(shown[:3:3], "…")
			}
			out = append(out, fmt.Sprintf("%s (×%d; PIDs %s)", key, f.count[key], strings.Join(shown, ", ")))
		default:
			out = append(out, fmt.Sprintf("%s (×%d)", f.first[key], f.count[key]))
		}
	}
	return out
}
