package release

import (
	"slices"
	"testing"
)

func TestCompare(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.5.6", "2.0.0", -1},
		{"2.0.0", "1.5.6", 1},
		{"1.10.0", "1.5.6", 1},
		{"v1.5.6", "1.5.6", 0},
		{"1.5", "1.5.0", -1},
		{"1.5.0-dev", "1.5.0-rc", -1},
	}
	for _, tc := range tests {
		if got := Compare(tc.a, tc.b); got != tc.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	// The known releases are listed oldest first.
	if names := Names(); !slices.IsSortedFunc(names, Compare) {
		t.Errorf("Names() = %v, not in release order", names)
	}
}
