package watch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkSample measures one sample of one watched file (and its .wal) while another process
// holds a read lock on it: reading /proc/locks only, and with the F_GETLK probe that `lockbench
// watch` adds. The CPU share of a watch is ns/op divided by the interval (50ms: 20 samples a
// second).
func BenchmarkSample(b *testing.B) {
	dir := b.TempDir()
	db := filepath.Join(dir, "a.duckdb")
	if err := os.WriteFile(db, []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	startLocker(b, "read", db)
	for _, probe := range []bool{false, true} {
		b.Run(map[bool]string{false: "proc-locks", true: "probe"}[probe], func(b *testing.B) {
			s, err := New(Options{Files: []string{db}, Probe: probe})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Sample(); err != nil {
					b.Fatal(err)
				}
			}
			tl, _ := s.Stop()
			if len(tl.Lanes) != 1 {
				b.Fatalf("saw %d holders, want the locker", len(tl.Lanes))
			}
		})
	}
}

// BenchmarkShortHolds measures how often a watch sampling every 50ms sees a hold of a given
// length. Each iteration takes a POSIX lock on a file for the hold's length (measured), lets
// it go, and waits 2–3 intervals (a random phase against the samples) before the next. The
// lock is this process's own, so the sampler only reads /proc/locks (with F_GETLK it would
// drop the lock); that is the same sample, less the probe. Run it with a fixed count, such as
// -benchtime=100x: it reports seen-% (holds seen) and the mean true hold in ms.
func BenchmarkShortHolds(b *testing.B) {
	const interval = DefaultInterval
	for _, hold := range []time.Duration{5 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
		75 * time.Millisecond, 100 * time.Millisecond} {
		b.Run(fmt.Sprintf("hold=%s", hold), func(b *testing.B) {
			f := filepath.Join(b.TempDir(), "a.duckdb")
			fd, err := unix.Open(f, unix.O_RDWR|unix.O_CREAT, 0o644)
			if err != nil {
				b.Fatal(err)
			}
			defer unix.Close(fd)
			seen := 0
			s, err := Start(context.Background(), Options{Files: []string{f}, Interval: interval, OnEvent: func(e Event) {
				if e.Kind == Appeared && e.PID == os.Getpid() {
					seen++
				}
			}})
			if err != nil {
				b.Fatal(err)
			}
			rng := rand.New(rand.NewPCG(1, uint64(hold)))
			var held time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if err := unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &unix.Flock_t{Type: unix.F_WRLCK}); err != nil {
					b.Fatal(err)
				}
				time.Sleep(hold)
				if err := unix.FcntlFlock(uintptr(fd), unix.F_SETLK, &unix.Flock_t{Type: unix.F_UNLCK}); err != nil {
					b.Fatal(err)
				}
				held += time.Since(t0)
				time.Sleep(2*interval + time.Duration(rng.Int64N(int64(interval))))
			}
			b.StopTimer()
			if _, err := s.Stop(); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(100*float64(seen)/float64(b.N), "seen-%")
			b.ReportMetric(float64(held.Milliseconds())/float64(b.N), "held-ms")
		})
	}
}

// BenchmarkWatchCPU measures the CPU a watch costs this process while it samples one file
// every 50ms, from getrusage(RUSAGE_SELF) over the wall time of b.N seconds: run it as
// -benchtime=30x for 30 seconds. It reports cpu-% (of one core) for a watch with the F_GETLK
// probe (probe, as `lockbench watch` does) of a file nobody holds (idle) and of a file another
// process holds a read lock on all the time (held), for a watch without the probe (proc-locks,
// as a sampler in a process that has the file open must), for a watch set up as bench --watch
// sets it up for a trial's file (bench-watch: the probe, waiters, and the holder told apart from
// this process's own), and for a bare 50ms ticker, the Go runtime's own cost of waking up that
// often, as a baseline.
func BenchmarkWatchCPU(b *testing.B) {
	db := filepath.Join(b.TempDir(), "a.duckdb")
	if err := os.WriteFile(db, []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name               string
		watch, probe, held bool
		bench              bool // as bench --watch samples a trial's file: waiters too, and own processes told apart
	}{{"ticker", false, false, false, false}, {"probe/idle", true, true, false, false}, {"probe/held", true, true, true, false},
		{"proc-locks/held", true, false, true, false}, {"bench-watch/held", true, true, true, true}} {
		watch := c.watch
		b.Run(c.name, func(b *testing.B) {
			if c.held {
				h := startLocker(b, "read", db)
				defer h.stop(b)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var ru0, ru1 unix.Rusage
			if err := unix.Getrusage(unix.RUSAGE_SELF, &ru0); err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			var stop func()
			if watch {
				opts := Options{Files: []string{db}, Interval: DefaultInterval, Probe: c.probe}
				if c.bench {
					opts.Waiters, opts.Own, opts.KeepOwn = true, Descendants(os.Getpid()), true
				}
				s, err := Start(ctx, opts)
				if err != nil {
					b.Fatal(err)
				}
				stop = func() {
					if tl, _ := s.Stop(); len(tl.Lanes) != map[bool]int{false: 0, true: 1}[c.held] {
						b.Fatalf("saw %d holders, want %v", len(tl.Lanes), c.held)
					}
				}
			} else {
				done := make(chan struct{})
				go func() {
					defer close(done)
					t := time.NewTicker(DefaultInterval)
					defer t.Stop()
					for {
						select {
						case <-ctx.Done():
							return
						case <-t.C:
						}
					}
				}()
				stop = func() { cancel(); <-done }
			}
			for range b.N {
				time.Sleep(time.Second)
			}
			stop()
			wall := time.Since(t0)
			if err := unix.Getrusage(unix.RUSAGE_SELF, &ru1); err != nil {
				b.Fatal(err)
			}
			cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) * time.Nanosecond
			b.ReportMetric(100*cpu.Seconds()/wall.Seconds(), "cpu-%")
		})
	}
}
