package units

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSecs(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{0, "0s"}, {1.234, "1.23s"}, {12.34, "12.3s"}, {123.4, "123s"}, {1234.5, "1234s"},
		{0.0456, "45.6ms"}, {0.000789, "789µs"}, {-0.5, "-500ms"}, {math.Inf(1), "+Inf"},
	} {
		assert.Equal(t, tc.want, Secs(tc.v), "%v", tc.v)
	}
	assert.Equal(t, "+52.0ms", SignedSecs(0.052))
	assert.Equal(t, "-1.20s", SignedSecs(-1.2))
	assert.Equal(t, "65.3%", Pct(0.653))
	assert.Equal(t, "+12.0%", SignedPct(0.12))
	assert.Equal(t, "-3.5%", SignedPct(-0.035))
}
