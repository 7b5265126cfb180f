package sim

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"lockbench/access"
	"lockbench/trace"
	"lockbench/vocab"
)

// The per-worker-files strategy runs every step of the plan in a worker process that writes a
// file of its own (PartsDir/<step>.duckdb) and never opens the main file. A step reads the
// tables of the steps it depends on by ATTACHing their files read-only (they are finished and
// closed, and any number of read-only holders may share a file) and creating a temporary view of
// each table under its usual name, so the model's SQL runs unchanged. An accumulating
// (incremental) table is the union of the year slices of every step that built it up to the
// year the dependency is of, which is what the shared file would hold at that point. A step that
// reads its own accumulating table gets the earlier years copied in first. A final merge, in the
// orchestrating process, ATTACHes every part and builds the main file in one transaction.

// PartsDir is the directory of the per-worker-files strategy's files for the main file db.
func PartsDir(db string) string { return db + ".parts" }

func partPath(db string, n *Node) string {
	return filepath.Join(PartsDir(db), strings.ReplaceAll(n.ID, "@", "-")+".duckdb")
}

// partIndex says which tables each step leaves in its file.
type partIndex struct {
	p           *Plan
	outputs     map[*Node][]string
	producers   map[string][]*Node // table -> steps that leave it, in plan order
	incremental map[string]bool    // accumulating tables (year slices)
	ddl         *Node
}

func newPartIndex(p *Plan) *partIndex {
	ix := &partIndex{p: p, outputs: map[*Node][]string{}, producers: map[string][]*Node{}, incremental: map[string]bool{}}
	for _, n := range p.Nodes {
		var out []string
		switch {
		case n.Seed != nil:
			out = []string{n.Seed.Name}
		case n.Name == stepCensus:
			out = []string{"raw_census"}
		case n.Name == stepCheckpoint:
			// The year's row of the year-state table, and uncoordinated the checkpoint copies.
			out = []string{yearStateTable}
			ix.incremental[yearStateTable] = true
			if !p.cfg.Coordination {
				for _, t := range checkpointTables {
					out = append(out, "ckpt_"+t)
				}
			}
		case n.Model != nil && n.Model.Materialized == DDL:
			ix.ddl = n
		case n.Model != nil && n.Model.Materialized == Incremental:
			out = []string{n.Model.Into}
			ix.incremental[n.Model.Into] = true
		case n.Model != nil:
			out = []string{n.Model.Name}
		}
		ix.outputs[n] = out
		for _, t := range out {
			ix.producers[t] = append(ix.producers[t], n)
		}
	}
	return ix
}

// source is one step's file holding (a year slice of) a table.
type source struct {
	node *Node
	year int // the slice's simulation_year; 0 for a whole table
}

// needsDDL reports whether n writes a table the schema model creates (an accumulating, year
// state or checkpoint table), which must exist in its file before it runs.
func (ix *partIndex) needsDDL(n *Node) bool {
	for _, t := range ix.outputs[n] {
		if ix.incremental[t] || strings.HasPrefix(t, "ckpt_") {
			return true
		}
	}
	return false
}

// slices returns the year slices of accumulating table t up to year (excluding step skip).
func (ix *partIndex) slices(t string, upTo int, below bool, skip *Node) []source {
	var out []source
	for _, q := range ix.producers[t] {
		if q == skip || q.Year > upTo || (below && q.Year == upTo) {
			continue
		}
		out = append(out, source{q, q.Year})
	}
	return out
}

// inputs returns what step n reads: the views to create (table -> sources, in a stable order)
// and the earlier year slices to copy into its own accumulating tables.
func (ix *partIndex) inputs(n *Node) (tables []string, views, prefill map[string][]source) {
	views, prefill = map[string][]source{}, map[string][]source{}
	depYear := map[string]int{}
	whole := map[string]*Node{}
	seen := map[string]bool{}
	for _, d := range n.Deps {
		for _, t := range ix.outputs[d] {
			if !seen[t] {
				seen[t] = true
				tables = append(tables, t)
			}
			if ix.incremental[t] {
				if y, ok := depYear[t]; !ok || d.Year > y {
					depYear[t] = d.Year
				}
			} else if w, ok := whole[t]; !ok || d.order > w.order {
				whole[t] = d
			}
		}
	}
	own := map[string]bool{}
	for _, t := range ix.outputs[n] {
		own[t] = true
	}
	for _, r := range ix.p.refsOf(n) {
		if own[r.Name] && ix.incremental[r.Name] {
			prefill[r.Name] = ix.slices(r.Name, n.Year, true, n)
		}
	}
	var keep []string
	for _, t := range tables {
		switch {
		case own[t] && ix.incremental[t]:
			prefill[t] = ix.slices(t, n.Year, true, n)
		case own[t]:
			// A step never reads the table it replaces.
		case ix.incremental[t]:
			views[t] = ix.slices(t, depYear[t], false, n)
			keep = append(keep, t)
		default:
			views[t] = []source{{whole[t], 0}}
			keep = append(keep, t)
		}
	}
	return keep, views, prefill
}

// refsOf renders n's model again to list the tables its SQL reads, its own included.
func (p *Plan) refsOf(n *Node) []Ref {
	if n.Model == nil {
		return nil
	}
	d := p.data
	if n.Year != 0 && n.Model.Scope == YearScope {
		d = p.yearData(indexOf(p.cfg.Years, n.Year), n.Year)
	}
	_, refs, err := n.Model.Render(d)
	if err != nil {
		return nil
	}
	return refs
}

// attacher ATTACHes part files read-only on one connection, each once.
type attacher struct {
	conn    *sql.Conn
	db      string
	prefix  string
	aliases map[*Node]string
}

func (a *attacher) alias(ctx context.Context, n *Node) (string, error) {
	if al, ok := a.aliases[n]; ok {
		return al, nil
	}
	al := fmt.Sprintf("%s%d", a.prefix, len(a.aliases))
	if _, err := a.conn.ExecContext(ctx, fmt.Sprintf("ATTACH %s AS %s (READ_ONLY)", quoteLiteral(partPath(a.db, n)), al)); err != nil {
		return "", fmt.Errorf("attach the file of %s: %w", n.ID, err)
	}
	a.aliases[n] = al
	return al, nil
}

// selectFrom returns a query over the sources of table t, attaching their files.
func (a *attacher) selectFrom(ctx context.Context, t string, srcs []source) (string, error) {
	var parts []string
	for _, s := range srcs {
		al, err := a.alias(ctx, s.node)
		if err != nil {
			return "", err
		}
		q := fmt.Sprintf("SELECT * FROM %s.main.%s", al, quoteIdent(t))
		if s.year != 0 {
			q += fmt.Sprintf(" WHERE simulation_year = %d", s.year)
		}
		parts = append(parts, q)
	}
	return strings.Join(parts, " UNION ALL "), nil
}

// schemaTypesSQL returns the CREATE TYPE statements of the schema's SQL.
func schemaTypesSQL(ddl string) string {
	var b strings.Builder
	for _, line := range strings.Split(ddl, "\n") {
		if strings.HasPrefix(line, "CREATE TYPE ") {
			b.WriteString(line)
			b.WriteString("\n")
		}
	}
	return b.String()
}

// setupPart prepares step n's own file on conn: the schema when n writes an accumulating or
// checkpoint table, the earlier years of its own accumulating table, and a temporary view of
// every table it reads.
func (ix *partIndex) setupPart(ctx context.Context, conn *sql.Conn, n *Node) error {
	tables, views, prefill := ix.inputs(n)
	if ix.ddl != nil && n != ix.ddl {
		// Every step's file needs the schema's types (its enums); a step that writes an
		// accumulating table needs the whole schema.
		ddl := schemaTypesSQL(ix.ddl.SQL)
		if ix.needsDDL(n) {
			ddl = ix.ddl.SQL
		}
		if _, err := conn.ExecContext(ctx, ddl); err != nil {
			return fmt.Errorf("schema: %w", err)
		}
	}
	a := &attacher{conn: conn, db: ix.p.cfg.DBPath, prefix: "part_", aliases: map[*Node]string{}}
	for _, t := range ix.outputs[n] {
		srcs := prefill[t]
		if len(srcs) == 0 {
			continue
		}
		q, err := a.selectFrom(ctx, t, srcs)
		if err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s BY NAME %s", quoteIdent(t), q)); err != nil {
			return fmt.Errorf("copy the earlier years of %s: %w", t, err)
		}
	}
	for _, t := range tables {
		q, err := a.selectFrom(ctx, t, views[t])
		if err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE TEMP VIEW %s AS %s", quoteIdent(t), q)); err != nil {
			return fmt.Errorf("view of %s: %w", t, err)
		}
	}
	return nil
}

// runPart runs step n in this worker process on its own file.
func runPart(ctx context.Context, p *Plan, rec *trace.Recorder, worker int, n *Node) error {
	ix := newPartIndex(p)
	cfg := p.cfg
	cfg.DBPath, cfg.Strategy, cfg.LockRetry = partPath(p.cfg.DBPath, n), vocab.NoStrategy, nil
	for _, f := range []string{cfg.DBPath, cfg.DBPath + ".wal"} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	db, err := openDB(ctx, &cfg, rec, worker, n.Name, n.Year)
	if err != nil {
		return err
	}
	env := &stepEnv{plan: p, rec: rec, worker: worker}
	err = withConn(ctx, db, func(c *sql.Conn) error {
		if err := env.span(trace.Open, n, func() error { return ix.setupPart(ctx, c, n) }); err != nil {
			return err
		}
		return env.runNode(ctx, c, n)
	})
	if cerr := closeDB(db, cfg.DBPath, rec, worker, n.Name, n.Year); err == nil {
		err = cerr
	}
	return err
}

// runPerWorkerFiles runs every step in a worker process on its own file, at most width at once,
// then merges the files into the main file and removes them.
func runPerWorkerFiles(ctx context.Context, p *Plan, rec *trace.Recorder, width int, pids *pidList) error {
	dir := PartsDir(p.cfg.DBPath)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := runProcesses(ctx, p, rec, width, pids); err != nil {
		return err
	}
	if err := mergeParts(ctx, p, rec); err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

// mergeParts builds the main file from the parts in one transaction: the simulation's tables
// are dropped, the schema is created, every accumulating table gets each step's year slice and
// every other table the file of its last builder. The main file is shared, so its open retries
// the lock error (StrategyRetry).
func mergeParts(ctx context.Context, p *Plan, rec *trace.Recorder) error {
	ix := newPartIndex(p)
	cfg := p.cfg
	r := access.StrategyRetry
	cfg.Strategy, cfg.LockRetry = vocab.NoStrategy, &r
	db, err := openDB(ctx, &cfg, rec, 0, "merge", 0)
	if err != nil {
		return err
	}
	start := time.Now()
	err = withConn(ctx, db, func(c *sql.Conn) error { return ix.merge(ctx, c) })
	rec.Add(trace.Checkpoint, "merge", 0, 0, start, err)
	if cerr := closeDB(db, cfg.DBPath, rec, 0, "merge", 0); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("merge %s: %w", PartsDir(p.cfg.DBPath), err)
	}
	return nil
}

func (ix *partIndex) merge(ctx context.Context, conn *sql.Conn) error {
	type step struct {
		t    string
		srcs []source
	}
	var steps []step
	for _, n := range ix.p.Nodes {
		for _, t := range ix.outputs[n] {
			prods := ix.producers[t]
			switch {
			case ix.incremental[t]:
				steps = append(steps, step{t, []source{{n, n.Year}}})
			case prods[len(prods)-1] == n:
				steps = append(steps, step{t, []source{{n, 0}}})
			}
		}
	}
	a := &attacher{conn: conn, db: ix.p.cfg.DBPath, prefix: "merge_", aliases: map[*Node]string{}}
	defer func() {
		for _, al := range a.aliases {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DETACH "+al)
		}
	}()
	queries := make([]string, len(steps))
	for i, s := range steps {
		q, err := a.selectFrom(ctx, s.t, s.srcs)
		if err != nil {
			return err
		}
		queries[i] = q
	}
	return inTx(ctx, conn, func(tx *sql.Tx) error {
		for _, t := range ix.p.OwnedTables() {
			if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+quoteIdent(t)); err != nil {
				return err
			}
		}
		for _, t := range ix.p.OwnedTypes() {
			if _, err := tx.ExecContext(ctx, "DROP TYPE IF EXISTS "+quoteIdent(t)); err != nil {
				return err
			}
		}
		if ix.ddl != nil {
			if _, err := tx.ExecContext(ctx, ix.ddl.SQL); err != nil {
				return fmt.Errorf("schema: %w", err)
			}
		}
		for i, s := range steps {
			var exists int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_tables()
				WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ?`, s.t).Scan(&exists); err != nil {
				return err
			}
			var stmts []string
			switch {
			case exists == 0:
				stmts = []string{fmt.Sprintf("CREATE TABLE %s AS %s", quoteIdent(s.t), queries[i])}
			case ix.incremental[s.t]:
				stmts = []string{fmt.Sprintf("INSERT INTO %s BY NAME %s", quoteIdent(s.t), queries[i])}
			default: // a schema table that one step fills whole (a checkpoint copy)
				stmts = []string{"DELETE FROM " + quoteIdent(s.t), fmt.Sprintf("INSERT INTO %s BY NAME %s", quoteIdent(s.t), queries[i])}
			}
			for _, q := range stmts {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("merge %s: %w", s.t, err)
				}
			}
		}
		return nil
	})
}
