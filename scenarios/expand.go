package scenarios

import (
	"fmt"
	"iter"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"lockbench/vocab"
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
		if (a == axStrategy && c.vals[a].canon == string(vocab.NoStrategy)) || ((a == axDuckDB || a == axStorageVersion) && c.vals[a].canon == vocab.DefaultValue) {
			continue
		}
		parts = append(parts, vocab.Axes[a]+"="+c.vals[a].canon)
	}
	c.key = strings.Join(parts, "/")
}

// expand builds the cells: the Cartesian product of the matrix axes over the defaults, minus
// the exclude entries, then the include entries (GitHub Actions semantics), then
// normalisation and de-duplication by key.
func (p *parser) expand(raw *rawScenario) ([]icell, *Error) {
	base, err := p.baseCell(raw)
	if err != nil {
		return nil, err
	}
	axesIn, err := p.matrixAxes(raw)
	if err != nil {
		return nil, err
	}
	if err := p.checkSize(axesIn[0].nodes[0], len(raw.Include), func(yield func(string, int) bool) {
		for _, av := range axesIn {
			if !yield(vocab.Axes[av.a], len(av.vals)) {
				return
			}
		}
	}); err != nil {
		return nil, err
	}
	combos, err := p.exclude(raw, product(base, axesIn))
	if err != nil {
		return nil, err
	}
	all, err := p.include(raw, base, combos, axesIn)
	if err != nil {
		return nil, err
	}
	return p.normalise(all)
}

// baseCell is the cell every combination starts from: the built-in defaults under the
// scenario's own defaults.
func (p *parser) baseCell(raw *rawScenario) (icell, *Error) {
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
		return icell{}, err
	}
	for a, v := range defs {
		base.vals[a] = v
		base.origin[a] = defNodes[a]
	}
	return base, nil
}

// axisValues are the values of one matrix axis, with where each was written.
type axisValues struct {
	a     axis
	vals  []value
	nodes []ast.Node
}

// matrixAxes parses the matrix: the axes it lists, in the order of vocab.Axes, each with at least
// one value and no value twice. It refuses a missing or empty matrix.
func (p *parser) matrixAxes(raw *rawScenario) ([]axisValues, *Error) {
	if raw.Matrix == nil {
		if _, ok := p.ix.keys["matrix"]; ok {
			return nil, p.errKey("matrix", "a mapping of axis: [values] with at least one axis: "+strings.Join(vocab.Axes, ", "), "the matrix is empty")
		}
		return nil, &Error{File: p.file, Line: 1, Col: 1, Msg: "missing matrix", Allowed: "matrix: a mapping of axis: [values], e.g. matrix: {mode: [sequential, threaded]}"}
	}
	var axesIn []axisValues
	for i, n := range raw.Matrix.nodes() {
		a := axis(i)
		path := "matrix." + vocab.Axes[a]
		if n == nil {
			if _, present := p.ix.keys[path]; !present {
				continue
			}
		}
		av, err := p.matrixAxis(a, n, path)
		if err != nil {
			return nil, err
		}
		axesIn = append(axesIn, av)
	}
	if len(axesIn) == 0 {
		return nil, p.errKey("matrix", "a mapping of axis: [values] with at least one axis: "+strings.Join(vocab.Axes, ", "), "the matrix is empty")
	}
	return axesIn, nil
}

// matrixAxis parses the values of axis a written at n (a list, or one value without brackets).
func (p *parser) matrixAxis(a axis, n ast.Node, path string) (axisValues, *Error) {
	var items []ast.Node
	switch t := unwrap(n).(type) {
	case nil, *ast.NullNode:
		return axisValues{}, p.errKey(path, allowedFor(a), "%s has no values", path)
	case *ast.SequenceNode:
		items = t.Values
		if len(items) == 0 {
			return axisValues{}, p.errAt(t, allowedFor(a), "%s has no values", path)
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
			return axisValues{}, err
		}
		if seen[v.canon] {
			return axisValues{}, p.errAt(it, "each value once", "%s: duplicate value %s", ipath, v.canon)
		}
		seen[v.canon] = true
		av.vals = append(av.vals, v)
		av.nodes = append(av.nodes, it)
	}
	return av, nil
}

// product is the Cartesian product of the axes over base, first axis slowest.
func product(base icell, axesIn []axisValues) []icell {
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
	return combos
}

// exclude drops every combination that has all the values of an exclude entry.
func (p *parser) exclude(raw *rawScenario, combos []icell) ([]icell, *Error) {
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
	return combos, nil
}

// include applies the include entries: each extends every original combination whose matrix
// values it does not contradict, and an entry that extends none adds a cell of its own (on
// base). It returns the combinations followed by the added cells.
func (p *parser) include(raw *rawScenario, base icell, combos []icell, axesIn []axisValues) ([]icell, *Error) {
	inMatrix := map[axis]bool{}
	for _, av := range axesIn {
		inMatrix[av.a] = true
	}
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
	return append(combos, added...), nil
}

// normalise derives what a cell's other values decide (a strategy sets mode and lock-retry;
// sequential and process-per-model run one thread), computes keys, drops repeated keys, and
// checks that a competitor starting in a given year starts in one the cell simulates.
func (p *parser) normalise(all []icell) ([]icell, *Error) {
	one, _ := parseScalar(axThreads, "1")
	var cells []icell
	seen := map[string]bool{}
	for _, c := range all {
		if st := c.vals[axStrategy].canon; st != string(vocab.NoStrategy) {
			// The strategy decides how the pipeline runs.
			c.vals[axMode], _ = parseScalar(axMode, string(vocab.Strategy(st).Mode()))
			c.vals[axLockRetry], _ = parseScalar(axLockRetry, strconv.FormatBool(vocab.Strategy(st).LockRetry()))
		}
		if vocab.Mode(c.vals[axMode].canon).OneAtATime() {
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
