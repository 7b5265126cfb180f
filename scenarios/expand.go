package scenarios

import (
	"fmt"
	"iter"
	"maps"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// icell is a cell before seeds are derived.
type icell struct {
	vals   [numAxes]value
	origin [numAxes]ast.Node // where each value was written (nil for built-in defaults)
	key    string
	expect string
}

func (c *icell) computeKey() {
	parts := make([]string, 0, numAxes)
	for a := range numAxes {
		if a == axStrategy && c.vals[a].canon == "none" {
			continue
		}
		parts = append(parts, Axes[a]+"="+c.vals[a].canon)
	}
	c.key = strings.Join(parts, "/")
}

// expand builds the cells: the Cartesian product of the matrix axes over the defaults, minus
// the exclude entries, then the include entries (GitHub Actions semantics), then
// normalisation and de-duplication by key.
func (p *parser) expand(raw *rawScenario) ([]icell, *Error) {
	var base icell
	for a := range numAxes {
		v, verr := parseScalar(a, builtinDefaults[a])
		if verr != nil {
			panic("scenarios: bad built-in default: " + verr.Error())
		}
		base.vals[a] = v
	}
	defs, defNodes, err := p.axesOf(raw.Defaults, "defaults")
	if err != nil {
		return nil, err
	}
	for a, v := range defs {
		base.vals[a] = v
		base.origin[a] = defNodes[a]
	}

	// The matrix.
	if raw.Matrix == nil {
		if _, ok := p.ix.keys["matrix"]; ok {
			return nil, p.errKey("matrix", "a mapping of axis: [values] with at least one axis: "+strings.Join(Axes, ", "), "the matrix is empty")
		}
		return nil, &Error{File: p.file, Line: 1, Col: 1, Msg: "missing matrix", Allowed: "matrix: a mapping of axis: [values], e.g. matrix: {mode: [sequential, threaded]}"}
	}
	type axisValues struct {
		a     axis
		vals  []value
		nodes []ast.Node
	}
	var axesIn []axisValues
	for i, n := range raw.Matrix.nodes() {
		a := axis(i)
		path := "matrix." + Axes[a]
		if n == nil {
			if _, present := p.ix.keys[path]; !present {
				continue
			}
		}
		var items []ast.Node
		switch t := unwrap(n).(type) {
		case nil, *ast.NullNode:
			return nil, p.errKey(path, allowedFor(a), "%s has no values", path)
		case *ast.SequenceNode:
			items = t.Values
			if len(items) == 0 {
				return nil, p.errAt(t, allowedFor(a), "%s has no values", path)
			}
		default:
			items = []ast.Node{n} // one value written without brackets
		}
		av := axisValues{a: a}
		seen := map[string]bool{}
		for j, it := range items {
			ipath := path
			if len(items) > 1 || isSeq(n) {
				ipath = fmt.Sprintf("%s[%d]", path, j)
			}
			v, err := p.value(a, it, ipath)
			if err != nil {
				return nil, err
			}
			if seen[v.canon] {
				return nil, p.errAt(it, "each value once", "%s: duplicate value %s", ipath, v.canon)
			}
			seen[v.canon] = true
			av.vals = append(av.vals, v)
			av.nodes = append(av.nodes, it)
		}
		axesIn = append(axesIn, av)
	}
	if len(axesIn) == 0 {
		return nil, p.errKey("matrix", "a mapping of axis: [values] with at least one axis: "+strings.Join(Axes, ", "), "the matrix is empty")
	}
	if err := p.checkSize(axesIn[0].nodes[0], len(raw.Include), func(yield func(string, int) bool) {
		for _, av := range axesIn {
			if !yield(Axes[av.a], len(av.vals)) {
				return
			}
		}
	}); err != nil {
		return nil, err
	}
	inMatrix := map[axis]bool{}
	for _, av := range axesIn {
		inMatrix[av.a] = true
	}

	// Cartesian product, first axis slowest.
	combos := []icell{base}
	for _, av := range axesIn {
		next := make([]icell, 0, len(combos)*len(av.vals))
		for _, c := range combos {
			for j, v := range av.vals {
				c2 := c
				c2.vals[av.a] = v
				c2.origin[av.a] = av.nodes[j]
				next = append(next, c2)
			}
		}
		combos = next
	}

	// Exclude: drop every combination that has all the values of an entry.
	for i := range raw.Exclude {
		path := fmt.Sprintf("exclude[%d]", i)
		vals, _, err := p.axesOf(&raw.Exclude[i], path)
		if err != nil {
			return nil, err
		}
		if len(vals) == 0 {
			return nil, p.errPath(path, "a mapping of axis: value", "%s is empty", path)
		}
		combos = slices.DeleteFunc(combos, func(c icell) bool { return c.matches(vals) })
	}

	// Include: extend every original combination whose matrix values the entry does not
	// contradict; an entry that extends none adds a cell of its own.
	var added []icell
	for i := range raw.Include {
		path := fmt.Sprintf("include[%d]", i)
		vals, nodes, err := p.axesOf(&raw.Include[i], path)
		if err != nil {
			return nil, err
		}
		if len(vals) == 0 {
			return nil, p.errPath(path, "a mapping of axis: value", "%s is empty", path)
		}
		extended := false
		for j := range combos {
			ok := true
			for a, v := range vals {
				if inMatrix[a] && combos[j].vals[a].canon != v.canon {
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			extended = true
			for a, v := range vals {
				combos[j].vals[a] = v
				combos[j].origin[a] = nodes[a]
			}
		}
		if !extended {
			c := base
			for a, v := range vals {
				c.vals[a] = v
				c.origin[a] = nodes[a]
			}
			added = append(added, c)
		}
	}
	all := append(combos, added...)

	// Normalise and de-duplicate.
	one, _ := parseScalar(axThreads, "1")
	var cells []icell
	seen := map[string]bool{}
	for _, c := range all {
		if st := c.vals[axStrategy].canon; st != "none" {
			// The strategy decides how the pipeline runs.
			c.vals[axMode], _ = parseScalar(axMode, StrategyModes[st])
			c.vals[axLockRetry], _ = parseScalar(axLockRetry, strconv.FormatBool(st == "retry"))
		}
		if m := c.vals[axMode].canon; m == "sequential" || m == "process-per-model" {
			c.vals[axThreads] = one
		}
		c.computeKey()
		if seen[c.key] {
			continue
		}
		seen[c.key] = true
		if cs := c.vals[axCompetitor].v.(CompetitorSpec); cs.Start.Kind == StartYear {
			if years := c.vals[axYears].v.([]int); !slices.Contains(years, cs.Start.Year) {
				at := c.origin[axCompetitor]
				return nil, p.errAt(at, "a year of the cell ("+FormatYears(years)+")", "competitor %s starts in year %d, which cell %s does not simulate", cs, cs.Start.Year, c.key)
			}
		}
		cells = append(cells, c)
	}
	if len(cells) == 0 {
		return nil, p.errKey("matrix", "a matrix that leaves at least one cell after exclude", "the matrix is empty: exclude removes every cell")
	}
	return cells, nil
}

// MaxCells is the most cells a scenario may expand to. It bounds the memory and time of
// expansion itself; a run's own, lower cap is the caller's (lockbench bench --max-cells).
const MaxCells = 100_000

// checkSize refuses a matrix whose Cartesian product (plus one cell per include entry) has more
// than MaxCells cells, before the product is built. at is where the error points.
func (p *parser) checkSize(at ast.Node, includes int, axes iter.Seq2[string, int]) *Error {
	total := big.NewInt(1)
	var factors []string
	for name, n := range axes {
		total.Mul(total, big.NewInt(int64(n)))
		factors = append(factors, fmt.Sprintf("%s %d", name, n))
	}
	total.Add(total, big.NewInt(int64(includes)))
	if total.Cmp(big.NewInt(MaxCells)) <= 0 {
		return nil
	}
	count := total.String() + " cells"
	if len(factors) > 1 || includes > 0 {
		count = strings.Join(factors, " × ") + " = " + count
	}
	if includes > 0 {
		count += fmt.Sprintf(" (with %d include entries)", includes)
	}
	if k := p.ix.keys["matrix"]; k != nil {
		at = k
	}
	return p.errAt(at, fmt.Sprintf("at most %d cells: fewer values per axis, or several scenario files", MaxCells),
		"the matrix expands to %s", count)
}

func isSeq(n ast.Node) bool {
	_, ok := unwrap(n).(*ast.SequenceNode)
	return ok
}

// Cell is one combination of matrix values.
type Cell struct {
	// Key names the cell: every axis as axis=value, in the order of Axes, joined with "/",
	// e.g. mode=threaded/threads=4/coordination=on/lock-retry=off/employees=5000/years=2025-2027/competitor=none/seed=1.
	// Keys are stable: they depend only on the cell's own values.
	Key string `json:"key"`
	// Mode is one of Modes.
	Mode string `json:"mode"`
	// Threads is the number of connections (threaded) or concurrent workers
	// (parallel-processes); it is always 1 for sequential and process-per-model.
	Threads int `json:"threads"`
	// Coordination is whether the cross-year optimisations are on.
	Coordination bool `json:"coordination"`
	// LockRetry is whether opens that hit a lock conflict are retried with backoff.
	LockRetry bool `json:"lock_retry"`
	// Strategy is how the pipeline shares the file with its other users (one of Strategies); it
	// decides Mode and LockRetry.
	Strategy string `json:"strategy"`
	// Employees is the census size.
	Employees int `json:"employees"`
	// Years are the simulated years, strictly increasing.
	Years []int `json:"years"`
	// Competitor is the injected competitor.
	Competitor CompetitorSpec `json:"competitor"`
	// SeedLabel is the value of the seed axis: a label naming one generated data set.
	SeedLabel int `json:"seed_label"`
	// Seed is the workload's data seed, DeriveSeed(root, DataKey()): cells that differ only in
	// how they run (mode, threads, coordination, lock-retry, competitor) get the same data, so
	// their fingerprints must agree.
	Seed int64 `json:"seed"`
	// Expect is the outcome the cell must show: one of Outcomes, or several joined with "|"
	// when any of them is acceptable (see Accepts). It is "ok" unless an expectation group says
	// otherwise.
	Expect string `json:"expect"`
	// Values maps every axis to its canonical value, as in the key.
	Values map[string]string `json:"values"`
}

// Accepts reports whether outcome is one the cell expects.
func (c Cell) Accepts(outcome string) bool {
	return slices.Contains(strings.Split(c.Expect, "|"), outcome)
}

// DataKey is the part of the key that determines the workload's data: employees, years and
// the seed label. Cell seeds derive from it.
func (c Cell) DataKey() string {
	return fmt.Sprintf("employees=%s/years=%s/seed=%s", c.Values["employees"], c.Values["years"], c.Values["seed"])
}

// Cells returns the expanded cells, in matrix order (the first matrix axis varies slowest, then
// the cells that include entries added), with seeds derived from s.RootSeed.
func (s *Scenario) Cells() []Cell {
	out := make([]Cell, len(s.cells))
	for i, ic := range s.cells {
		out[i] = ic.cell(s.RootSeed)
	}
	return out
}

func (ic icell) cell(root int64) Cell {
	c := Cell{
		Key:          ic.key,
		Mode:         ic.vals[axMode].v.(string),
		Threads:      ic.vals[axThreads].v.(int),
		Coordination: ic.vals[axCoordination].v.(bool),
		LockRetry:    ic.vals[axLockRetry].v.(bool),
		Strategy:     ic.vals[axStrategy].v.(string),
		Employees:    ic.vals[axEmployees].v.(int),
		Years:        slices.Clone(ic.vals[axYears].v.([]int)),
		Competitor:   ic.vals[axCompetitor].v.(CompetitorSpec),
		SeedLabel:    ic.vals[axSeed].v.(int),
		Expect:       ic.expect,
		Values:       make(map[string]string, numAxes),
	}
	for a := range numAxes {
		c.Values[Axes[a]] = ic.vals[a].canon
	}
	c.Seed = DeriveSeed(root, c.DataKey())
	return c
}

// ParseFilter parses a filter expression: axis=value terms joined with "/" (the syntax of a
// cell key, so any key or part of one is a filter), where a value may list alternatives
// separated by ",": "mode=threaded,sequential/threads=4". A cell passes when every term
// matches. Errors are *Error values naming "--filter".
func ParseFilter(expr string) ([]Selector, error) {
	const allowed = "axis=value terms joined with \"/\", alternatives joined with \",\", e.g. mode=threaded,sequential/coordination=on"
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, nil
	}
	type term struct {
		axis string
		alts []string
	}
	var terms []term
	for _, part := range strings.Split(expr, "/") {
		name, vals, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || strings.TrimSpace(vals) == "" {
			return nil, &Error{File: "--filter", Msg: fmt.Sprintf("bad term %q in %q", part, expr), Allowed: allowed}
		}
		name = strings.TrimSpace(name)
		a, ok := axisByName(name)
		if !ok {
			return nil, &Error{File: "--filter", Msg: fmt.Sprintf("unknown axis %q", name), Allowed: strings.Join(Axes, ", ")}
		}
		t := term{axis: name}
		for _, alt := range splitAlternatives(vals) {
			alt = strings.TrimSpace(alt)
			if kind, _, opts := strings.Cut(alt, "("); a == axCompetitor && opts {
				// A competitor with options is matched by its canonical text; its kind must exist.
				if !slices.Contains(Competitors, strings.TrimSpace(kind)) {
					return nil, &Error{File: "--filter", Msg: fmt.Sprintf("unknown competitor %q in %q", strings.TrimSpace(kind), alt), Allowed: allowedFor(a)}
				}
			} else {
				v, verr := parseScalar(a, alt)
				if verr != nil {
					return nil, &Error{File: "--filter", Msg: verr.msg, Allowed: verr.allowed}
				}
				alt = v.canon
			}
			t.alts = append(t.alts, alt)
		}
		terms = append(terms, t)
	}
	// Expand alternatives into a disjunction of selectors.
	sels := []Selector{{}}
	for _, t := range terms {
		var next []Selector
		for _, s := range sels {
			for _, alt := range t.alts {
				s2 := maps.Clone(s)
				if prev, dup := s2[t.axis]; dup && prev != alt {
					continue // axis=a/axis=b can never match
				}
				s2[t.axis] = alt
				next = append(next, s2)
			}
		}
		sels = next
	}
	return sels, nil
}

// splitAlternatives splits on commas outside parentheses (competitor options use ";", but a
// canonical competitor may still be written with parentheses).
func splitAlternatives(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// Filter returns the cells that match the filter expression expr (see ParseFilter), in their
// original order. An empty expression keeps every cell.
func Filter(cells []Cell, expr string) ([]Cell, error) {
	sels, err := ParseFilter(expr)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(expr) == "" {
		return slices.Clone(cells), nil
	}
	var out []Cell
	for _, c := range cells {
		for _, s := range sels {
			if c.Matches(s) {
				out = append(out, c)
				break
			}
		}
	}
	return out, nil
}
