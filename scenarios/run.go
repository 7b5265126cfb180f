package scenarios

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"lockbench/criteria"
	"lockbench/vocab"
)

// DeriveSeed derives a seed from the run's root seed and a key: the first 8 bytes of
// SHA-256("ROOT|KEY"), big-endian, with the sign bit cleared. It depends on nothing else, so
// filtering or sharding cells never changes another cell's seed.
func DeriveSeed(root int64, key string) int64 {
	sum := sha256.Sum256([]byte(strconv.FormatInt(root, 10) + "|" + key))
	return int64(binary.BigEndian.Uint64(sum[:8]) &^ (1 << 63))
}

// ParseShard parses a shard expression "K/N" (1 ≤ K ≤ N), as taken by --shard.
func ParseShard(s string) (k, n int, err error) {
	const allowed = "K/N with 1 ≤ K ≤ N, e.g. 1/3"
	ks, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	k, err1 := strconv.Atoi(ks)
	n, err2 := strconv.Atoi(ns)
	if !ok || err1 != nil || err2 != nil || n < 1 || k < 1 || k > n {
		return 0, 0, &Error{File: "--shard", Msg: fmt.Sprintf("bad shard %q", s), Allowed: allowed}
	}
	return k, n, nil
}

// Shard returns shard k of n (1 ≤ k ≤ n) of cells. The cells are ordered by the SHA-256 of
// their keys and dealt round-robin, so the assignment depends only on the set of keys, never on
// their order, the shards differ in size by at most one, and the n shards together hold every
// cell exactly once. The result keeps the input order.
func Shard(cells []Cell, k, n int) ([]Cell, error) {
	if n < 1 || k < 1 || k > n {
		return nil, &Error{File: "--shard", Msg: fmt.Sprintf("bad shard %d/%d", k, n), Allowed: "K/N with 1 ≤ K ≤ N"}
	}
	type hk struct {
		h   [32]byte
		key string
	}
	order := make([]hk, len(cells))
	for i, c := range cells {
		order[i] = hk{sha256.Sum256([]byte(c.Key)), c.Key}
	}
	slices.SortFunc(order, func(a, b hk) int {
		if c := slices.Compare(a.h[:], b.h[:]); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	mine := map[string]bool{}
	for i, o := range order {
		if i%n == k-1 {
			mine[o.key] = true
		}
	}
	var out []Cell
	for _, c := range cells {
		if mine[c.Key] {
			out = append(out, c)
		}
	}
	return out, nil
}

// Slot is one trial in a run's schedule.
type Slot struct {
	// Cell is the cell the trial runs.
	Cell Cell
	// Trial numbers the cell's trials from 0, separately for warmups and measured trials.
	Trial int
	// Warmup marks an unmeasured warmup trial.
	Warmup bool
}

// Schedule returns the order in which to run trials: first every cell's warmup trials, then
// every cell's measured trials, each phase in rounds. A round runs each cell once, in an order
// shuffled afresh per round from a generator seeded by DeriveSeed(rootSeed, "schedule"), so
// cells are interleaved (slow drift of the machine affects all cells alike), no cell's trial
// i+1 starts before every cell's trial i, and the order is the same for the same root seed and
// cell keys. The input order of cells does not matter.
func Schedule(cells []Cell, trials, warmup int, rootSeed int64) []Slot {
	sorted := slices.Clone(cells)
	slices.SortFunc(sorted, func(a, b Cell) int { return strings.Compare(a.Key, b.Key) })
	seed := uint64(DeriveSeed(rootSeed, "schedule"))
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]Slot, 0, len(cells)*(max(trials, 0)+max(warmup, 0)))
	phase := func(rounds int, isWarmup bool) {
		for r := 0; r < rounds; r++ {
			perm := rng.Perm(len(sorted))
			for _, i := range perm {
				out = append(out, Slot{Cell: sorted[i], Trial: r, Warmup: isWarmup})
			}
		}
	}
	phase(warmup, true)
	phase(trials, false)
	return out
}

// Placeholders a command template may use.
var (
	workloadPlaceholders   = []string{"mode", "threads", "years", "db", "employees", "seed", "coordination"}
	competitorPlaceholders = []string{"db"}
)

func placeholderList(names []string) string {
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = "{" + n + "}"
	}
	return strings.Join(parts, ", ") + " ({{ and }} for literal braces)"
}

// checkTemplate returns the first placeholder of tmpl not in allowed ("{x}", or an unmatched
// brace), and whether all were allowed.
func checkTemplate(tmpl string, allowed []string) (string, bool) {
	bad := ""
	expand(tmpl, func(name string) string {
		if bad == "" && !slices.Contains(allowed, name) {
			bad = "{" + name + "}"
		}
		return ""
	}, func(rest string) {
		if bad == "" {
			bad = fmt.Sprintf("%q (an unmatched brace)", rest)
		}
	})
	return bad, bad == ""
}

// expand replaces every {name} in tmpl with sub(name); "{{" and "}}" stand for literal braces.
// onBad is called with the rest of the template at an unmatched brace, which is kept.
func expand(tmpl string, sub func(string) string, onBad func(string)) string {
	var b strings.Builder
	for i := 0; i < len(tmpl); i++ {
		ch := tmpl[i]
		switch {
		case ch == '{' && i+1 < len(tmpl) && tmpl[i+1] == '{':
			b.WriteByte('{')
			i++
		case ch == '}' && i+1 < len(tmpl) && tmpl[i+1] == '}':
			b.WriteByte('}')
			i++
		case ch == '{':
			end := strings.IndexByte(tmpl[i:], '}')
			if end < 0 {
				onBad(tmpl[i:])
				b.WriteString(tmpl[i:])
				return b.String()
			}
			b.WriteString(sub(tmpl[i+1 : i+end]))
			i += end
		case ch == '}':
			onBad(tmpl[i:])
			b.WriteByte(ch)
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// Expand fills a command template for cell c with database path db: {mode}, {threads},
// {employees}, {coordination} (on or off), {seed} (the cell's derived seed), {db}, and
// {years} (the years separated by spaces, as in `--years {years}`). A competitor's command
// template uses only {db}. Parse has already rejected unknown placeholders; any left are kept.
func Expand(template string, c Cell, db string) string {
	years := make([]string, len(c.Years))
	for i, y := range c.Years {
		years[i] = strconv.Itoa(y)
	}
	vals := map[string]string{
		"mode":         string(c.Mode),
		"threads":      strconv.Itoa(c.Threads),
		"years":        strings.Join(years, " "),
		"db":           db,
		"employees":    strconv.Itoa(c.Employees),
		"seed":         strconv.FormatInt(c.Seed, 10),
		"coordination": c.Values["coordination"],
	}
	return expand(template, func(name string) string {
		if v, ok := vals[name]; ok {
			return v
		}
		return "{" + name + "}"
	}, func(string) {})
}

// Effective returns the expanded scenario as indented JSON, for a run's manifest: the settings,
// the expectation groups, the targets, and every cell with its key, values, derived seed and
// expected outcome. It uses s.RootSeed.
func (s *Scenario) Effective() ([]byte, error) {
	cells := s.Cells()
	v := struct {
		Name         string                    `json:"name"`
		Description  string                    `json:"description,omitempty"`
		Source       string                    `json:"source"`
		Workload     Workload                  `json:"workload"`
		RootSeed     int64                     `json:"root_seed"`
		Trials       int                       `json:"trials"`
		Warmup       int                       `json:"warmup"`
		Timeout      string                    `json:"timeout"`
		Axes         []string                  `json:"axes"`
		Expectations []criteria.Expectation    `json:"expectations"`
		Targets      []criteria.ResolvedTarget `json:"targets"`
		Cells        []Cell                    `json:"cells"`
	}{
		Name: s.Name, Description: s.Description, Source: s.Source, Workload: s.Workload,
		RootSeed: s.RootSeed, Trials: s.Trials, Warmup: s.Warmup, Timeout: s.Timeout.String(),
		Axes: vocab.Axes, Expectations: s.Expectations, Targets: resolveTargets(s.Targets, cells), Cells: cells,
	}
	if v.Expectations == nil {
		v.Expectations = []criteria.Expectation{}
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode effective scenario: %w", err)
	}
	return out, nil
}

func keys(cells []Cell) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = c.Key
	}
	return out
}
