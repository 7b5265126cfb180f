package sim

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"lockbench/trace"
)

// Node is one step of a run: a model built for a year (or once), or one of the built-in steps
// (reset, a seed load, the census, a validation, a checkpoint).
type Node struct {
	// ID is unique in the plan: the name, followed by @year for per-year steps.
	ID   string
	Name string
	// Year is the simulation year, or 0 for steps that run once.
	Year int
	// Kind is the span kind of the step's work: model for essential work, recompute for a
	// redundant rebuild, validate or checkpoint for the orchestration's checks and state capture.
	Kind  trace.Kind
	Deps  []*Node
	Model *Model
	// Seed is the parameter table a seed-load step creates.
	Seed *Seed
	// SQL is the rendered model SQL (empty for built-in steps).
	SQL string

	order      int
	dependents []*Node
}

// Built-in steps, by name.
const (
	stepReset           = "reset"
	stepCensus          = "census"
	stepCheckpoint      = "checkpoint"
	stepValidateYear    = "validate_year"
	stepValidateHistory = "validate_history"
)

// Plan is the DAG of one run, its nodes in a deterministic topological order.
type Plan struct {
	Nodes []*Node
	byID  map[string]*Node
	cfg   Config
	data  TemplateData
	seeds []Seed
	// publishTo is the path the publish strategy publishes to (cfg.DBPath is then the private file).
	publishTo string
}

// Node returns the node with the given ID.
func (p *Plan) Node(id string) (*Node, bool) {
	n, ok := p.byID[id]
	return n, ok
}

// pendingRefs is a node whose refs are not linked yet.
type pendingRefs struct {
	n    *Node
	refs []Ref
}

// planBuilder holds what BuildPlan needs while it adds nodes.
type planBuilder struct {
	p         *Plan
	models    []*Model
	producers map[string]*Model // table -> model
	builtins  map[string]string // table -> built-in step
	todo      []pendingRefs
	// recomputed names the set-up steps the uncoordinated orchestration rebuilds every year.
	recomputed map[string]bool
	// gates are the steps a year's first steps wait for: the previous year's checkpoint and,
	// uncoordinated, its history validation.
	gates map[int][]*Node
	reset *Node
	ddl   *Node
}

// BuildPlan renders every model for every year and links the DAG from the refs in their SQL. A
// ref that no model or seed produces, and a cycle, are errors naming the models involved.
func BuildPlan(cfg Config, models []*Model) (*Plan, error) {
	if len(cfg.Years) == 0 {
		return nil, fmt.Errorf("no simulation years")
	}
	seeds, err := LoadParams(cfg.ParamsDir)
	if err != nil {
		return nil, err
	}
	start, end := cfg.Years[0], cfg.Years[len(cfg.Years)-1]
	scenario := cfg.Scenario
	if scenario == "" {
		scenario = DefaultScenario
	}
	b := &planBuilder{
		p: &Plan{byID: map[string]*Node{}, cfg: cfg, seeds: seeds,
			data: TemplateData{StartYear: start, EndYear: end, CensusYear: start - 1, Seed: cfg.Seed, Scenario: scenario}},
		models: models, producers: map[string]*Model{}, builtins: map[string]string{"raw_census": stepCensus},
		recomputed: map[string]bool{}, gates: map[int][]*Node{},
	}
	for _, s := range seeds {
		b.builtins[s.Name] = s.Name
	}
	if err := b.indexProducers(); err != nil {
		return nil, err
	}
	if err := b.addSetup(); err != nil {
		return nil, err
	}
	for i, y := range cfg.Years {
		if err := b.addYear(i, y); err != nil {
			return nil, err
		}
	}
	if err := b.linkRefs(); err != nil {
		return nil, err
	}
	b.linkYearGates()
	return b.p, b.p.sortTopological()
}

func (b *planBuilder) add(n *Node) *Node {
	b.p.byID[n.ID] = n
	b.p.Nodes = append(b.p.Nodes, n)
	return n
}

// indexProducers maps every table to the model that produces it.
func (b *planBuilder) indexProducers() error {
	for _, m := range b.models {
		if m.Materialized == DDL {
			continue
		}
		t := m.Name
		if m.Materialized == Incremental {
			t = m.Into
		}
		if other, dup := b.producers[t]; dup {
			return fmt.Errorf("models %s and %s both produce table %s", other.Name, m.Name, t)
		}
		b.producers[t] = m
	}
	return nil
}

// addSetup adds the steps that run once: reset, a load per seed, the census, the schema and the
// set-up models.
func (b *planBuilder) addSetup() error {
	b.reset = b.add(&Node{ID: stepReset, Name: stepReset, Kind: trace.Model})
	for i := range b.p.seeds {
		s := &b.p.seeds[i]
		b.add(&Node{ID: s.Name, Name: s.Name, Kind: trace.Model, Seed: s, Deps: []*Node{b.reset}})
	}
	b.add(&Node{ID: stepCensus, Name: stepCensus, Kind: trace.Model, Deps: []*Node{b.reset}})
	for _, m := range b.models {
		if m.Materialized != DDL {
			continue
		}
		sql, _, err := m.Render(b.p.data)
		if err != nil {
			return err
		}
		b.ddl = b.add(&Node{ID: m.Name, Name: m.Name, Kind: trace.Model, Model: m, SQL: sql, Deps: []*Node{b.reset}})
	}
	for _, m := range b.models {
		if m.Scope != SetupScope || m.Materialized == DDL {
			continue
		}
		sql, refs, err := m.Render(b.p.data)
		if err != nil {
			return err
		}
		b.todo = append(b.todo, pendingRefs{b.add(&Node{ID: m.Name, Name: m.Name, Kind: trace.Model, Model: m, SQL: sql}), refs})
	}
	return nil
}

// yearData is the template data of the i-th simulation year y.
func (p *Plan) yearData(i, y int) TemplateData {
	d := p.data
	d.Year, d.PrevYear, d.IsStartYear = y, y-1, i == 0
	if i > 0 {
		d.PrevYear = p.cfg.Years[i-1]
	}
	d.YearDays = yearDays(y)
	return d
}

// yearDays is the length of year y in days.
func yearDays(y int) int { return time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC).YearDay() }

// addYear adds the i-th year's steps: uncoordinated, the rebuilt seeds and set-up models first;
// then every per-year model, the year's validation and its checkpoint.
func (b *planBuilder) addYear(i, y int) error {
	cfg := b.p.cfg
	if i > 0 && !cfg.Coordination {
		for k := range b.p.seeds {
			s := &b.p.seeds[k]
			b.add(&Node{ID: fmt.Sprintf("%s@%d", s.Name, y), Name: s.Name, Year: y, Kind: trace.Recompute, Seed: s})
			b.recomputed[s.Name] = true
		}
		for _, m := range b.models {
			if m.Scope != SetupScope || m.Materialized == DDL {
				continue
			}
			sql, refs, err := m.Render(b.p.data)
			if err != nil {
				return err
			}
			n := b.add(&Node{ID: fmt.Sprintf("%s@%d", m.Name, y), Name: m.Name, Year: y, Kind: trace.Recompute, Model: m, SQL: sql})
			b.todo = append(b.todo, pendingRefs{n, refs})
			b.recomputed[m.Name] = true
		}
	}
	d := b.p.yearData(i, y)
	var yearNodes []*Node
	for _, m := range b.models {
		if m.Scope != YearScope {
			continue
		}
		sql, refs, err := m.Render(d)
		if err != nil {
			return err
		}
		n := b.add(&Node{ID: fmt.Sprintf("%s@%d", m.Name, y), Name: m.Name, Year: y, Kind: trace.Model, Model: m, SQL: sql})
		b.todo = append(b.todo, pendingRefs{n, refs})
		yearNodes = append(yearNodes, n)
	}
	// The year ends with its checkpoint and its validation. Coordinated, the validation checks
	// year N only and the next year need not wait for it (progressive validation); uncoordinated,
	// it re-validates the whole history and the next year waits for it.
	ck := b.add(&Node{ID: fmt.Sprintf("%s@%d", stepCheckpoint, y), Name: stepCheckpoint, Year: y, Kind: trace.Checkpoint, Deps: yearNodes})
	b.gates[y] = []*Node{ck}
	if cfg.Coordination {
		b.add(&Node{ID: fmt.Sprintf("%s@%d", stepValidateYear, y), Name: stepValidateYear, Year: y, Kind: trace.Validate, Deps: yearNodes})
	} else {
		v := b.add(&Node{ID: fmt.Sprintf("%s@%d", stepValidateHistory, y), Name: stepValidateHistory, Year: y, Kind: trace.Validate, Deps: yearNodes})
		b.gates[y] = append(b.gates[y], v)
	}
	return nil
}

// resolve finds the node that produces what n's ref r reads.
func (b *planBuilder) resolve(n *Node, r Ref) (*Node, error) {
	years := b.p.cfg.Years
	year := n.Year
	if r.Prev {
		prevIdx := indexOf(years, year) - 1
		if prevIdx < 0 {
			return nil, fmt.Errorf("model %s (year %d) asks for the previous year's %s, but %d is the first year", n.Name, year, r.Name, year)
		}
		year = years[prevIdx]
	}
	name := r.Name
	if s, ok := b.builtins[name]; ok {
		name = s
	} else if m, ok := b.producers[name]; ok {
		name = m.Name
	} else {
		return nil, fmt.Errorf("model %s refs %q, which no model or seed produces (models are in sim/models/*.sql)", n.Name, r.Name)
	}
	if prod, ok := b.p.byID[name]; ok && prod.Year == 0 {
		// A set-up product: the year's rebuild when there is one.
		if year != 0 && b.recomputed[name] {
			if rb, ok := b.p.byID[fmt.Sprintf("%s@%d", name, year)]; ok && rb.Kind == trace.Recompute {
				return rb, nil
			}
		}
		return prod, nil
	}
	target, ok := b.p.byID[fmt.Sprintf("%s@%d", name, year)]
	if !ok {
		return nil, fmt.Errorf("model %s refs %q, which is built per year but has no build for %d", n.Name, r.Name, year)
	}
	return target, nil
}

// linkRefs turns every pending ref into a dependency edge.
func (b *planBuilder) linkRefs() error {
	for _, t := range b.todo {
		for _, r := range t.refs {
			dep, err := b.resolve(t.n, r)
			if err != nil {
				return err
			}
			if dep != t.n {
				t.n.Deps = append(t.n.Deps, dep)
			}
		}
		if t.n.Model != nil && t.n.Model.Scope == SetupScope && len(t.n.Deps) == 0 {
			t.n.Deps = append(t.n.Deps, b.reset)
		}
		if t.n.Model != nil && b.ddl != nil {
			// Models use the schema's types (the enums of bands, event types and statuses).
			t.n.Deps = append(t.n.Deps, b.ddl)
		}
	}
	return nil
}

// linkYearGates makes every year's first steps (those with no input from their own year, such as
// rebuilt seeds) wait for the previous year's gate.
func (b *planBuilder) linkYearGates() {
	years := b.p.cfg.Years
	for i, y := range years {
		if i == 0 {
			continue
		}
		for _, n := range b.p.Nodes {
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
				n.Deps = append(n.Deps, b.gates[years[i-1]]...)
			}
		}
	}
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
		"sim_year_state", "ckpt_fct_yearly_events", "ckpt_fct_workforce_snapshot"} {
		set[t] = true
	}
	out := make([]string, 0, len(set))
	for t := range set {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// OwnedTypes lists the types the simulation's schema creates (its enums), which a run drops
// after its tables and creates again.
func (p *Plan) OwnedTypes() []string {
	var out []string
	for _, n := range p.Nodes {
		if n.Model != nil && n.Model.Materialized == DDL {
			for _, m := range reCreateType.FindAllStringSubmatch(n.SQL, -1) {
				out = append(out, m[1])
			}
		}
	}
	return out
}

var reCreateType = regexp.MustCompile(`(?m)^CREATE TYPE (\w+) AS`)

// execer is what a step needs from a database connection.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
