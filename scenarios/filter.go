package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"lockbench/criteria"
	"lockbench/vocab"
)

// ParseFilter parses a filter expression: axis=value terms joined with "/" (the syntax of a
// cell key, so any key or part of one is a filter), where a value may list alternatives
// separated by ",": "mode=threaded,sequential/threads=4". A cell passes when every term
// matches. Errors are *Error values naming "--filter".
func ParseFilter(expr string) ([]criteria.Selector, error) {
	const allowed = "axis=value terms joined with \"/\", alternatives joined with \",\", e.g. mode=threaded,sequential/coordination=on"
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, nil
	}
	type term struct {
		axis string
		alts []string
	}
	var terms []term
	for _, part := range strings.Split(expr, "/") {
		name, vals, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || strings.TrimSpace(vals) == "" {
			return nil, &Error{File: "--filter", Msg: fmt.Sprintf("bad term %q in %q", part, expr), Allowed: allowed}
		}
		name = strings.TrimSpace(name)
		a, ok := axisByName(name)
		if !ok {
			return nil, &Error{File: "--filter", Msg: fmt.Sprintf("unknown axis %q", name), Allowed: strings.Join(vocab.Axes, ", ")}
		}
		t := term{axis: name}
		for _, alt := range splitAlternatives(vals) {
			alt = strings.TrimSpace(alt)
			if kind, _, opts := strings.Cut(alt, "("); a == axCompetitor && opts {
				// A competitor with options is matched by its canonical text; its kind must exist.
				if _, err := vocab.ParseCompetitorKind(strings.TrimSpace(kind)); err != nil {
					return nil, &Error{File: "--filter", Msg: fmt.Sprintf("unknown competitor %q in %q", strings.TrimSpace(kind), alt), Allowed: allowedFor(a)}
				}
			} else {
				v, verr := parseScalar(a, alt)
				if verr != nil {
					return nil, &Error{File: "--filter", Msg: verr.msg, Allowed: verr.allowed}
				}
				alt = v.canon
			}
			t.alts = append(t.alts, alt)
		}
		terms = append(terms, t)
	}
	// Expand alternatives into a disjunction of selectors.
	sels := []criteria.Selector{{}}
	for _, t := range terms {
		var next []criteria.Selector
		for _, s := range sels {
			for _, alt := range t.alts {
				s2 := maps.Clone(s)
				if prev, dup := s2[t.axis]; dup && prev != alt {
					continue // axis=a/axis=b can never match
				}
				s2[t.axis] = alt
				next = append(next, s2)
			}
		}
		sels = next
	}
	return sels, nil
}

// splitAlternatives splits on commas outside parentheses (competitor options use ";", but a
// canonical competitor may still be written with parentheses).
func splitAlternatives(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// Filter returns the cells that match the filter expression expr (see ParseFilter), in their
// original order. An empty expression keeps every cell.
func Filter(cells []Cell, expr string) ([]Cell, error) {
	sels, err := ParseFilter(expr)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(expr) == "" {
		return slices.Clone(cells), nil
	}
	var out []Cell
	for _, c := range cells {
		for _, s := range sels {
			if c.Matches(s) {
				out = append(out, c)
				break
			}
		}
	}
	return out, nil
}
