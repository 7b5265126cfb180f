package proc

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		line string
		want Stat
		ok   bool
	}{
		{"4242 (sleep) S 4241 4240 4240 0 -1 4194304", Stat{'S', 4241, 4240}, true},
		{"7 (a) (b) c) Z 1 7 7 0", Stat{'Z', 1, 7}, true},
		{"9 (with space) T 2 3", Stat{'T', 2, 3}, true},
		{"9 (no fields)", Stat{}, false},
		{"9 sleep S 1 2", Stat{}, false},
		{"9 (x) R one 2", Stat{}, false},
		{"", Stat{}, false},
	}
	for _, tt := range tests {
		got, ok := parseStat(tt.line)
		assert.Equal(t, tt.ok, ok, tt.line)
		assert.Equal(t, tt.want, got, tt.line)
	}
}
