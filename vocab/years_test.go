package vocab

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseYears(t *testing.T) {
	tests := []struct {
		in      string
		want    []int
		wantErr string
	}{
		{"2025", []int{2025}, ""},
		{" 2025-2029 ", []int{2025, 2026, 2027, 2028, 2029}, ""},
		{"2025+2027+2030", []int{2025, 2027, 2030}, ""},
		{"2099-2100", []int{2099, 2100}, ""},
		{"", nil, "no years"},
		{"2025,2026", nil, `years "2025,2026" is not a year, range or set`},
		{"twenty", nil, "is not a year, range or set"},
		{"2025-", nil, "is not a year, range or set"},
		{"2029-2025", nil, `years range "2029-2025" is not increasing`},
		{"2025-2025", nil, "is not increasing"},
		{"1999-2001", nil, "year 1999 is outside 2000-2100"},
		{"2099-2101", nil, "year 2101 is outside 2000-2100"},
		{"2027+2025", nil, "years are not strictly increasing: 2025 follows 2027"},
		{"2025+2025", nil, "years are not strictly increasing: 2025 follows 2025"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseYears(tc.in)
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			// The canonical text reads back to the same years.
			back, err := ParseYears(FormatYears(got))
			require.NoError(t, err)
			assert.Equal(t, got, back)
		})
	}
}

func TestFormatYears(t *testing.T) {
	for want, years := range map[string][]int{
		"":               nil,
		"2025":           {2025},
		"2025-2026":      {2025, 2026},
		"2025-2029":      {2025, 2026, 2027, 2028, 2029},
		"2025+2027":      {2025, 2027},
		"2025+2026+2028": {2025, 2026, 2028},
	} {
		assert.Equal(t, want, FormatYears(years), years)
	}
}
