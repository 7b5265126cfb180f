package scenarios

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
		sel  Selector
		want bool
	}{
		{"empty selects every cell", Selector{}, true},
		{"nil selects every cell", nil, true},
		{"equal value", Selector{"mode": "threaded"}, true},
		{"other value", Selector{"mode": "sequential"}, false},
		{"every value must match", Selector{"mode": "threaded", "threads": "8"}, false},
		{"several values", Selector{"mode": "threaded", "threads": "4", "years": "2025-2026"}, true},
		{"canonical form: true is on", Selector{"coordination": "true"}, true},
		{"canonical form: off is not on", Selector{"coordination": "off"}, false},
		{"canonical form: spaces", Selector{"mode": " threaded "}, true},
		{"canonical form: a years range", Selector{"years": "2025 - 2026"}, true},
		{"invalid value never matches", Selector{"threads": "many"}, false},
		{"bare competitor kind matches any options", Selector{"competitor": "readers"}, true},
		{"bare competitor of another kind", Selector{"competitor": "reader-process"}, false},
		{"competitor with the same options", Selector{"competitor": "readers(count=4)"}, true},
		{"competitor with other options", Selector{"competitor": "readers(count=3)"}, false},
		{"competitor with options in another form", Selector{"competitor": "readers(count=04)"}, false},
		{"unknown name the cell lacks", Selector{"colour": "red"}, false},
		{"name that is not an axis: equal", Selector{"host": "ci-7"}, true},
		{"name that is not an axis: exact only", Selector{"host": "CI-7"}, false},
		{"whole key", Selector{CellAxis: key}, true},
		{"whole key of another cell", Selector{CellAxis: "mode=threaded"}, false},
		{"whole key and a value", Selector{CellAxis: key, "mode": "threaded"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.sel.Matches(key, values))
		})
	}
}

func TestSelectorMatchesABareCompetitor(t *testing.T) {
	// A cell whose competitor has no options matches its kind and nothing longer.
	values := map[string]string{"competitor": "readers"}
	assert.True(t, Selector{"competitor": "readers"}.Matches("", values))
	assert.False(t, Selector{"competitor": "readers(count=4)"}.Matches("", values))
	assert.False(t, Selector{"competitor": "reader"}.Matches("", values))
}

func TestSelectorString(t *testing.T) {
	tests := []struct {
		sel  Selector
		want string
	}{
		{nil, "*"},
		{Selector{}, "*"},
		{Selector{"coordination": "off", "mode": "process-per-model"}, "mode=process-per-model/coordination=off"},
		{Selector{"seed": "1", "competitor": "none", "host": "b", CellAxis: "k"}, "competitor=none/seed=1/cell=k/host=b"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.sel.String())
	}
}
