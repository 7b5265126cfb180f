package main

import (
	"fmt"
	"strings"

	"lockbench/vocab"
)

// yearsValue is the value of a --years flag. It reads each comma-separated part with
// vocab.ParseYears (one year, a range 2025-2027 or a set 2025+2027), the parser scenario files,
// cell keys and --filter use, and checks the whole list with vocab.CheckYears. Repeating the
// flag adds years. A bad value fails flag parsing: exit 2, with the flag's name.
type yearsValue struct {
	years *[]int
	set   bool
}

// newYearsValue returns the flag value that writes into years, whose value is the default.
func newYearsValue(years *[]int) *yearsValue { return &yearsValue{years: years} }

func (v *yearsValue) String() string {
	if v.years == nil {
		return ""
	}
	return vocab.FormatYears(*v.years)
}

func (v *yearsValue) Set(s string) error {
	var years []int
	if v.set {
		years = append(years, *v.years...)
	}
	for _, part := range strings.Split(s, ",") {
		ys, err := vocab.ParseYears(part)
		if err != nil {
			return fmt.Errorf("%w; write %s", err, vocab.YearsSyntax)
		}
		years = append(years, ys...)
	}
	if err := vocab.CheckYears(years); err != nil {
		return fmt.Errorf("%w; write %s", err, vocab.YearsSyntax)
	}
	*v.years, v.set = years, true
	return nil
}

func (v *yearsValue) Type() string { return "years" }

// yearsUsage is the help text of every --years flag.
const yearsUsage = "simulation years, increasing: " + vocab.YearsSyntax + ", or several: --years 2025 2026 2027"

// trailingYears lets --years take several values separated by spaces, as the tool it replaces
// did (--years 2025 2026 2027): the extra positional values that look like years are appended
// to --years.
func trailingYears(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		if args[i] == "--" {
			// What follows is another program's command line (watch --db F -- CMD): as given.
			return append(out, args[i:]...)
		}
		out = append(out, args[i])
		if args[i] == "--years" {
			j := i + 1
			var vals []string
			for ; j < len(args) && looksLikeYears(args[j]); j++ {
				vals = append(vals, args[j])
			}
			if len(vals) > 1 {
				out = append(out, strings.Join(vals, ","))
				i = j - 1
			}
		}
	}
	return out
}

// looksLikeYears reports whether s is written like years (2025, 2025-2027, 2025+2027): digits,
// '-' and '+', starting and ending with a digit. Whether they are valid years is the flag's
// business.
func looksLikeYears(s string) bool {
	if s == "" || !isDigit(s[0]) || !isDigit(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && s[i] != '-' && s[i] != '+' {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
