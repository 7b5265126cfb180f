package vocab

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// YearsSyntax says how years are written, for messages and help texts.
const YearsSyntax = `one year (2025), a range (2025-2027) or a "+"-joined set (2025+2027)`

// ParseYears reads simulation years as every input writes them (--years, scenario files, cell
// keys, --filter): one year "2025", a range "2025-2027" or a "+"-joined set "2025+2027+2030".
// The years must pass CheckYears. This and CheckYears are the only places years are checked;
// their messages say what is wrong, and callers add how years are written (YearsSyntax).
func ParseYears(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("years %q is not a year, range or set", s)
	if s == "" {
		return nil, CheckYears(nil)
	}
	var years []int
	if lo, hi, ok := strings.Cut(s, "-"); ok {
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if err1 != nil || err2 != nil {
			return nil, bad
		}
		if b <= a {
			return nil, fmt.Errorf("years range %q is not increasing", s)
		}
		if err := CheckYears([]int{a, b}); err != nil {
			return nil, err
		}
		for y := a; y <= b; y++ {
			years = append(years, y)
		}
	} else {
		for _, part := range strings.Split(s, "+") {
			y, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil {
				return nil, bad
			}
			years = append(years, y)
		}
	}
	if err := CheckYears(years); err != nil {
		return nil, err
	}
	return years, nil
}

// CheckYears accepts a list of simulation years that is not empty, lies within MinYear to
// MaxYear and strictly increases; otherwise it says which year is wrong and why.
func CheckYears(years []int) error {
	if len(years) == 0 {
		return errors.New("no years: give " + YearsSyntax)
	}
	for i, y := range years {
		if y < MinYear || y > MaxYear {
			return fmt.Errorf("year %d is outside %d-%d", y, MinYear, MaxYear)
		}
		if i > 0 && y <= years[i-1] {
			return fmt.Errorf("years are not strictly increasing: %d follows %d", y, years[i-1])
		}
	}
	return nil
}

// FormatYears writes years canonically, as cell keys hold them: "2025" for one year,
// "2025-2027" for two or more consecutive years, else the years joined with "+"
// ("2025+2027+2030"). ParseYears reads it back.
func FormatYears(years []int) string {
	switch len(years) {
	case 0:
		return ""
	case 1:
		return strconv.Itoa(years[0])
	}
	consecutive := true
	for i := 1; i < len(years); i++ {
		if years[i] != years[i-1]+1 {
			consecutive = false
			break
		}
	}
	if consecutive {
		return fmt.Sprintf("%d-%d", years[0], years[len(years)-1])
	}
	parts := make([]string, len(years))
	for i, y := range years {
		parts[i] = strconv.Itoa(y)
	}
	return strings.Join(parts, "+")
}
