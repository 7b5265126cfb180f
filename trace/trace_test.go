package trace

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name     string
		spans    []Span
		wall     float64
		sql      float64
		overhead float64
		byKind   map[Kind]float64
	}{
		{
			name:     "no spans is all idle",
			wall:     2,
			overhead: 2,
			byKind:   map[Kind]float64{Idle: 2},
		},
		{
			name: "overlapping model spans count once",
			spans: []Span{
				{Kind: Model, Start: 0, End: 2},
				{Kind: Model, Start: 1, End: 3},
			},
			wall: 4, sql: 3, overhead: 1,
			byKind: map[Kind]float64{Idle: 1},
		},
		{
			name: "overhead under a model span is not overhead",
			spans: []Span{
				{Kind: Model, Start: 1, End: 2},
				{Kind: Open, Start: 0, End: 1.5},
				{Kind: Close, Start: 2, End: 3},
			},
			wall: 3, sql: 1, overhead: 2,
			byKind: map[Kind]float64{Open: 1, Close: 1},
		},
		{
			name: "lock-wait wins over spawn when they overlap",
			spans: []Span{
				{Kind: Spawn, Start: 0, End: 2},
				{Kind: LockWait, Start: 1, End: 3},
			},
			wall: 4, overhead: 4,
			byKind: map[Kind]float64{Spawn: 1, LockWait: 2, Idle: 1},
		},
		{
			name:  "spans outside the wall are clipped and competitors ignored",
			spans: []Span{{Kind: Model, Start: -1, End: 1}, {Kind: Competitor, Start: 0, End: 5}, {Kind: Validate, Start: 1.5, End: 9}},
			wall:  2, sql: 1, overhead: 1,
			byKind: map[Kind]float64{Idle: 0.5, Validate: 0.5},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Summarize(tc.spans, tc.wall)
			assert.InDelta(t, tc.sql, s.SQL, 1e-9)
			assert.InDelta(t, tc.overhead, s.Overhead, 1e-9)
			assert.Len(t, s.ByKind, len(tc.byKind))
			total := 0.0
			for k, v := range tc.byKind {
				assert.InDelta(t, v, s.ByKind[k], 1e-9, "kind %s", k)
			}
			for _, v := range s.ByKind {
				total += v
			}
			assert.InDelta(t, s.Overhead, total, 1e-9, "by-kind sums to overhead")
		})
	}
}
