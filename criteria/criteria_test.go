package criteria

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

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
