package sim

import (
	"context"
	"database/sql"
	"testing"

	"lockbench/vocab"
)

// BenchmarkInspectSmall measures a trial's data check on a small finished database: the full
// inspection (fingerprint and per-year figures), the harness's fingerprint on a fresh read-only
// handle, a bare open and close, and building the plan (which lists the tables to digest).
// Run with: go test ./sim -run '^$' -bench BenchmarkInspectSmall -benchtime 20x
func BenchmarkInspectSmall(b *testing.B) {
	cfg := smallConfig(b, vocab.Sequential, true)
	cfg.Employees, cfg.Years = 100, []int{2025}
	if _, err := validRun(context.Background(), cfg); err != nil {
		b.Fatal(err)
	}
	b.Run("inspect", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := Inspect(context.Background(), cfg.DBPath); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fingerprint-file", func(b *testing.B) {
		for b.Loop() {
			if _, err := FingerprintFile(context.Background(), cfg.DBPath); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open-close", func(b *testing.B) {
		for b.Loop() {
			db, _ := sql.Open("duckdb", DSN(cfg.DBPath, 0, false))
			db.Ping()
			db.Close()
		}
	})
	b.Run("plan", func(b *testing.B) {
		for b.Loop() {
			m, _ := LoadModels()
			BuildPlan(cfg, m)
		}
	})
}
