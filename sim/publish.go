package sim

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"lockbench/internal/fsutil"
	"lockbench/vocab"

	"lockbench/trace"
)

// stepPublish is the publish strategy's step after each year.
const stepPublish = string(vocab.Publish)

// publishAlias is the catalog name of the copy being written.
const publishAlias = "lockbench_publish"

// PrivatePath is the file the publish strategy's pipeline works on when it publishes to
// published: beside it, "-private" added before the extension (trial.duckdb →
// trial-private.duckdb).
func PrivatePath(published string) string {
	ext := filepath.Ext(published)
	return strings.TrimSuffix(published, ext) + "-private" + ext
}

// addPublishSteps makes the plan work on the private file and adds a publish@Y step after each
// year Y: it waits for every step of the years up to Y and every set-up step, the year's
// validation included (only checked data is published), and the next year waits for it, so the
// copy is the consistent end of year Y.
func addPublishSteps(p *Plan) error {
	p.publishTo = p.cfg.DBPath
	p.cfg.DBPath = PrivatePath(p.cfg.DBPath)
	for _, y := range p.cfg.Years {
		ck, ok := p.byID[fmt.Sprintf("%s@%d", stepCheckpoint, y)]
		if !ok {
			return fmt.Errorf("publish: the plan has no checkpoint for %d", y)
		}
		pub := &Node{ID: fmt.Sprintf("%s@%d", stepPublish, y), Name: stepPublish, Year: y, Kind: trace.Checkpoint, Deps: []*Node{ck}}
		for _, n := range p.Nodes {
			if n != ck && n.Name != stepPublish && n.Year <= y {
				pub.Deps = append(pub.Deps, n)
			}
		}
		for _, n := range p.Nodes {
			for _, d := range n.Deps {
				if d == ck {
					n.Deps = append(n.Deps, pub)
					break
				}
			}
		}
		p.byID[pub.ID] = pub
		p.Nodes = append(p.Nodes, pub)
	}
	return p.sortTopological()
}

// publish writes a consistent copy of the pipeline's database with DuckDB itself (ATTACH a new
// file, COPY FROM DATABASE, DETACH) and renames it over the published path, where readers open
// it read-only. A reader that has the previous copy open keeps reading it (rename(2) leaves its
// inode alone); the next open sees the new one. The pipeline never opens the published path
// itself.
func publish(ctx context.Context, conn *sql.Conn, published string, year int) error {
	tmp := fmt.Sprintf("%s.publish-%d.tmp", published, year)
	for _, f := range []string{tmp, tmp + ".wal"} {
		if err := os.Remove(f); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("publish: %w", err)
		}
	}
	var name string
	if err := conn.QueryRowContext(ctx, "SELECT current_database()").Scan(&name); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("ATTACH %s AS %s", quoteLiteral(tmp), publishAlias)); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	_, err := conn.ExecContext(ctx, fmt.Sprintf("COPY FROM DATABASE %s TO %s", quoteIdent(name), publishAlias))
	if err == nil {
		// Everything into the copy's own file: its WAL would not follow it through the rename.
		_, err = conn.ExecContext(ctx, "CHECKPOINT "+publishAlias)
	}
	// DETACH closes the copy even when the copy failed.
	if _, derr := conn.ExecContext(context.WithoutCancel(ctx), "DETACH "+publishAlias); err == nil {
		err = derr
	}
	if _, serr := os.Stat(tmp + ".wal"); err == nil && serr == nil {
		err = fmt.Errorf("the copy left a write-ahead log %s.wal behind", tmp)
	}
	if err != nil {
		os.Remove(tmp)
		os.Remove(tmp + ".wal")
		return fmt.Errorf("publish %d: %w", year, err)
	}
	if err := os.Rename(tmp, published); err != nil {
		return fmt.Errorf("publish %d: %w", year, err)
	}
	return fsutil.SyncDir(filepath.Dir(published))
}
