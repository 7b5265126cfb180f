package sim

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"

	"lockbench/sim/trace"
)

// Node is one step of a run: a model built for a year (or once), or one of the built-in steps
// (reset, seeds, census, history validation, checkpoint).
type Node struct {
	// ID is unique in the plan: the name, followed by @year for per-year steps.
	ID   string
	Name string
	// Year is the simulation year, or 0 for steps that run once.
	Year int
	// Kind is the span kind of the step's work: model for essential work, recompute for a
	// redundant rebuild, validate or checkpoint for the uncoordinated orchestration's extras.
	Kind  trace.Kind
	Deps  []*Node
	Model *Model
	// SQL is the rendered model SQL (empty for built-in steps).
	SQL string

	order      int
	dependents []*Node
}

// Plan is the DAG of one run, its nodes in a deterministic topological order.
type Plan struct {
	Nodes []*Node
	byID  map[string]*Node
	cfg   Config
	data  TemplateData
	seeds []Seed
}

// Node returns the node with the given ID.
func (p *Plan) Node(id string) (*Node, bool) {
	n, ok := p.byID[id]
	return n, ok
}

// seedTables maps the tables produced by built-in steps to the step's name.
func builtinTables(seeds []Seed) map[string]string {
	m := map[string]string{"raw_census": "census"}
	for _, s := range seeds {
		m[s.Name] = "seeds"
	}
	return m
}

// BuildPlan renders every model for every year and links the DAG from the refs in their SQL. A
// ref that no model or seed produces, and a cycle, are errors naming the models involved.
func BuildPlan(cfg Config, models []*Model) (*Plan, error) {
	if len(cfg.Years) == 0 {
		return nil, fmt.Errorf("no simulation years")
	}
	seeds, err := LoadSeeds()
	if err != nil {
		return nil, err
	}
	p := &Plan{byID: map[string]*Node{}, cfg: cfg, seeds: seeds}
	start, end := cfg.Years[0], cfg.Years[len(cfg.Years)-1]
	base := TemplateData{StartYear: start, EndYear: end, CensusYear: start - 1, Seed: cfg.Seed}
	p.data = base

	builtins := builtinTables(seeds)
	producers := map[string]*Model{} // table -> model
	for _, m := range models {
		if m.Materialized == DDL {
			continue
		}
		t := m.Name
		if m.Materialized == Incremental {
			t = m.Into
		}
		if other, dup := producers[t]; dup {
			return nil, fmt.Errorf("models %s and %s both produce table %s", other.Name, m.Name, t)
		}
		producers[t] = m
	}

	add := func(n *Node) *Node {
		p.byID[n.ID] = n
		p.Nodes = append(p.Nodes, n)
		return n
	}
	reset := add(&Node{ID: "reset", Name: "reset", Kind: trace.Model})
	add(&Node{ID: "seeds", Name: "seeds", Kind: trace.Model, Deps: []*Node{reset}})
	add(&Node{ID: "census", Name: "census", Kind: trace.Model, Deps: []*Node{reset}})
	var schema *Node
	for _, m := range models {
		if m.Materialized == DDL {
			sql, _, err := m.Render(base)
			if err != nil {
				return nil, err
			}
			schema = add(&Node{ID: m.Name, Name: m.Name, Kind: trace.Model, Model: m, SQL: sql, Deps: []*Node{reset}})
		}
	}

	type pending struct {
		n    *Node
		refs []Ref
	}
	var todo []pending
	// Setup models once; per-year models for each year; the uncoordinated orchestration also
	// rebuilds the seeds and setup models at the start of every later year.
	for _, m := range models {
		if m.Scope != SetupScope || m.Materialized == DDL {
			continue
		}
		sql, refs, err := m.Render(base)
		if err != nil {
			return nil, err
		}
		todo = append(todo, pending{add(&Node{ID: m.Name, Name: m.Name, Kind: trace.Model, Model: m, SQL: sql}), refs})
	}
	recomputed := map[string]bool{}
	gates := map[int][]*Node{}
	for i, y := range cfg.Years {
		d := base
		d.Year, d.PrevYear, d.IsStartYear = y, y-1, i == 0
		if i > 0 && cfg.Years[i-1] != y-1 {
			d.PrevYear = cfg.Years[i-1]
		}
		if i > 0 && !cfg.Coordination {
			add(&Node{ID: fmt.Sprintf("seeds@%d", y), Name: "seeds", Year: y, Kind: trace.Recompute})
			recomputed["seeds"] = true
			for _, m := range models {
				if m.Scope != SetupScope || m.Materialized == DDL {
					continue
				}
				sql, refs, err := m.Render(base)
				if err != nil {
					return nil, err
				}
				todo = append(todo, pending{add(&Node{ID: fmt.Sprintf("%s@%d", m.Name, y), Name: m.Name, Year: y, Kind: trace.Recompute, Model: m, SQL: sql}), refs})
				recomputed[m.Name] = true
			}
		}
		for _, m := range models {
			if m.Scope != YearScope {
				continue
			}
			sql, refs, err := m.Render(d)
			if err != nil {
				return nil, err
			}
			n := add(&Node{ID: fmt.Sprintf("%s@%d", m.Name, y), Name: m.Name, Year: y, Kind: trace.Model, Model: m, SQL: sql})
			if m.Materialized == Incremental && schema != nil {
				n.Deps = append(n.Deps, schema)
			}
			todo = append(todo, pending{n, refs})
		}
		// The year ends with a checkpoint and, uncoordinated, a validation of the whole history.
		var yearNodes []*Node
		for _, n := range p.Nodes {
			if n.Year == y && n.Model != nil && n.Model.Scope == YearScope {
				yearNodes = append(yearNodes, n)
			}
		}
		ck := add(&Node{ID: fmt.Sprintf("checkpoint@%d", y), Name: "checkpoint", Year: y, Kind: trace.Checkpoint, Deps: yearNodes})
		gates[y] = []*Node{ck}
		if !cfg.Coordination {
			gates[y] = append(gates[y], add(&Node{ID: fmt.Sprintf("validate_history@%d", y), Name: "validate_history", Year: y, Kind: trace.Validate, Deps: yearNodes}))
		}
	}

	resolve := func(n *Node, r Ref) (*Node, error) {
		year := n.Year
		if r.Prev {
			prevIdx := indexOf(cfg.Years, year) - 1
			if prevIdx < 0 {
				return nil, fmt.Errorf("model %s (year %d) asks for the previous year's %s, but %d is the first year", n.Name, year, r.Name, year)
			}
			year = cfg.Years[prevIdx]
		}
		name := r.Name
		if b, ok := builtins[name]; ok {
			name = b
		} else if m, ok := producers[name]; ok {
			name = m.Name
		} else {
			return nil, fmt.Errorf("model %s refs %q, which no model or seed produces (models are in sim/models/*.sql)", n.Name, r.Name)
		}
		if prod, ok := p.byID[name]; ok && prod.Year == 0 {
			// A setup product: the year's rebuild when there is one.
			if year != 0 && recomputed[name] {
				if rb, ok := p.byID[fmt.Sprintf("%s@%d", name, year)]; ok && rb.Kind == trace.Recompute {
					return rb, nil
				}
			}
			return prod, nil
		}
		target, ok := p.byID[fmt.Sprintf("%s@%d", name, year)]
		if !ok {
			return nil, fmt.Errorf("model %s refs %q, which is built per year but has no build for %d", n.Name, r.Name, year)
		}
		return target, nil
	}
	for _, t := range todo {
		for _, r := range t.refs {
			dep, err := resolve(t.n, r)
			if err != nil {
				return nil, err
			}
			if dep != t.n {
				t.n.Deps = append(t.n.Deps, dep)
			}
		}
		if t.n.Model != nil && t.n.Model.Scope == SetupScope && len(t.n.Deps) == 0 {
			t.n.Deps = append(t.n.Deps, reset)
		}
	}
	// Recomputed seeds depend on the fresh start; every year's first steps wait for the
	// previous year's gate (checkpoint and validation).
	for i, y := range cfg.Years {
		if i == 0 {
			continue
		}
		for _, n := range p.Nodes {
			if n.Year != y {
				continue
			}
			sameYear := false
			for _, d := range n.Deps {
				if d.Year == y {
					sameYear = true
				}
			}
			if !sameYear {
				n.Deps = append(n.Deps, gates[cfg.Years[i-1]]...)
			}
		}
	}
	return p, p.sortTopological()
}

func indexOf(ys []int, y int) int {
	for i, v := range ys {
		if v == y {
			return i
		}
	}
	return -1
}

// sortTopological orders the nodes with Kahn's algorithm, breaking ties by year and then by the
// order the nodes were declared, and reports a cycle by naming the nodes on it.
func (p *Plan) sortTopological() error {
	declared := map[*Node]int{}
	for i, n := range p.Nodes {
		declared[n] = i
		n.Deps = dedupNodes(n.Deps)
		n.dependents = nil
	}
	indeg := map[*Node]int{}
	for _, n := range p.Nodes {
		indeg[n] = len(n.Deps)
		for _, d := range n.Deps {
			d.dependents = append(d.dependents, n)
		}
	}
	less := func(a, b *Node) bool {
		if a.Year != b.Year {
			return a.Year < b.Year
		}
		return declared[a] < declared[b]
	}
	var ready, out []*Node
	for _, n := range p.Nodes {
		if indeg[n] == 0 {
			ready = append(ready, n)
		}
	}
	for len(ready) > 0 {
		sort.Slice(ready, func(i, j int) bool { return less(ready[i], ready[j]) })
		n := ready[0]
		ready = ready[1:]
		n.order = len(out)
		out = append(out, n)
		for _, d := range n.dependents {
			indeg[d]--
			if indeg[d] == 0 {
				ready = append(ready, d)
			}
		}
	}
	if len(out) != len(p.Nodes) {
		return fmt.Errorf("the models form a cycle: %s", describeCycle(p.Nodes, indeg))
	}
	p.Nodes = out
	return nil
}

func dedupNodes(ns []*Node) []*Node {
	seen := map[*Node]bool{}
	var out []*Node
	for _, n := range ns {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// describeCycle follows unfinished dependencies from an unfinished node until one repeats.
func describeCycle(nodes []*Node, indeg map[*Node]int) string {
	var start *Node
	for _, n := range nodes {
		if indeg[n] > 0 {
			start = n
			break
		}
	}
	seen := map[*Node]int{}
	var path []string
	for n := start; n != nil; {
		if i, ok := seen[n]; ok {
			return strings.Join(append(path[i:], n.ID), " -> ")
		}
		seen[n] = len(path)
		path = append(path, n.ID)
		var next *Node
		for _, d := range n.Deps {
			if indeg[d] > 0 {
				next = d
				break
			}
		}
		n = next
	}
	return strings.Join(path, " -> ")
}

// OwnedTables lists every table the simulation creates, so that a run can clear exactly its own
// tables and leave everything else in the file alone.
func (p *Plan) OwnedTables() []string {
	set := map[string]bool{"raw_census": true}
	for _, s := range p.seeds {
		set[s.Name] = true
	}
	for _, n := range p.Nodes {
		if n.Model == nil {
			continue
		}
		switch n.Model.Materialized {
		case Table:
			set[n.Model.Name] = true
		case Incremental:
			set[n.Model.Into] = true
		}
	}
	for _, t := range []string{"fct_yearly_events", "fct_workforce_snapshot", "dq_results", "mart_comp_growth",
		"ckpt_fct_yearly_events", "ckpt_fct_workforce_snapshot"} {
		set[t] = true
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// execer is what a step needs from a database connection.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
