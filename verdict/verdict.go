package verdict

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"lockbench/internal/exitcode"
	"lockbench/stats"
	"lockbench/vocab"
)

// Verdict is the three-state result of a target, an expectation, a comparison or a whole run.
type Verdict string

// The verdicts.
const (
	Pass    Verdict = "pass"
	Fail    Verdict = "fail"
	Unknown Verdict = "unknown"
)

// ExitCode maps the verdict onto the exit codes: pass 0, fail 1, unknown 3.
func (v Verdict) ExitCode() exitcode.Code {
	switch v {
	case Pass:
		return exitcode.Pass
	case Fail:
		return exitcode.Fail
	default:
		return exitcode.Unknown
	}
}

// Combine returns fail if any verdict fails, else unknown if any is unknown, else pass (also
// for no verdicts at all).
func Combine(vs ...Verdict) Verdict {
	out := Pass
	for _, v := range vs {
		switch v {
		case Fail:
			return Fail
		case Unknown:
			out = Unknown
		}
	}
	return out
}

// DefaultMinTrials is the floor of ok trials per side below which a target is unknown.
const DefaultMinTrials = 10

// Settings are the statistical settings verdicts are judged with. The zero value means the
// defaults (see WithDefaults).
type Settings struct {
	// Alpha is the significance level of U tests.
	Alpha float64 `json:"alpha"`
	// Confidence is the level of every interval.
	Confidence float64 `json:"confidence"`
	// Resamples is the number of bootstrap resamples.
	Resamples int `json:"resamples"`
	// MinTrials is the per-side floor of target verdicts.
	MinTrials int `json:"min_trials"`
}

// WithDefaults returns s with every unset or invalid setting replaced by its default: α 0.05,
// confidence 0.95, 2000 resamples, 10 trials per side.
func (s Settings) WithDefaults() Settings {
	if s.Alpha <= 0 {
		s.Alpha = stats.DefaultAlpha
	}
	if s.Confidence <= 0 || s.Confidence >= 1 {
		s.Confidence = stats.DefaultConfidence
	}
	if s.Resamples <= 0 {
		s.Resamples = stats.DefaultResamples
	}
	if s.MinTrials <= 0 {
		s.MinTrials = DefaultMinTrials
	}
	return s
}

// Cell is what verdicts need of one cell: its key and parameters (which selectors match), the
// timings of its ok trials and the outcomes of all its trials.
type Cell struct {
	// Key is the cell key; Params its axis values.
	Key    string
	Params map[string]string
	// Samples are the values of the cell's ok, non-warmup trials per metric, in seconds.
	Samples map[vocab.Metric][]float64
	// Trials are every trial of the cell, warmups included.
	Trials []Trial
}

// Trial is what an expectation looks at in one trial.
type Trial struct {
	// Run is the ID of the trial's run and Trial its number within the cell.
	Run   string
	Trial int
	// Warmup trials never count.
	Warmup bool
	// Outcome, Sub, HolderPID, HolderRole and Message describe how the trial ended.
	Outcome    vocab.Kind
	Sub        vocab.Sub
	HolderPID  int
	HolderRole vocab.Role
	Message    string
	// Expected is the outcome the trial expected (one kind, or several joined with "|"; ok
	// when empty).
	Expected string
	// Metrics are the trial's values per metric, in seconds (set for ok trials). Sequential
	// verdicts read them, in trial order; Cell.Samples holds the same values for the others.
	Metrics map[vocab.Metric]float64
}

// OutcomeCount is how many trials had an outcome kind.
type OutcomeCount struct {
	// Kind is the outcome kind.
	Kind vocab.Kind `json:"kind"`
	// Count is the number of trials.
	Count int `json:"count"`
}

// CountOutcomes lists counts by kind: the kinds of vocab.Kinds in their order, then any other
// kind by name; kinds without trials are left out.
func CountOutcomes(counts map[vocab.Kind]int) []OutcomeCount {
	var out []OutcomeCount
	for _, k := range vocab.Kinds {
		if n := counts[k]; n > 0 {
			out = append(out, OutcomeCount{Kind: k, Count: n})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		if !slices.Contains(vocab.Kinds, k) && counts[k] > 0 {
			out = append(out, OutcomeCount{Kind: k, Count: counts[k]})
		}
	}
	return out
}

// listSome joins at most three items and says how many more there are.
func listSome(items []string) string {
	if len(items) <= 3 {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:3], ", "), len(items)-3)
}
