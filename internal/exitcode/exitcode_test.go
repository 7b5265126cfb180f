package exitcode

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCodesAndHintsTravelWithTheError(t *testing.T) {
	base := errors.New("disk full")
	tests := []struct {
		name string
		err  error
		code Code
		hint string
	}{
		{"nil is pass", nil, Pass, ""},
		{"a bare error is the harness's fault", base, Internal, ""},
		{"a code", WithCode(base, Fail), Fail, ""},
		{"the innermost code wins", WithCode(fmt.Errorf("run: %w", WithCode(base, Usage)), Fail), Usage, ""},
		{"usage keeps its cause", Usagef("read %s: %w", "x.yaml", base), Usage, ""},
		{"a hint", WithHint(WithCode(base, Fail), "free some space"), Fail, "free some space"},
		{"a hint inside a wrapped error", fmt.Errorf("simulate: %w", WithHint(WithCode(base, Unknown), "retry")), Unknown, "retry"},
		{"silent", Silent(Unknown), Unknown, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.code, Of(tc.err))
			assert.Equal(t, tc.hint, HintOf(tc.err))
		})
	}
	assert.ErrorIs(t, Usagef("read: %w", base), base)
	assert.True(t, IsSilent(Silent(Fail)))
	assert.False(t, IsSilent(WithCode(base, Fail)))
	assert.Nil(t, WithCode(nil, Fail))
}
