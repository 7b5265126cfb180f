package scenarios

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"

	"lockbench/criteria"
	"lockbench/release"
	"lockbench/vocab"
)

// Raw YAML shapes, decoded strictly. Values whose type varies are kept as nodes and parsed
// by hand, with their positions.

type rawAxes struct {
	Mode           ast.Node `yaml:"mode"`
	Threads        ast.Node `yaml:"threads"`
	Coordination   ast.Node `yaml:"coordination"`
	LockRetry      ast.Node `yaml:"lock-retry"`
	Strategy       ast.Node `yaml:"strategy"`
	Employees      ast.Node `yaml:"employees"`
	Years          ast.Node `yaml:"years"`
	Competitor     ast.Node `yaml:"competitor"`
	Seed           ast.Node `yaml:"seed"`
	DuckDB         ast.Node `yaml:"duckdb"`
	StorageVersion ast.Node `yaml:"storage-version"`
}

func (r *rawAxes) nodes() [numAxes]ast.Node {
	return [numAxes]ast.Node{r.Mode, r.Threads, r.Coordination, r.LockRetry, r.Strategy, r.Employees, r.Years, r.Competitor, r.Seed, r.DuckDB, r.StorageVersion}
}

type rawExpect struct {
	Cells   *rawAxes `yaml:"cells"`
	Outcome ast.Node `yaml:"outcome"`
	Note    string   `yaml:"note"`
}

type rawTarget struct {
	Name      string   `yaml:"name"`
	Metric    string   `yaml:"metric"`
	Baseline  *rawAxes `yaml:"baseline"`
	Candidate *rawAxes `yaml:"candidate"`
	Reduction *float64 `yaml:"reduction"`
}

type rawScenario struct {
	Name        string      `yaml:"name"`
	Description string      `yaml:"description"`
	Workload    ast.Node    `yaml:"workload"`
	RootSeed    *int64      `yaml:"root-seed"`
	Trials      *int        `yaml:"trials"`
	Warmup      *int        `yaml:"warmup"`
	MinTrials   *int        `yaml:"min-trials"`
	MaxTrials   *int        `yaml:"max-trials"`
	Fixed       *bool       `yaml:"fixed"`
	Timeout     ast.Node    `yaml:"timeout"`
	Defaults    *rawAxes    `yaml:"defaults"`
	Matrix      *rawAxes    `yaml:"matrix"`
	Include     []rawAxes   `yaml:"include"`
	Exclude     []rawAxes   `yaml:"exclude"`
	Expect      []rawExpect `yaml:"expect"`
	Targets     []rawTarget `yaml:"targets"`
	// DuckDBBinaries maps a release to a lockbench binary that links it.
	DuckDBBinaries ast.Node `yaml:"duckdb-binaries"`
}

type rawWorkload struct {
	Kind    string `yaml:"kind"`
	Command string `yaml:"command"`
}

type rawCompetitor struct {
	Kind    string   `yaml:"kind"`
	Count   *int     `yaml:"count"`
	Period  string   `yaml:"period"`
	Start   string   `yaml:"start"`
	Command string   `yaml:"command"`
	DuckDB  ast.Node `yaml:"duckdb"`
}

// Parse parses, validates and expands a scenario. name is used in error messages (a file path,
// or "builtin:NAME") and, without its directory and extension, as the scenario's name when the
// YAML names none. Every error is an *Error with the position of the offending token.
func Parse(name string, data []byte) (*Scenario, error) {
	f, err := parseYAML(data)
	if err != nil {
		p := &parser{file: name, ix: newIndex(nil)}
		return nil, p.decodeErr(err)
	}
	p := &parser{file: name, ix: newIndex(f)}
	var body ast.Node
	docs := 0
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			if docs == 0 {
				body = d.Body
			}
			docs++
		}
	}
	if docs == 0 {
		return nil, &Error{File: name, Line: 1, Col: 1, Msg: "empty scenario file", Allowed: "a mapping of the keys " + strings.Join(topKeys, ", ")}
	}
	if docs > 1 {
		return nil, &Error{File: name, Line: 1, Col: 1, Msg: "more than one YAML document", Allowed: "one document"}
	}
	var raw rawScenario
	if err := decode(body, &raw); err != nil {
		return nil, p.decodeErr(err)
	}
	s, perr := p.build(&raw)
	if perr != nil {
		return nil, perr
	}
	return s, nil
}

func (p *parser) build(raw *rawScenario) (*Scenario, *Error) {
	s := &Scenario{
		Name:        raw.Name,
		Description: strings.TrimSpace(raw.Description),
		Source:      p.file,
		RootSeed:    DefaultRootSeed,
		Trials:      DefaultTrials,
		Warmup:      DefaultWarmup,
		Timeout:     DefaultTimeout,
	}
	if s.Name == "" {
		base := strings.TrimPrefix(filepath.Base(p.file), "builtin:")
		s.Name = strings.TrimSuffix(base, filepath.Ext(base))
	}
	var err *Error
	if s.Workload, err = p.workload(raw.Workload); err != nil {
		return nil, err
	}
	if raw.RootSeed != nil {
		s.RootSeed = *raw.RootSeed
	}
	if raw.Trials != nil {
		if *raw.Trials < 1 || *raw.Trials > criteria.MaxTrials {
			return nil, p.errPath("trials", "an integer from 1 to 10000", "trials must be from 1 to %d, not %d", criteria.MaxTrials, *raw.Trials)
		}
		s.Trials = *raw.Trials
	}
	if raw.Warmup != nil {
		if *raw.Warmup < 0 || *raw.Warmup > criteria.MaxTrials {
			return nil, p.errPath("warmup", "an integer from 0 to 10000", "warmup must be from 0 to %d, not %d", criteria.MaxTrials, *raw.Warmup)
		}
		s.Warmup = *raw.Warmup
	}
	if err = p.design(raw, s); err != nil {
		return nil, err
	}
	if raw.Timeout != nil {
		if s.Timeout, err = p.timeout(raw.Timeout); err != nil {
			return nil, err
		}
	}
	if s.cells, err = p.expand(raw); err != nil {
		return nil, err
	}
	if s.Workload.Kind == WorkloadExec {
		for _, c := range s.cells {
			if st := c.vals[axStrategy]; st.canon != string(vocab.NoStrategy) {
				return nil, p.errAt(c.origin[axStrategy], "strategy: none with an exec workload",
					"cell %s: strategy %s applies to the sim workload; an exec command shares the file its own way", c.key, st.canon)
			}
		}
	}
	if s.Expectations, err = p.expectations(raw.Expect, s.cells); err != nil {
		return nil, err
	}
	if s.Targets, err = p.targets(raw.Targets, s.cells); err != nil {
		return nil, err
	}
	if s.DuckDBBinaries, err = p.binaries(raw.DuckDBBinaries); err != nil {
		return nil, err
	}
	return s, nil
}

// binaries parses the duckdb-binaries mapping: known releases, each named once, to non-empty
// paths, kept as written.
func (p *parser) binaries(n ast.Node) (map[string]string, *Error) {
	const allowed = "a mapping of RELEASE: PATH, e.g. duckdb-binaries: {1.5.6: /opt/lockbench-1.5.6}"
	n = unwrap(n)
	var pairs []*ast.MappingValueNode
	switch t := n.(type) {
	case nil, *ast.NullNode:
		return nil, nil
	case *ast.MappingNode:
		pairs = t.Values
	case *ast.MappingValueNode:
		pairs = []*ast.MappingValueNode{t}
	default:
		return nil, p.errAt(n, allowed, "duckdb-binaries: wrong type: got %s", describe(n))
	}
	out := make(map[string]string, len(pairs))
	for _, mv := range pairs {
		name := keyText(mv.Key)
		v, verr := parseScalar(axDuckDB, name)
		if verr != nil || v.canon == vocab.DefaultValue {
			return nil, p.errAt(mv.Key, allowed+"; releases: "+strings.Join(release.Names(), ", "), "duckdb-binaries: unknown DuckDB release %q", name)
		}
		if _, dup := out[v.canon]; dup {
			return nil, p.errAt(mv.Key, allowed, "duckdb-binaries: release %s named twice", v.canon)
		}
		val := unwrap(mv.Value)
		bin, ok := scalarText(val)
		if _, null := val.(*ast.NullNode); null || val == nil {
			bin, ok = "", true
		}
		if !ok {
			return nil, p.errAt(val, allowed, "duckdb-binaries.%s: wrong type: got %s", name, describe(val))
		}
		if strings.TrimSpace(bin) == "" {
			return nil, p.errAt(mv.Key, allowed, "duckdb-binaries: no path for %s", name)
		}
		out[v.canon] = strings.TrimSpace(bin)
	}
	return out, nil
}

func (p *parser) workload(n ast.Node) (Workload, *Error) {
	const allowed = `sim, or {kind: exec, command: "TEMPLATE"}`
	n = unwrap(n)
	var w rawWorkload
	switch t := n.(type) {
	case nil, *ast.NullNode:
		return Workload{Kind: WorkloadSim}, nil
	case *ast.StringNode:
		w.Kind = t.Value
	case *ast.MappingNode, *ast.MappingValueNode:
		if err := decode(n, &w); err != nil {
			return Workload{}, p.decodeErr(err)
		}
	default:
		return Workload{}, p.errAt(n, allowed, "workload: wrong type: got %s", describe(n))
	}
	switch w.Kind {
	case WorkloadSim:
		if w.Command != "" {
			return Workload{}, p.errPath("workload.command", allowed, "a sim workload takes no command")
		}
		return Workload{Kind: WorkloadSim}, nil
	case WorkloadExec:
		if strings.TrimSpace(w.Command) == "" {
			return Workload{}, p.errAt(n, allowed, "an exec workload needs a command")
		}
		if bad, ok := checkTemplate(w.Command, workloadPlaceholders); !ok {
			return Workload{}, p.errPath("workload.command", placeholderList(workloadPlaceholders), "workload.command: unknown placeholder %s", bad)
		}
		return Workload{Kind: WorkloadExec, Command: w.Command}, nil
	}
	at := n
	if k := p.ix.values["workload.kind"]; k != nil {
		at = k
	}
	return Workload{}, p.errAt(at, allowed, "unknown workload %q", w.Kind)
}

func (p *parser) timeout(n ast.Node) (time.Duration, *Error) {
	n = unwrap(n)
	var text string
	switch t := n.(type) {
	case *ast.StringNode:
		text = t.Value
	case *ast.IntegerNode:
		text = t.GetToken().Value
	default:
		return 0, p.errAt(n, DurationAllowed, "timeout: wrong type: got %s", describe(n))
	}
	d, err := ParseDuration(text)
	if err != nil {
		return 0, p.errAt(n, DurationAllowed, "timeout: %v", err)
	}
	return d, nil
}

// scalarText returns the text of a scalar node.
func scalarText(n ast.Node) (string, bool) {
	switch t := n.(type) {
	case *ast.StringNode:
		return t.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		return t.GetToken().Value, true
	}
	return "", false
}

// value parses the value of axis a at node n (path names it in messages).
func (p *parser) value(a axis, n ast.Node, path string) (value, *Error) {
	n = unwrap(n)
	switch t := n.(type) {
	case nil, *ast.NullNode:
		return value{}, p.errPath(path, allowedFor(a), "%s: missing value", path)
	case *ast.SequenceNode:
		if a != axYears {
			return value{}, p.errAt(n, allowedFor(a), "%s: wrong type: got a list", path)
		}
		years := make([]int, 0, len(t.Values))
		for i, el := range t.Values {
			el = unwrap(el)
			in, ok := el.(*ast.IntegerNode)
			if !ok {
				return value{}, p.errAt(el, allowedFor(a), "%s[%d]: wrong type: got %s", path, i, describe(el))
			}
			y, err := strconv.Atoi(in.GetToken().Value)
			if err != nil {
				return value{}, p.errAt(el, allowedFor(a), "%s[%d]: %s is not a year", path, i, in.GetToken().Value)
			}
			// Checked as it grows, so that the error points at the first year that is wrong.
			years = append(years, y)
			if err := vocab.CheckYears(years); err != nil {
				return value{}, p.errAt(el, allowedFor(a), "%s[%d]: %v", path, i, err)
			}
		}
		v, verr := yearsValue(years)
		if verr != nil {
			return value{}, p.errAt(n, verr.allowed, "%s: %s", path, verr.msg)
		}
		return v, nil
	case *ast.MappingNode, *ast.MappingValueNode:
		if a != axCompetitor {
			return value{}, p.errAt(n, allowedFor(a), "%s: wrong type: got a mapping", path)
		}
		return p.competitor(n, path)
	}
	text, ok := scalarText(n)
	if !ok {
		return value{}, p.errAt(n, allowedFor(a), "%s: wrong type: got %s", path, describe(n))
	}
	if _, isBool := n.(*ast.BoolNode); isBool && a != axCoordination && a != axLockRetry {
		return value{}, p.errAt(n, allowedFor(a), "%s: wrong type: got %s", path, describe(n))
	}
	v, verr := parseScalar(a, text)
	if verr != nil {
		return value{}, p.errAt(n, verr.allowed, "%s: %s", path, verr.msg)
	}
	return v, nil
}

func (p *parser) competitor(n ast.Node, path string) (value, *Error) {
	var rc rawCompetitor
	if err := decode(n, &rc); err != nil {
		return value{}, p.decodeErr(err)
	}
	at := func(opt string) ast.Node {
		if v := p.ix.values[path+"."+opt]; v != nil {
			return v
		}
		return n
	}
	kind, kerr := vocab.ParseCompetitorKind(rc.Kind)
	if kerr != nil {
		if rc.Kind == "" {
			return value{}, p.errAt(n, allowedFor(axCompetitor), "%s: the competitor mapping needs a kind", path)
		}
		return value{}, p.errAt(at("kind"), allowedFor(axCompetitor), "%s: unknown competitor %q", path, rc.Kind)
	}
	c := CompetitorSpec{Kind: kind, Command: rc.Command}
	if rc.Count != nil {
		if kind != vocab.Readers && kind != vocab.Viewers {
			return value{}, p.errAt(at("count"), "count with kind readers or viewers", "%s: count applies only to readers and viewers, not %s", path, rc.Kind)
		}
		if *rc.Count < 1 {
			return value{}, p.errAt(at("count"), "an integer ≥ 1", "%s: count must be at least 1, not %d", path, *rc.Count)
		}
		c.Count = *rc.Count
	}
	if rc.Period != "" {
		if kind != vocab.FlappingProcess && !kind.Cooperates() {
			return value{}, p.errAt(at("period"), "period with kind flapping-process, viewers or second-writer", "%s: period applies only to flapping-process, viewers and second-writer, not %s", path, rc.Kind)
		}
		d, err := ParseDuration(rc.Period)
		if err != nil {
			return value{}, p.errAt(at("period"), DurationAllowed, "%s: period: %v", path, err)
		}
		if d < MinPeriod {
			return value{}, p.errAt(at("period"), "a period from 10ms to 24h such as 500ms", "%s: period %s is shorter than %s", path, d, MinPeriod)
		}
		c.Period = d
	}
	if rc.Start != "" {
		st, err := ParseStart(rc.Start)
		if err != nil {
			return value{}, p.errAt(at("start"), startAllowed, "%s: %v", path, err)
		}
		c.Start = st
	}
	if rc.Command != "" {
		if kind != vocab.ExecCompetitor {
			return value{}, p.errAt(at("command"), "command with kind exec", "%s: command applies only to exec, not %s", path, rc.Kind)
		}
		if bad, ok := checkTemplate(rc.Command, competitorPlaceholders); !ok {
			return value{}, p.errAt(at("command"), placeholderList(competitorPlaceholders), "%s.command: unknown placeholder %s", path, bad)
		}
	}
	if rc.DuckDB != nil {
		n := unwrap(rc.DuckDB)
		text, ok := scalarText(n)
		if !ok {
			return value{}, p.errAt(at("duckdb"), allowedFor(axDuckDB), "%s.duckdb: wrong type: got %s", path, describe(n))
		}
		if !kind.RunsLockbench() {
			return value{}, p.errAt(at("duckdb"), "duckdb with kind "+vocab.Join(releaseKinds()),
				"%s: competitor %s takes no duckdb release: %s", path, kind, noReleaseWhy(kind))
		}
		if text != vocab.DefaultValue {
			v, verr := parseScalar(axDuckDB, text)
			if verr != nil {
				return value{}, p.errAt(at("duckdb"), verr.allowed, "%s.duckdb: %s", path, verr.msg)
			}
			c.DuckDB = v.canon
		}
	}
	c = c.withDefaults()
	if verr := c.check(); verr != nil {
		return value{}, p.errAt(n, verr.allowed, "%s: %s", path, verr.msg)
	}
	return value{canon: c.String(), v: c}, nil
}

// axesOf parses every axis given in r (a defaults, include, exclude or selector mapping).
func (p *parser) axesOf(r *rawAxes, path string) (map[axis]value, map[axis]ast.Node, *Error) {
	vals := map[axis]value{}
	nodes := map[axis]ast.Node{}
	if r == nil {
		return vals, nodes, nil
	}
	for a, n := range r.nodes() {
		if n == nil {
			if _, present := p.ix.keys[joinPath(path, vocab.Axes[a])]; !present {
				continue
			}
		}
		v, err := p.value(axis(a), n, joinPath(path, vocab.Axes[a]))
		if err != nil {
			return nil, nil, err
		}
		vals[axis(a)] = v
		nodes[axis(a)] = n
	}
	return vals, nodes, nil
}

func (p *parser) selector(r *rawAxes, path string) (criteria.Selector, map[axis]value, *Error) {
	vals, _, err := p.axesOf(r, path)
	if err != nil {
		return nil, nil, err
	}
	sel := criteria.Selector{}
	for a, v := range vals {
		sel[vocab.Axes[a]] = v.canon
	}
	return sel, vals, nil
}

func (p *parser) outcome(n ast.Node, path string) (string, *Error) {
	allowed := vocab.Join(vocab.Kinds) + " (or a list of them)"
	n = unwrap(n)
	var items []ast.Node
	switch t := n.(type) {
	case nil, *ast.NullNode:
		return "", p.errPath(path, allowed, "%s: missing outcome", path)
	case *ast.SequenceNode:
		if len(t.Values) == 0 {
			return "", p.errAt(n, allowed, "%s: empty list of outcomes", path)
		}
		items = t.Values
	default:
		items = []ast.Node{n}
	}
	got := map[string]bool{}
	for _, it := range items {
		it = unwrap(it)
		s, ok := it.(*ast.StringNode)
		if !ok {
			return "", p.errAt(it, allowed, "%s: wrong type: got %s", path, describe(it))
		}
		if _, err := vocab.ParseKind(s.Value); err != nil {
			return "", p.errAt(it, allowed, "%s: unknown outcome %q", path, s.Value)
		}
		got[s.Value] = true
	}
	var out []string
	for _, o := range vocab.Kinds {
		if got[string(o)] {
			out = append(out, string(o))
		}
	}
	return strings.Join(out, "|"), nil
}

func (p *parser) expectations(raw []rawExpect, cells []icell) ([]criteria.Expectation, *Error) {
	var out []criteria.Expectation
	for i := range raw {
		path := fmt.Sprintf("expect[%d]", i)
		sel, vals, err := p.selector(raw[i].Cells, path+".cells")
		if err != nil {
			return nil, err
		}
		o, err := p.outcome(raw[i].Outcome, path+".outcome")
		if err != nil {
			return nil, err
		}
		n := 0
		for j := range cells {
			if cells[j].matches(vals) {
				cells[j].expect = o
				n++
			}
		}
		if n == 0 {
			return nil, p.errKey(path+".cells", cellsOn(cells, vals), "%s.cells selects no cell", path)
		}
		out = append(out, criteria.Expectation{Cells: sel, Outcome: o, Note: raw[i].Note})
	}
	for j := range cells {
		if cells[j].expect == "" {
			cells[j].expect = string(vocab.OK)
		}
	}
	return out, nil
}

func (p *parser) targets(raw []rawTarget, cells []icell) ([]criteria.Target, *Error) {
	var out []criteria.Target
	seen := map[string]bool{}
	for i, rt := range raw {
		path := fmt.Sprintf("targets[%d]", i)
		if rt.Name == "" {
			return nil, p.errPath(path, "a unique name", "%s needs a name", path)
		}
		if seen[rt.Name] {
			return nil, p.errPath(path+".name", "a unique name", "%s: duplicate target name %q", path, rt.Name)
		}
		seen[rt.Name] = true
		if _, err := vocab.ParseMetric(rt.Metric); err != nil {
			if rt.Metric == "" {
				return nil, p.errPath(path, vocab.Join(vocab.Metrics), "%s needs a metric", path)
			}
			return nil, p.errPath(path+".metric", vocab.Join(vocab.Metrics), "%s: unknown metric %q", path, rt.Metric)
		}
		if rt.Reduction == nil {
			return nil, p.errPath(path, "a number below 1, e.g. reduction: 0.65", "%s needs a reduction", path)
		}
		if r := *rt.Reduction; !(r < 1 && r >= criteria.MinReduction) {
			return nil, p.errPath(path+".reduction", "a number from -10 to below 1 (0.65 means at least 65% lower, -0.1 at most 10% higher)",
				"%s: reduction %v is not from -10 to below 1", path, r)
		}
		t := criteria.Target{Name: rt.Name, Metric: vocab.Metric(rt.Metric), Reduction: *rt.Reduction}
		for _, side := range []struct {
			name string
			raw  *rawAxes
			dst  *criteria.Selector
		}{{"baseline", rt.Baseline, &t.Baseline}, {"candidate", rt.Candidate, &t.Candidate}} {
			sp := path + "." + side.name
			sel, vals, err := p.selector(side.raw, sp)
			if err != nil {
				return nil, err
			}
			if len(sel) == 0 {
				return nil, p.errPath(path, "a mapping of axis: value, e.g. {mode: threaded, coordination: on}", "%s needs a %s selector", path, side.name)
			}
			n := 0
			for j := range cells {
				if !cells[j].matches(vals) {
					continue
				}
				n++
				if cells[j].expect != string(vocab.OK) {
					return nil, p.errKey(sp, "selectors of cells that expect ok (add e.g. competitor: none)", "%s selects cell %s, which expects %s", sp, cells[j].key, cells[j].expect)
				}
			}
			if n == 0 {
				return nil, p.errKey(sp, cellsOn(cells, vals), "%s selects no cell", sp)
			}
			*side.dst = sel
		}
		out = append(out, t)
	}
	return out, nil
}

// cellsOn lists the distinct values the cells have on the axes of vals, to show what a selector
// that matched nothing could have said.
func cellsOn(cells []icell, vals map[axis]value) string {
	var list []string
	seen := map[string]bool{}
	for _, c := range cells {
		var parts []string
		for a := range numAxes {
			if _, ok := vals[a]; ok {
				parts = append(parts, vocab.Axes[a]+"="+c.vals[a].canon)
			}
		}
		s := strings.Join(parts, "/")
		if !seen[s] {
			seen[s] = true
			list = append(list, s)
		}
	}
	const shown = 8
	if len(list) > shown {
		list = append(list[:shown], fmt.Sprintf("… (%d in all)", len(list)))
	}
	return "cells with " + strings.Join(list, ", ")
}
