package trend

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"lockbench/history"
	"lockbench/outcome"
	"lockbench/trace"
	"lockbench/vocab"
)

// quickCell is one cell of the built-in quick matrix as it shows in a history: its key, its
// median overhead, how many spans a trial records, and whether its trials end in the expected
// lock conflict.
type quickCell struct {
	key      string
	overhead float64
	spans    int
	conflict bool
}

var quickCells = []quickCell{
	{"mode=sequential/threads=1/coordination=on/lock-retry=off/employees=2000/years=2025-2027/competitor=none/seed=1", 0.22, 57, false},
	{"mode=threaded/threads=4/coordination=on/lock-retry=off/employees=2000/years=2025-2027/competitor=none/seed=1", 0.21, 57, false},
	{"mode=process-per-model/threads=1/coordination=off/lock-retry=off/employees=2000/years=2025-2027/competitor=none/seed=1", 3.5, 294, false},
	{"mode=sequential/threads=1/coordination=on/lock-retry=off/employees=2000/years=2025-2027/competitor=reader-process/seed=1", 0, 2, true},
	{"mode=threaded/threads=4/coordination=on/lock-retry=off/employees=2000/years=2025-2027/competitor=reader-process/seed=1", 0, 2, true},
	{"mode=process-per-model/threads=1/coordination=off/lock-retry=off/employees=2000/years=2025-2027/competitor=reader-process/seed=1", 0, 3, true},
}

// writeQuickRuns writes runs run directories of the quick matrix (6 cells × (1 warmup + 10
// trials) = 66 trials each) with trials shaped like real ones (every field, spans, outcome
// messages; about 0.55 MB per run). The threaded cell slows by 20% from run 3/5 of the way,
// process-per-model speeds up by 10% from 1/3, so the analysis has change points to find.
func writeQuickRuns(tb testing.TB, root string, runs int) {
	rng := rand.New(rand.NewPCG(42, 42))
	spanJSON := map[int][]byte{}
	for _, c := range quickCells {
		spans := make([]trace.Span, c.spans)
		for i := range spans {
			spans[i] = trace.Span{Kind: trace.Model, Name: fmt.Sprintf("int_model_%02d", i%20), Year: 2025 + i%3, Start: float64(i) * 0.01234567, End: float64(i)*0.01234567 + 0.00987654}
		}
		b, err := json.Marshal(spans)
		if err != nil {
			tb.Fatal(err)
		}
		spanJSON[c.spans] = b
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for r := range runs {
		id := fmt.Sprintf("%06x", r)
		at := start.Add(time.Duration(r) * time.Hour)
		dir := filepath.Join(root, at.Format("20060102T150405Z")+"-"+id)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.Fatal(err)
		}
		m := history.Manifest{
			SchemaVersion: history.SchemaVersion, ID: id, CreatedAt: at, RootSeed: 1,
			Scenario: json.RawMessage(`{"name":"quick"}`), Versions: history.Versions{Lockbench: "0.1.0"},
			Commit: fmt.Sprintf("%040x", r*2654435761), Workload: &history.WorkloadIdentity{Kind: "sim", Digest: "sha256:x", Cells: map[string]string{}},
		}
		for _, c := range quickCells {
			m.Workload.Cells[c.key] = "w1"
		}
		if err := history.WriteManifest(dir, m); err != nil {
			tb.Fatal(err)
		}
		var b bytes.Buffer
		for trial := range 11 {
			for _, c := range quickCells {
				level := c.overhead
				if c.key == quickCells[1].key && r >= runs*3/5 {
					level *= 1.2
				}
				if c.key == quickCells[2].key && r >= runs/3 {
					level *= 0.9
				}
				t := history.Trial{
					Cell: c.key, Trial: max(0, trial-1), Warmup: trial == 0, Expected: "ok", Seed: 937116661735008050,
					StartedAt: at.Add(time.Duration(trial) * time.Second), PeakRSSBytes: 103178240,
					Params: map[string]string{"mode": "threaded", "threads": "4", "coordination": "on", "lock-retry": "off", "employees": "2000", "years": "2025-2027", "competitor": "none", "seed": "1"},
				}
				if c.conflict {
					t.Expected = string(vocab.LockConflict)
					t.Outcome = outcome.Outcome{Kind: vocab.LockConflict, Sub: "database", HolderPID: 4242, HolderExe: "/usr/bin/lockbench", HolderRole: "competitor",
						ReadOnlyWouldWork: true, Path: "$TRIAL_DIR/trial.duckdb",
						Message: `IO Error: Could not set lock on file "$TRIAL_DIR/trial.duckdb": Conflicting lock is held in /usr/bin/lockbench (PID 4242)`}
					t.WallS = 0.05 * (1 + 0.03*rng.NormFloat64())
				} else {
					t.Outcome = outcome.Outcome{Kind: vocab.OK}
					t.OverheadS = level * (1 + 0.03*rng.NormFloat64())
					t.SQLS = 0.5 * (1 + 0.03*rng.NormFloat64())
					t.WallS = t.OverheadS + t.SQLS
					t.Fingerprint = "ev8502-c728a0a43abb57ed/ws6546-31889d6e25123b2e"
					t.OverheadByKind = map[trace.Kind]float64{trace.Open: t.OverheadS * 0.3, trace.Close: t.OverheadS * 0.3, trace.Spawn: t.OverheadS * 0.3, trace.Idle: t.OverheadS * 0.1}
				}
				line, err := json.Marshal(t)
				if err != nil {
					tb.Fatal(err)
				}
				b.Write(line[:len(line)-1])
				b.WriteString(`,"spans":`)
				b.Write(spanJSON[c.spans])
				b.WriteString("}\n")
			}
		}
		if err := os.WriteFile(filepath.Join(dir, history.HistoryFile), b.Bytes(), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkTrendQuick1000Runs loads and analyses 1,000 runs of the quick matrix (66,000
// trials, about 550 MB of history): discovery, manifests, the timings of every history
// (history.ReadRuns with TimingsOnly), and the analysis of every cell's metric with change
// points. The target is at most 5 s per operation on the project's 2-core machine.
//
//	go test ./reports/trend -run '^$' -bench TrendQuick1000Runs -benchtime 3x
func BenchmarkTrendQuick1000Runs(b *testing.B) {
	const runs = 1000
	root := b.TempDir()
	writeQuickRuns(b, root, runs)
	var size int64
	_ = filepath.Walk(root, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			size += info.Size()
		}
		return nil
	})
	b.SetBytes(size)
	ctx := context.Background()
	cpu0 := cpuTime()
	for b.Loop() {
		data, err := Load(ctx, root)
		if err != nil {
			b.Fatal(err)
		}
		if len(data.Runs) != runs {
			b.Fatalf("%d runs", len(data.Runs))
		}
		tr, err := Analyze(data, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if len(tr.Series) != 3 || tr.Verdict != "fail" {
			b.Fatalf("%d series, verdict %s", len(tr.Series), tr.Verdict)
		}
		for _, s := range tr.Series {
			if len(s.Points) != runs {
				b.Fatalf("%s: %d points", s.Cell, len(s.Points))
			}
			var at []string
			for _, c := range s.ChangePoints {
				at = append(at, fmt.Sprintf("%d %s", c.Index, c.Direction))
			}
			want := map[string]string{quickCells[0].key: "[]", quickCells[1].key: "[600 slower]", quickCells[2].key: "[333 faster]"}[s.Cell]
			if got := fmt.Sprint(at); got != want {
				b.Fatalf("%s: change points %s, want %s", s.Cell, got, want)
			}
		}
	}
	b.ReportMetric(float64(runs*66), "trials/op")
	b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime returns the CPU time (user and system) the process has used so far: on a machine
// shared with other work it varies less than the wall time per operation.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
