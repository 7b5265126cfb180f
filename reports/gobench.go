package reports

import (
	"fmt"
	"io"
	"runtime"
	"strings"

	"lockbench/history"
	"lockbench/vocab"
)

// goarch is the architecture written in the Go benchmark header (the manifest does not record
// one); tests pin it.
var goarch = runtime.GOARCH

// benchValue makes an axis value safe in a benchmark name: no spaces (benchfmt splits fields on
// them) and no slashes (they separate sub-benchmarks).
func benchValue(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '/':
			return '_'
		}
		return r
	}, s)
}

// benchName returns "BenchmarkSim/<cell key>" with values made safe, plus the "-N" suffix that
// go test adds for GOMAXPROCS > 1; "-1" is added when the name would otherwise end in "-digits"
// (which benchfmt would take for a GOMAXPROCS suffix).
func benchName(key string, cores int) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		if k, v, ok := strings.Cut(p, "="); ok {
			parts[i] = benchValue(k) + "=" + benchValue(v)
		} else {
			parts[i] = benchValue(p)
		}
	}
	name := "BenchmarkSim/" + strings.Join(parts, "/")
	if cores > 1 {
		return fmt.Sprintf("%s-%d", name, cores)
	}
	i := strings.LastIndexByte(name, '-')
	if i > 0 && i < len(name)-1 && strings.Trim(name[i+1:], "0123456789") == "" {
		return name + "-1"
	}
	return name
}

// headerValue returns s when it is a single token, else fallback.
func headerValue(s, fallback string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s, " \t") {
		return fallback
	}
	return strings.ToLower(s)
}

// WriteGoBench writes one Go benchmark line per ok non-warmup trial of the report,
//
//	BenchmarkSim/mode=threaded/threads=4/... 1 <wall> ns/op <overhead> overhead-ns/op <sql> sql-ns/op
//
// after a goos/goarch/pkg/cpu header, so that benchstat (e.g. benchstat -col /mode) reads it.
// Cells come in report order, trials in recorded order.
func WriteGoBench(w io.Writer, r *Report) error {
	ew := &errWriter{w: w}
	var host history.Host
	cores := map[string]int{}
	for i, run := range r.Runs {
		if i == 0 {
			host = run.Host
		}
		id := run.ID
		if id == "" {
			id = run.Dir
		}
		cores[id] = run.Host.Cores
	}
	cpu := strings.Join(strings.Fields(host.CPU), " ")
	if cpu == "" {
		cpu = "unknown"
	}
	ew.printf("goos: %s\ngoarch: %s\npkg: lockbench\ncpu: %s\n", headerValue(host.OS, runtime.GOOS), goarch, cpu)
	for _, c := range r.Cells {
		for _, v := range c.Values {
			if v.Warmup || v.Outcome != vocab.OK {
				continue
			}
			ew.printf("%s\t1\t%.0f ns/op\t%.0f overhead-ns/op\t%.0f sql-ns/op\n",
				benchName(c.Key, cores[v.Run]), v.Wall*1e9, v.Overhead*1e9, v.SQL*1e9)
		}
	}
	if ew.err != nil {
		return fmt.Errorf("go benchmark output: %w", ew.err)
	}
	return nil
}
