package history

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lockbench/outcome"
	"lockbench/trace"
	"lockbench/vocab"
)

// writeBenchRuns writes runs run directories of 66 trials each, shaped like the quick matrix's
// (57 spans per trial, an outcome, overhead by kind, parameters), and returns their folder.
func writeBenchRuns(b *testing.B, runs int) string {
	root := b.TempDir()
	spans := make([]trace.Span, 57)
	for i := range spans {
		spans[i] = trace.Span{Kind: trace.Model, Name: fmt.Sprintf("int_model_%02d", i%20), Year: 2025 + i%3, Start: float64(i) * 0.0123, End: float64(i)*0.0123 + 0.0098}
	}
	for r := range runs {
		dir := filepath.Join(root, fmt.Sprintf("run%04d", r))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		if err := WriteManifest(dir, Manifest{SchemaVersion: SchemaVersion, ID: fmt.Sprint(r), CreatedAt: time.Unix(int64(r), 0).UTC()}); err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		for i := range 66 {
			line, err := json.Marshal(Trial{Cell: fmt.Sprintf("mode=threaded/threads=4/seed=%d", i%6), Trial: i / 6, Warmup: i < 6,
				Outcome: outcome.Outcome{Kind: vocab.OK}, Expected: string(vocab.OK), WallS: 0.7, SQLS: 0.5, OverheadS: 0.2,
				OverheadByKind: map[trace.Kind]float64{trace.Open: 0.1, trace.Idle: 0.1}, Fingerprint: "ev8502-c728a0a43abb57ed",
				PeakRSSBytes: 103178240, Params: map[string]string{"mode": "threaded", "threads": "4"}, Spans: spans})
			if err != nil {
				b.Fatal(err)
			}
			buf.Write(append(line, '\n'))
		}
		if err := os.WriteFile(filepath.Join(dir, HistoryFile), buf.Bytes(), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return root
}

// BenchmarkReadRuns reads 50 run directories (3,300 trials, about 27 MB) whole, as report
// and compare read them, and timings only, as trend reads them.
//
//	go test ./history -run '^$' -bench ReadRuns
func BenchmarkReadRuns(b *testing.B) {
	root := writeBenchRuns(b, 50)
	var size int64
	_ = filepath.Walk(root, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			size += info.Size()
		}
		return nil
	})
	for _, bc := range []struct {
		name string
		o    ReadOptions
	}{{"whole", ReadOptions{Search: true}}, {"timings-only", ReadOptions{Search: true, TimingsOnly: true}}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				runs, err := ReadRuns(context.Background(), []string{root}, bc.o)
				if err != nil {
					b.Fatal(err)
				}
				if len(runs) != 50 || len(runs[49].Trials) != 66 {
					b.Fatalf("%d runs", len(runs))
				}
			}
		})
	}
}
