package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"lockbench/criteria"
)

// TestSelectorMatches is the table of the one cell-selection rule (scenarios, the harness and
// reports all use it).
func TestSelectorMatches(t *testing.T) {
	const key = "mode=threaded/threads=4/coordination=on/lock-retry=off/employees=100/years=2025-2026/competitor=readers(count=4)/seed=1"
	values := map[string]string{
		"mode": "threaded", "threads": "4", "coordination": "on", "lock-retry": "off", "employees": "100",
		"years": "2025-2026", "competitor": "readers(count=4)", "seed": "1",
		"host": "ci-7", // a parameter that is not an axis of the scenario
	}
	tests := []struct {
		name string
		sel  criteria.Selector
		want bool
	}{
		{"empty selects every cell", criteria.Selector{}, true},
		{"nil selects every cell", nil, true},
		{"equal value", criteria.Selector{"mode": "threaded"}, true},
		{"other value", criteria.Selector{"mode": "sequential"}, false},
		{"every value must match", criteria.Selector{"mode": "threaded", "threads": "8"}, false},
		{"several values", criteria.Selector{"mode": "threaded", "threads": "4", "years": "2025-2026"}, true},
		{"canonical form: true is on", criteria.Selector{"coordination": "true"}, true},
		{"canonical form: off is not on", criteria.Selector{"coordination": "off"}, false},
		{"canonical form: spaces", criteria.Selector{"mode": " threaded "}, true},
		{"canonical form: a years range", criteria.Selector{"years": "2025 - 2026"}, true},
		{"invalid value never matches", criteria.Selector{"threads": "many"}, false},
		{"bare competitor kind matches any options", criteria.Selector{"competitor": "readers"}, true},
		{"bare competitor of another kind", criteria.Selector{"competitor": "reader-process"}, false},
		{"competitor with the same options", criteria.Selector{"competitor": "readers(count=4)"}, true},
		{"competitor with other options", criteria.Selector{"competitor": "readers(count=3)"}, false},
		{"competitor with options in another form", criteria.Selector{"competitor": "readers(count=04)"}, false},
		{"unknown name the cell lacks", criteria.Selector{"colour": "red"}, false},
		{"name that is not an axis: equal", criteria.Selector{"host": "ci-7"}, true},
		{"name that is not an axis: exact only", criteria.Selector{"host": "CI-7"}, false},
		{"whole key", criteria.Selector{criteria.CellAxis: key}, true},
		{"whole key of another cell", criteria.Selector{criteria.CellAxis: "mode=threaded"}, false},
		{"whole key and a value", criteria.Selector{criteria.CellAxis: key, "mode": "threaded"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Selects(tt.sel, key, values))
		})
	}
}

func TestSelectorMatchesABareCompetitor(t *testing.T) {
	// A cell whose competitor has no options matches its kind and nothing longer.
	values := map[string]string{"competitor": "readers"}
	assert.True(t, Selects(criteria.Selector{"competitor": "readers"}, "", values))
	assert.False(t, Selects(criteria.Selector{"competitor": "readers(count=4)"}, "", values))
	assert.False(t, Selects(criteria.Selector{"competitor": "reader"}, "", values))
}
