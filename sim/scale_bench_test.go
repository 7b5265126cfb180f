package sim

import (
	"context"
	"syscall"
	"testing"

	"lockbench/vocab"
)

// largeConfig is 100,000 employees (or n) × 5 years, as the speed goals of the workload are set.
func largeConfig(b *testing.B, mode vocab.Mode, n int) Config {
	cfg := smallConfig(b, mode, true)
	cfg.Employees, cfg.Threads, cfg.Years = n, 4, []int{2025, 2026, 2027, 2028, 2029}
	return cfg
}

// BenchmarkLarge runs 100,000 employees × 5 years threaded (4 connections) and sequentially, each
// run on its own, and reports the wall, sql and overhead seconds.
// Run with: go test ./sim -run '^$' -bench 'BenchmarkLarge' -benchtime 3x
func BenchmarkLarge(b *testing.B) {
	for _, mode := range []vocab.Mode{vocab.Threaded, vocab.Sequential} {
		b.Run("mode="+string(mode), func(b *testing.B) {
			var wall, sqlS float64
			for b.Loop() {
				res, err := validRun(context.Background(), largeConfig(b, mode, 100000))
				if err != nil {
					b.Fatal(err)
				}
				wall += res.Summary.Wall
				sqlS += res.Summary.SQL
			}
			b.ReportMetric(wall/float64(b.N), "wall-s")
			b.ReportMetric(sqlS/float64(b.N), "sql-s")
		})
	}
}

// BenchmarkParallelismAchieved runs 100,000 × 5 years sequentially and then threaded, and
// reports the threaded speed-up over sequential, the parallelism bound (work / critical path of
// the sequential run's own step times, capped by the 4 connections) and the fraction of the
// bound the threaded executor reached.
// Run with: go test ./sim -run '^$' -bench ParallelismAchieved -benchtime 3x
func BenchmarkParallelismAchieved(b *testing.B) {
	var seqS, thrS, bound float64
	for b.Loop() {
		seq, err := validRun(context.Background(), largeConfig(b, vocab.Sequential, 100000))
		if err != nil {
			b.Fatal(err)
		}
		cfg := largeConfig(b, vocab.Threaded, 100000)
		thr, err := validRun(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		models, _ := LoadModels()
		p, err := BuildPlan(cfg, models)
		if err != nil {
			b.Fatal(err)
		}
		seqS += seq.Summary.Wall
		thrS += thr.Summary.Wall
		bound += p.ParallelismBound(seq.Spans, cfg.Threads).Bound
	}
	n := float64(b.N)
	speedup := seqS / thrS
	b.ReportMetric(seqS/n, "sequential-s")
	b.ReportMetric(thrS/n, "threaded-s")
	b.ReportMetric(speedup, "speedup")
	b.ReportMetric(bound/n, "bound")
	b.ReportMetric(speedup/(bound/n), "fraction-of-bound")
}

// BenchmarkMillion runs 1,000,000 employees × 5 years threaded and reports the wall seconds and
// the process's peak resident memory. Run it on its own, so the peak is this run's:
// go test ./sim -run '^$' -bench Million -benchtime 1x
func BenchmarkMillion(b *testing.B) {
	var wall float64
	for b.Loop() {
		res, err := validRun(context.Background(), largeConfig(b, vocab.Threaded, 1000000))
		if err != nil {
			b.Fatal(err)
		}
		wall += res.Summary.Wall
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-rss-MB")
	}
	b.ReportMetric(wall/float64(b.N), "wall-s")
}
