// Package trace records the timed spans of one trial and derives the figures that reports rely
// on: wall time, the union of essential model SQL, and the overhead broken down by span kind.
//
// Spans carry offsets from the trial's start, measured on the monotonic clock, so spans reported
// by worker processes can be merged into their parent's trace.
package trace

import (
	"encoding/json"
	"io"
	"sort"
	"sync"
	"time"
)

// Kind names what a span was spent on.
type Kind string

// The span kinds (docs/workforce-model.md#spans-and-overhead). Model is essential work; every
// other kind is overhead.
const (
	Model      Kind = "model"      // the first build of a model for a year
	Recompute  Kind = "recompute"  // a redundant rebuild of a model
	Open       Kind = "open"       // opening a database handle
	Close      Kind = "close"      // closing a database handle (including checkpoint-on-close)
	Spawn      Kind = "spawn"      // starting a worker process until it is ready to work
	Validate   Kind = "validate"   // data-quality checks
	Checkpoint Kind = "checkpoint" // state capture between years
	LockWait   Kind = "lock-wait"  // backoff after a lock conflict
	Competitor Kind = "competitor" // an injected competitor's lifetime (not counted as overhead)
	Idle       Kind = "idle"       // overhead not covered by any span (derived, never recorded)
)

// overheadPriority orders the overhead kinds when spans of several kinds overlap: each instant of
// overhead is attributed to the first active kind in this list, so the breakdown sums exactly to
// the overhead. Spawn comes last because a worker's own open and close spans lie inside it.
var overheadPriority = []Kind{LockWait, Open, Close, Checkpoint, Validate, Recompute, Spawn}

// Span is one timed interval of a trial. Start and End are seconds since the trial started.
type Span struct {
	Kind   Kind    `json:"kind"`
	Name   string  `json:"name"`
	Year   int     `json:"year,omitempty"`
	Worker int     `json:"worker"`
	Start  float64 `json:"start_s"`
	End    float64 `json:"end_s"`
	Error  string  `json:"error,omitempty"`
}

// Duration returns the span's length in seconds.
func (s Span) Duration() float64 { return s.End - s.Start }

// Recorder collects spans from many goroutines. The zero value is not usable; call NewRecorder.
type Recorder struct {
	origin time.Time
	mu     sync.Mutex
	spans  []Span
	sink   func(Span)
}

// NewRecorder returns a recorder whose offsets count from origin.
func NewRecorder(origin time.Time) *Recorder { return &Recorder{origin: origin} }

// OnSpan registers a function called, outside the recorder's lock, with every span as it is
// recorded (for --verbose output or streaming to a parent process).
func (r *Recorder) OnSpan(f func(Span)) { r.sink = f }

// Origin returns the instant offsets are measured from.
func (r *Recorder) Origin() time.Time { return r.origin }

// Since returns the offset of t from the origin in seconds.
func (r *Recorder) Since(t time.Time) float64 { return t.Sub(r.origin).Seconds() }

// Add records a span that started at start and ended now.
func (r *Recorder) Add(kind Kind, name string, year, worker int, start time.Time, err error) Span {
	s := Span{Kind: kind, Name: name, Year: year, Worker: worker, Start: r.Since(start), End: r.Since(time.Now())}
	if err != nil {
		s.Error = err.Error()
	}
	r.Append(s)
	return s
}

// Append records a span that was measured elsewhere (e.g. by a worker process).
func (r *Recorder) Append(s Span) {
	r.mu.Lock()
	r.spans = append(r.spans, s)
	r.mu.Unlock()
	if r.sink != nil {
		r.sink(s)
	}
}

// Spans returns a copy of the recorded spans ordered by start time.
func (r *Recorder) Spans() []Span {
	r.mu.Lock()
	out := append([]Span(nil), r.spans...)
	r.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

// Summary is the timing decomposition of one trial, in seconds.
type Summary struct {
	Wall     float64          `json:"wall_s"`
	SQL      float64          `json:"sql_s"`
	Overhead float64          `json:"overhead_s"`
	ByKind   map[Kind]float64 `json:"overhead_by_kind"`
}

// Summarize computes sql (the union of model spans, clipped to [0, wall]), overhead = wall − sql,
// and overhead by kind: every instant outside model spans is attributed to the highest-priority
// overhead kind active then, or to idle. The by-kind values sum to the overhead.
func Summarize(spans []Span, wall float64) Summary {
	type edge struct {
		t     float64
		kind  Kind
		delta int
	}
	var edges []edge
	for _, s := range spans {
		if s.Kind == Competitor || s.End <= s.Start {
			continue
		}
		a, b := clip(s.Start, 0, wall), clip(s.End, 0, wall)
		if b <= a {
			continue
		}
		edges = append(edges, edge{a, s.Kind, +1}, edge{b, s.Kind, -1})
	}
	sort.Slice(edges, func(i, j int) bool { return edges[i].t < edges[j].t })
	active := map[Kind]int{}
	sum := Summary{Wall: wall, ByKind: map[Kind]float64{}}
	prev := 0.0
	attribute := func(until float64) {
		d := until - prev
		if d <= 0 {
			return
		}
		if active[Model] > 0 {
			sum.SQL += d
			return
		}
		for _, k := range overheadPriority {
			if active[k] > 0 {
				sum.ByKind[k] += d
				return
			}
		}
		sum.ByKind[Idle] += d
	}
	for _, e := range edges {
		attribute(e.t)
		prev = e.t
		active[e.kind] += e.delta
	}
	attribute(wall)
	sum.Overhead = wall - sum.SQL
	for k, v := range sum.ByKind {
		if v < 1e-9 {
			delete(sum.ByKind, k)
		}
	}
	return sum
}

func clip(v, lo, hi float64) float64 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// WriteNDJSON writes spans as one JSON object per line.
func WriteNDJSON(w io.Writer, spans []Span) error {
	enc := json.NewEncoder(w)
	for _, s := range spans {
		if err := enc.Encode(s); err != nil {
			return err
		}
	}
	return nil
}

// Parallelism is how much running independent steps at once could gain in one run: the total
// work of its steps, the critical path (the longest chain of dependent steps, with measured
// durations), and their ratio, capped by the connections or workers available.
type Parallelism struct {
	WorkS         float64 `json:"work_s"`
	CriticalPathS float64 `json:"critical_path_s"`
	// Bound = min(WorkS / CriticalPathS, Width): the most any executor can gain over running the
	// same steps one at a time.
	Bound float64 `json:"bound"`
	// Ratio is WorkS / CriticalPathS before the cap.
	Ratio float64 `json:"ratio"`
	Width int     `json:"width"`
	// Achieved is the parallelism this run reached: WorkS over the time during which at least
	// one step was working (1 for a run that did one step at a time).
	Achieved float64 `json:"achieved"`
	// Path lists the steps on the critical path in order (model@year): the ones worth speeding up.
	Path []string `json:"path,omitempty"`
}

// Union returns the time covered by at least one of the spans (overlaps counted once).
func Union(spans []Span) float64 {
	type iv struct{ a, b float64 }
	ivs := make([]iv, 0, len(spans))
	for _, s := range spans {
		if s.End > s.Start {
			ivs = append(ivs, iv{s.Start, s.End})
		}
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].a < ivs[j].a })
	total, end := 0.0, 0.0
	started := false
	for _, v := range ivs {
		switch {
		case !started || v.a > end:
			total += v.b - v.a
			end, started = v.b, true
		case v.b > end:
			total += v.b - end
			end = v.b
		}
	}
	return total
}
