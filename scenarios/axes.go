package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"lockbench/release"
	"lockbench/vocab"
)

type axis int

const (
	axMode axis = iota
	axThreads
	axCoordination
	axLockRetry
	axStrategy
	axEmployees
	axYears
	axCompetitor
	axSeed
	axDuckDB
	axStorageVersion
	numAxes
)

func (a axis) String() string { return vocab.Axes[a] }

func axisByName(name string) (axis, bool) {
	i := slices.Index(vocab.Axes, name)
	return axis(i), i >= 0
}

// builtinDefaults are the axis values a scenario starts from before its own defaults.
var builtinDefaults = map[axis]string{
	axMode:           string(vocab.Threaded),
	axThreads:        "4",
	axCoordination:   "on",
	axLockRetry:      "off",
	axStrategy:       string(vocab.NoStrategy),
	axEmployees:      "1000",
	axYears:          "2025-2027",
	axCompetitor:     string(vocab.NoCompetitor),
	axSeed:           "1",
	axDuckDB:         vocab.DefaultValue,
	axStorageVersion: vocab.DefaultValue,
}

// allowedFor describes the values an axis accepts, for error messages.
func allowedFor(a axis) string {
	switch a {
	case axMode:
		return vocab.Join(vocab.Modes)
	case axThreads:
		return fmt.Sprintf("an integer from 1 to %d", vocab.MaxThreads)
	case axCoordination, axLockRetry:
		return "on, off (or true, false)"
	case axStrategy:
		return "none, " + vocab.Join(vocab.Strategies)
	case axEmployees:
		return fmt.Sprintf("an integer from %d to %d", vocab.MinEmployees, vocab.MaxEmployees)
	case axYears:
		return fmt.Sprintf("years from %d to %d, strictly increasing: a list [2025, 2026], a range \"2025-2027\", a \"+\"-joined set \"2025+2027\" or one year", vocab.MinYear, vocab.MaxYear)
	case axCompetitor:
		return "none, " + vocab.Join(vocab.CompetitorKinds) + " (or a mapping {kind, count, period, start, command, duckdb})"
	case axSeed:
		return "an integer ≥ 0 (a data-set label; the trial seed derives from the root seed)"
	case axDuckDB:
		return "default (the release lockbench links) or a DuckDB release: " + strings.Join(release.Names(), ", ")
	case axStorageVersion:
		return "default or the DuckDB version whose format to create: v1.0.0, v1.2.0, v1.3.0, v1.4.0, v1.5.0, v2.0.0"
	}
	return ""
}

// valueError is a problem with one value, before it is given a file position.
type valueError struct {
	msg, allowed string
}

func (e *valueError) Error() string { return e.msg + "; allowed: " + e.allowed }

func badValue(a axis, format string, args ...any) *valueError {
	return &valueError{msg: fmt.Sprintf(format, args...), allowed: allowedFor(a)}
}

// value is one parsed axis value: its canonical text and its typed form.
type value struct {
	canon string
	v     any // string (mode), int (threads, employees, seed), bool, []int (years), CompetitorSpec
}

// parseScalar parses the text form of a value of axis a (as written in YAML scalars, selectors
// and --filter expressions). Competitor values in text form are kinds only.
func parseScalar(a axis, s string) (value, *valueError) {
	s = strings.TrimSpace(s)
	switch a {
	case axMode:
		if _, err := vocab.ParseMode(s); err != nil {
			return value{}, badValue(a, "unknown mode %q", s)
		}
		return value{canon: s, v: s}, nil
	case axStrategy:
		if _, err := vocab.ParseStrategy(s); err != nil || s == "" {
			return value{}, badValue(a, "unknown strategy %q", s)
		}
		return value{canon: s, v: s}, nil
	case axThreads, axEmployees, axSeed:
		n, err := strconv.Atoi(s)
		if err != nil {
			return value{}, badValue(a, "%s must be an integer, not %q", a, s)
		}
		switch {
		case a == axThreads && (n < 1 || n > vocab.MaxThreads):
			return value{}, badValue(a, "threads must be from 1 to %d, not %d", vocab.MaxThreads, n)
		case a == axEmployees && (n < vocab.MinEmployees || n > vocab.MaxEmployees):
			return value{}, badValue(a, "employees must be from %d to %d, not %d", vocab.MinEmployees, vocab.MaxEmployees, n)
		case a == axSeed && n < 0:
			return value{}, badValue(a, "seed must be ≥ 0, not %d", n)
		}
		return value{canon: strconv.Itoa(n), v: n}, nil
	case axCoordination, axLockRetry:
		switch strings.ToLower(s) {
		case "on", "true", "yes":
			return value{canon: "on", v: true}, nil
		case "off", "false", "no":
			return value{canon: "off", v: false}, nil
		}
		return value{}, badValue(a, "%s must be on or off, not %q", a, s)
	case axYears:
		years, err := vocab.ParseYears(s)
		if err != nil {
			return value{}, badValue(a, "%v", err)
		}
		return yearsValue(years)
	case axDuckDB:
		if s == vocab.DefaultValue {
			return value{canon: s, v: s}, nil
		}
		r, err := release.Lookup(s)
		if err != nil {
			return value{}, badValue(a, "unknown DuckDB release %q", s)
		}
		return value{canon: r.Name, v: r.Name}, nil
	case axStorageVersion:
		if s == vocab.DefaultValue {
			return value{canon: s, v: s}, nil
		}
		name, _, err := release.ParseCompat(s)
		if err != nil {
			return value{}, badValue(a, "unknown storage version %q", s)
		}
		return value{canon: name, v: name}, nil
	case axCompetitor:
		k, err := vocab.ParseCompetitorKind(s)
		if err != nil {
			return value{}, badValue(a, "unknown competitor %q", s)
		}
		c := CompetitorSpec{Kind: k}.withDefaults()
		if err := c.check(); err != nil {
			return value{}, err
		}
		return value{canon: c.String(), v: c}, nil
	}
	return value{}, badValue(a, "unknown axis %q", a)
}

// yearsValue checks a year list (vocab.CheckYears) and returns its canonical value.
func yearsValue(years []int) (value, *valueError) {
	if err := vocab.CheckYears(years); err != nil {
		return value{}, badValue(axYears, "%v", err)
	}
	return value{canon: vocab.FormatYears(years), v: slices.Clone(years)}, nil
}

// FormatYears formats a year list canonically (vocab.FormatYears): "2025" for one year,
// "2025-2027" for two or more consecutive years, and otherwise the years joined with "+"
// ("2025+2027+2030").
func FormatYears(years []int) string { return vocab.FormatYears(years) }

// The kinds of Start.
const (
	StartBefore = "before" // the competitor holds the file before the trial starts
	StartDelay  = "delay"  // the competitor starts Delay after the trial started
	StartYear   = "year"   // the competitor starts when the workload begins year Year
)

// Start is when a competitor starts, relative to the trial.
type Start struct {
	// Kind is StartBefore, StartDelay or StartYear.
	Kind string
	// Delay is the wait after the trial starts, for StartDelay.
	Delay time.Duration
	// Year is the simulation year at whose start the competitor starts, for StartYear.
	Year int
}

// String returns the start as written in YAML: "before", "delay 2s" or "year 2026".
func (s Start) String() string {
	switch s.Kind {
	case StartDelay:
		return "delay " + s.Delay.String()
	case StartYear:
		return "year " + strconv.Itoa(s.Year)
	}
	return StartBefore
}

// keyForm is the start as it appears inside a cell key (no spaces): "delay-2s", "year-2026".
func (s Start) keyForm() string { return strings.ReplaceAll(s.String(), " ", "-") }

// ParseStart parses "before", "delay DURATION" or "year YYYY".
func ParseStart(s string) (Start, error) {
	f := strings.Fields(s)
	switch {
	case len(f) == 1 && f[0] == StartBefore:
		return Start{Kind: StartBefore}, nil
	case len(f) == 2 && f[0] == StartDelay:
		d, err := ParseDuration(f[1])
		if err != nil {
			return Start{}, fmt.Errorf("delay: %w", err)
		}
		return Start{Kind: StartDelay, Delay: d}, nil
	case len(f) == 2 && f[0] == StartYear:
		y, err := strconv.Atoi(f[1])
		if err != nil || y < vocab.MinYear || y > vocab.MaxYear {
			return Start{}, fmt.Errorf("bad year %q: want a year from %d to %d", f[1], vocab.MinYear, vocab.MaxYear)
		}
		return Start{Kind: StartYear, Year: y}, nil
	}
	return Start{}, fmt.Errorf("bad start %q", s)
}

// startAllowed describes what ParseStart accepts.
const startAllowed = `"before", "delay DURATION" (e.g. "delay 2s") or "year YYYY" (a year of the cell)`

// CompetitorSpec is a competitor kind with its options. In YAML it is written as a kind
// ("reader-process") or a mapping:
//
//	competitor:
//	  kind: readers          # one of vocab.CompetitorKinds
//	  count: 3               # readers (default 2) and viewers (default 3): how many processes
//	  period: 500ms          # flapping-process: one open/close cycle (default 1s); viewers and
//	                         # second-writer: time between attempts (default 200ms);
//	                         # in-process-writer: how long each transaction stays open
//	                         # (default: until the trial ends)
//	  start: delay 2s        # before (default) | delay DURATION | year YYYY
//	  command: viewer {db}   # exec only (required): a command that opens the file; {db} is replaced
type CompetitorSpec struct {
	// Kind is the competitor's kind.
	Kind vocab.CompetitorKind
	// Count is the number of read-only processes, for readers (default 2) and viewers (default
	// 3); 0 otherwise.
	Count int
	// Period is one open/close cycle of a flapping-process, which holds the file for the first
	// half of each period (default 1s), or the time between the attempts of viewers and
	// second-writer (default 200ms), or how long each transaction of an in-process-writer stays
	// open (default: until the trial ends); 0 otherwise.
	Period time.Duration
	// Start is when the competitor starts.
	Start Start
	// Command is the command template of an exec competitor; {db} is replaced by the database path.
	Command string
	// DuckDB is the DuckDB release (a release.Known name) whose lockbench binary runs the
	// competitor's processes, or "" for the cell's own release. Every kind that starts
	// lockbench processes takes one; in-process-writer (a connection of the workload's own
	// process) and exec (the user's command, with the user's DuckDB) do not.
	DuckDB string
}

// String returns the competitor's canonical form as it appears in cell keys: the kind alone when
// every option has its default, else the kind followed by the non-default options in a fixed
// order, e.g. "readers(count=3;start=delay-2s)". An exec competitor shows the first 8 hex digits
// of the SHA-256 of its command ("exec(cmd=1a2b3c4d)"), since commands may contain slashes.
func (c CompetitorSpec) String() string {
	var opts []string
	if (c.Kind == vocab.Readers && c.Count != vocab.DefaultReaders) || (c.Kind == vocab.Viewers && c.Count != vocab.DefaultViewers) {
		opts = append(opts, "count="+strconv.Itoa(c.Count))
	}
	if (c.Kind == vocab.FlappingProcess && c.Period != vocab.DefaultFlapCycle) || (c.Kind.Cooperates() && c.Period != vocab.DefaultPollPeriod) {
		opts = append(opts, "period="+c.Period.String())
	}
	if c.Start.Kind != "" && c.Start.Kind != StartBefore {
		opts = append(opts, "start="+c.Start.keyForm())
	}
	if c.Kind == vocab.ExecCompetitor {
		sum := sha256.Sum256([]byte(c.Command))
		opts = append(opts, "cmd="+hex.EncodeToString(sum[:4]))
	}
	if c.DuckDB != "" {
		opts = append(opts, "duckdb="+c.DuckDB)
	}
	if len(opts) == 0 {
		return string(c.Kind)
	}
	return string(c.Kind) + "(" + strings.Join(opts, ";") + ")"
}

// MarshalJSON writes the competitor with readable durations.
func (c CompetitorSpec) MarshalJSON() ([]byte, error) {
	type view struct {
		Kind    vocab.CompetitorKind `json:"kind"`
		Count   int                  `json:"count,omitempty"`
		Period  string               `json:"period,omitempty"`
		Start   string               `json:"start"`
		Command string               `json:"command,omitempty"`
		DuckDB  string               `json:"duckdb,omitempty"`
	}
	v := view{Kind: c.Kind, Count: c.Count, Start: c.Start.String(), Command: c.Command, DuckDB: c.DuckDB}
	if c.Period > 0 {
		v.Period = c.Period.String()
	}
	return json.Marshal(v)
}

// withDefaults fills in the default options of the competitor's kind.
func (c CompetitorSpec) withDefaults() CompetitorSpec {
	if c.Start.Kind == "" {
		c.Start.Kind = StartBefore
	}
	if c.Kind == vocab.Readers && c.Count == 0 {
		c.Count = vocab.DefaultReaders
	}
	if c.Kind == vocab.FlappingProcess && c.Period == 0 {
		c.Period = vocab.DefaultFlapCycle
	}
	if c.Kind == vocab.Viewers && c.Count == 0 {
		c.Count = vocab.DefaultViewers
	}
	if c.Kind.Cooperates() && c.Period == 0 {
		c.Period = vocab.DefaultPollPeriod
	}
	return c
}

// check validates a competitor with defaults applied.
func (c CompetitorSpec) check() *valueError {
	if c.Kind == vocab.ExecCompetitor && strings.TrimSpace(c.Command) == "" {
		return &valueError{msg: "competitor exec needs a command", allowed: "competitor: {kind: exec, command: \"your-viewer {db}\"}"}
	}
	if c.Kind == vocab.NoCompetitor && c.Start.Kind != StartBefore {
		return &valueError{msg: "competitor none takes no start", allowed: "competitor: none"}
	}
	return nil
}

// noReleaseWhy says why a competitor kind cannot run a release of its own.
func noReleaseWhy(k vocab.CompetitorKind) string {
	switch k {
	case vocab.InProcessWriter:
		return "it is a connection of the workload's own process, which runs the cell's release (set the cell's duckdb instead)"
	case vocab.ExecCompetitor:
		return "it runs your own command, whose DuckDB is the one that command links"
	}
	return "it starts no process"
}

// releaseKinds lists the competitor kinds that take a duckdb release.
func releaseKinds() []vocab.CompetitorKind {
	var out []vocab.CompetitorKind
	for _, k := range vocab.CompetitorKinds {
		if k.RunsLockbench() {
			out = append(out, k)
		}
	}
	return out
}
