package scenarios

import (
	"strings"

	"lockbench/criteria"
)

// Selects reports whether selector s picks the cell with key and canonical axis values
// (Cell.Values, or a history trial's parameters): whether the cell has every value of s. It is
// the one selection rule of lockbench: scenarios, the harness and reports all match cells with
// it. The rule, for each name → want of s:
//
//   - criteria.CellAxis matches the whole key exactly;
//   - a name the cell has no value for never matches;
//   - values are equal, or, for an axis of this package, equal in canonical form ("true"
//     matches coordination=on, "2025-2026" matches years=2025-2026); an invalid value never
//     matches;
//   - a competitor given as a bare kind ("readers") matches that kind with any options
//     ("readers(count=3)"); a competitor with options matches only its canonical text;
//   - a name that is not an axis of this package matches only the same value.
//
// An empty selector matches every cell.
func Selects(s criteria.Selector, key string, values map[string]string) bool {
	for name, want := range s {
		want = strings.TrimSpace(want)
		if name == criteria.CellAxis {
			if key != want {
				return false
			}
			continue
		}
		have, ok := values[name]
		if !ok {
			return false
		}
		if have == want {
			continue
		}
		a, ok := axisByName(name)
		if !ok {
			return false
		}
		if a != axCompetitor || strings.Contains(want, "(") {
			v, err := parseScalar(a, want)
			if err != nil {
				return false
			}
			want = v.canon
		}
		if !canonMatches(a, have, want) {
			return false
		}
	}
	return true
}

// canonMatches compares a cell's canonical value of axis a with a selector's canonical value:
// equal, or a competitor kind without options ("readers") against any options of that kind.
func canonMatches(a axis, have, want string) bool {
	if have == want {
		return true
	}
	if a == axCompetitor && !strings.Contains(want, "(") {
		kind, _, _ := strings.Cut(have, "(")
		return kind == want
	}
	return false
}

// Matches reports whether the cell is selected by s (see Selects).
func (c Cell) Matches(s criteria.Selector) bool {
	return Selects(s, c.Key, c.Values)
}

// matches reports whether the cell has every value of sel (see canonMatches).
func (c *icell) matches(sel map[axis]value) bool {
	for a, v := range sel {
		if !canonMatches(a, c.vals[a].canon, v.canon) {
			return false
		}
	}
	return true
}
