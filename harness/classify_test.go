package harness

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"lockbench/sim"
	"lockbench/vocab"
)

func TestClassifyRun(t *testing.T) {
	dq := &sim.DQError{Year: 2026, Check: "growth"}
	tests := []struct {
		name string
		err  error
		kind vocab.Kind
		sub  vocab.Sub
	}{
		{"no error", nil, vocab.OK, ""},
		{"a failed data-quality check, wrapped", fmt.Errorf("year 2026: %w", dq), vocab.Mismatch, vocab.SubDQ},
		{"a DuckDB transaction conflict", errors.New("TransactionContext Error: Failed to commit: Conflict on tuple deletion!"), vocab.TxnConflict, vocab.SubDelete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ClassifyRun(tt.err)
			assert.Equal(t, tt.kind, o.Kind, o.Message)
			assert.Equal(t, tt.sub, o.Sub)
		})
	}
	assert.Equal(t, dq.Error(), ClassifyRun(dq).Message, "the message is the check's, without the wrapping")
}
