package scenarios

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	yamlparser "github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"lockbench/vocab"
)

// pos is a 1-based line and column.
type pos struct{ line, col int }

func posOf(n ast.Node) pos {
	if n == nil {
		return pos{}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return pos{}
	}
	return pos{tk.Position.Line, tk.Position.Column}
}

// index maps the nodes of a YAML document to their paths ("matrix.mode[1]"), and back, so that
// errors found after decoding can name a position, and errors found by the decoder can name a
// path.
type index struct {
	values    map[string]ast.Node // path → value node
	keys      map[string]ast.Node // path → key node
	keyParent map[pos]string      // key position → path of the mapping holding it
	valuePath map[pos]string      // value position → path (the outermost node at that position)
	mappings  map[string][]string // mapping path → its keys, in document order
}

func newIndex(f *ast.File) *index {
	ix := &index{
		values:    map[string]ast.Node{},
		keys:      map[string]ast.Node{},
		keyParent: map[pos]string{},
		valuePath: map[pos]string{},
		mappings:  map[string][]string{},
	}
	if f != nil {
		for _, d := range f.Docs {
			if d != nil && d.Body != nil {
				ix.walk(d.Body, "")
				break
			}
		}
	}
	return ix
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func (ix *index) walk(n ast.Node, path string) {
	n = unwrap(n)
	if n == nil {
		return
	}
	if _, ok := ix.values[path]; !ok {
		ix.values[path] = n
	}
	if p := posOf(n); p.line > 0 {
		if _, ok := ix.valuePath[p]; !ok {
			ix.valuePath[p] = path
		}
	}
	switch n := n.(type) {
	case *ast.MappingNode:
		ix.mappings[path] = ix.mappings[path][:0:0]
		for _, mv := range n.Values {
			ix.pair(mv, path)
		}
	case *ast.MappingValueNode:
		ix.mappings[path] = nil
		ix.pair(n, path)
	case *ast.SequenceNode:
		for i, v := range n.Values {
			ix.walk(v, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

func (ix *index) pair(mv *ast.MappingValueNode, path string) {
	if mv == nil || mv.Key == nil {
		return
	}
	k := keyText(mv.Key)
	ix.mappings[path] = append(ix.mappings[path], k)
	child := joinPath(path, k)
	ix.keys[child] = mv.Key
	ix.keyParent[posOf(mv.Key)] = path
	ix.walk(mv.Value, child)
}

func keyText(k ast.MapKeyNode) string {
	if s, ok := unwrap(k).(*ast.StringNode); ok {
		return s.Value
	}
	return k.String()
}

// unwrap strips tags and anchors from a node.
func unwrap(n ast.Node) ast.Node {
	for {
		switch t := n.(type) {
		case *ast.TagNode:
			n = t.Value
		case *ast.AnchorNode:
			n = t.Value
		default:
			return n
		}
	}
}

var indexRE = regexp.MustCompile(`\[\d+\]`)

// pattern turns "targets[0].baseline" into "targets[].baseline".
func pattern(path string) string { return indexRE.ReplaceAllString(path, "[]") }

// Keys accepted by each kind of mapping, for unknown-key errors.
var (
	topKeys      = []string{"name", "description", "workload", "root-seed", "trials", "warmup", "min-trials", "max-trials", "fixed", "timeout", "defaults", "matrix", "include", "exclude", "expect", "targets", "duckdb-binaries"}
	workloadKeys = []string{"kind", "command"}
	expectKeys   = []string{"cells", "outcome", "note"}
	targetKeys   = []string{"name", "metric", "baseline", "candidate", "reduction"}
	compKeys     = []string{"kind", "count", "period", "start", "command", "duckdb"}
)

// axisMappings are the paths whose keys are axis names.
var axisMappings = map[string]bool{
	"defaults": true, "matrix": true, "include[]": true, "exclude[]": true,
	"expect[].cells": true, "targets[].baseline": true, "targets[].candidate": true,
}

// typeWanted describes the type each decoded path wants, for wrong-type errors.
var typeWanted = map[string]string{
	"":                    "a mapping of the keys " + strings.Join(topKeys, ", "),
	"name":                "a string",
	"description":         "a string",
	"root-seed":           "an integer",
	"trials":              "an integer ≥ 1",
	"warmup":              "an integer ≥ 0",
	"min-trials":          "an integer ≥ 2",
	"max-trials":          "an integer ≥ 2",
	"fixed":               "true or false",
	"defaults":            "a mapping of axis: value",
	"matrix":              "a mapping of axis: [values]",
	"include":             "a list of mappings of axis: value",
	"exclude":             "a list of mappings of axis: value",
	"include[]":           "a mapping of axis: value",
	"exclude[]":           "a mapping of axis: value",
	"expect":              "a list of mappings {cells, outcome, note}",
	"expect[]":            "a mapping {cells, outcome, note}",
	"expect[].cells":      "a mapping of axis: value",
	"expect[].note":       "a string",
	"targets":             "a list of mappings {name, metric, baseline, candidate, reduction}",
	"targets[]":           "a mapping {name, metric, baseline, candidate, reduction}",
	"targets[].name":      "a string",
	"targets[].metric":    vocab.Join(vocab.Metrics),
	"targets[].baseline":  "a mapping of axis: value",
	"targets[].candidate": "a mapping of axis: value",
	"targets[].reduction": "a number below 1 (0.65 means the candidate is at least 65% lower)",
	"duckdb-binaries":     "a mapping of RELEASE: PATH",
}

// describe names a node's YAML type for messages: `a string ("x")`, `a list`, ...
func describe(n ast.Node) string {
	n = unwrap(n)
	switch n := n.(type) {
	case nil, *ast.NullNode:
		return "nothing"
	case *ast.StringNode:
		return fmt.Sprintf("a string (%q)", n.Value)
	case *ast.IntegerNode:
		return fmt.Sprintf("an integer (%s)", n.GetToken().Value)
	case *ast.FloatNode:
		return fmt.Sprintf("a number (%s)", n.GetToken().Value)
	case *ast.BoolNode:
		return fmt.Sprintf("a boolean (%s)", n.GetToken().Value)
	case *ast.SequenceNode:
		return "a list"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	}
	return "a " + strings.ToLower(n.Type().String())
}

// parser holds what error reporting needs: the file name and the document's index.
type parser struct {
	file string
	ix   *index
}

// errAt returns an *Error positioned at n.
func (p *parser) errAt(n ast.Node, allowed, format string, args ...any) *Error {
	ps := posOf(n)
	return &Error{File: p.file, Line: ps.line, Col: ps.col, Msg: fmt.Sprintf(format, args...), Allowed: allowed}
}

// errPath returns an *Error positioned at the value at path, or at its key, or at the start of
// the file when neither exists.
func (p *parser) errPath(path, allowed, format string, args ...any) *Error {
	n := p.ix.values[path]
	if n == nil {
		n = p.ix.keys[path]
	}
	e := p.errAt(n, allowed, format, args...)
	if e.Line == 0 {
		e.Line, e.Col = 1, 1
	}
	return e
}

// errKey returns an *Error positioned at the key of path (or its value).
func (p *parser) errKey(path, allowed, format string, args ...any) *Error {
	if k := p.ix.keys[path]; k != nil {
		return p.errAt(k, allowed, format, args...)
	}
	return p.errPath(path, allowed, format, args...)
}

// decoderPanic is a panic of go-yaml (it has some on malformed input, such as a tag without a
// value), recovered and turned into an error.
type decoderPanic struct {
	node  ast.Node // the node being decoded, or nil while parsing
	value any
}

func (e *decoderPanic) Error() string { return fmt.Sprintf("go-yaml failed: %v", e.value) }

// parseYAML is go-yaml's parser.ParseBytes with its panics turned into errors.
func parseYAML(data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, &decoderPanic{value: r}
		}
	}()
	return yamlparser.ParseBytes(data, 0)
}

// decode is yaml.NodeToValue in strict mode with go-yaml's panics turned into errors.
func decode(n ast.Node, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &decoderPanic{node: n, value: r}
		}
	}()
	return yaml.NodeToValue(n, v, yaml.Strict())
}

// decodeErr converts an error of go-yaml's decoder into an *Error with the same position, a
// message naming the path, and the list of what is allowed there.
func (p *parser) decodeErr(err error) *Error {
	var (
		unknown *yaml.UnknownFieldError
		typ     *yaml.TypeError
		ov      *yaml.OverflowError
		ye      yaml.Error
	)
	switch {
	case errors.As(err, &unknown):
		parent, ok := p.ix.keyParent[tokPos(unknown.Token)]
		if !ok {
			break
		}
		allowed, what := p.keysAllowed(parent)
		// go-yaml picks among several unknown keys at random; report the first in the file.
		for _, k := range p.ix.mappings[parent] {
			if !slices.Contains(allowed, k) {
				where := parent
				if where == "" {
					where = "the top level"
				}
				return p.errKey(joinPath(parent, k), strings.Join(allowed, ", "), "unknown %s %q in %s", what, k, where)
			}
		}
	case errors.As(err, &typ):
		return p.typeErr(typ.Token, err)
	case errors.As(err, &ov):
		return p.typeErr(ov.Token, err)
	}
	var dp *decoderPanic
	if errors.As(err, &dp) {
		e := &Error{File: p.file, Line: 1, Col: 1, Msg: "invalid YAML that the YAML library cannot decode (an empty tag such as \"!\"?)", Err: err}
		if dp.node != nil {
			if ps := posOf(dp.node); ps.line > 0 {
				e.Line, e.Col = ps.line, ps.col
			}
		}
		return e
	}
	if errors.As(err, &ye) {
		ps := tokPos(ye.GetToken())
		return &Error{File: p.file, Line: ps.line, Col: ps.col, Msg: "invalid YAML: " + yamlMessage(ye.GetMessage()), Err: err}
	}
	return &Error{File: p.file, Msg: "invalid YAML: " + yamlMessage(err.Error()), Err: err}
}

// reYAMLPos is the "[line:col] " go-yaml puts before its messages.
var reYAMLPos = regexp.MustCompile(`^\[\d+:\d+\] `)

// yamlMessage reduces a go-yaml message to its first line (go-yaml appends a source excerpt
// on the following lines) without go-yaml's own position, which Error already shows.
func yamlMessage(msg string) string {
	msg, _, _ = strings.Cut(strings.TrimSpace(msg), "\n")
	return reYAMLPos.ReplaceAllString(strings.TrimSpace(msg), "")
}

func (p *parser) typeErr(tk *token.Token, err error) *Error {
	ps := tokPos(tk)
	path, ok := p.ix.valuePath[ps]
	if !ok {
		return &Error{File: p.file, Line: ps.line, Col: ps.col, Msg: "wrong type: " + yamlMessage(err.Error()), Err: err}
	}
	want := wantFor(pattern(path))
	name := path
	if name == "" {
		name = "the document"
	}
	return &Error{File: p.file, Line: ps.line, Col: ps.col, Msg: fmt.Sprintf("%s: wrong type: got %s", name, describe(p.ix.values[path])), Allowed: want}
}

// keysAllowed returns the keys accepted by the mapping at path and what they are called.
func (p *parser) keysAllowed(path string) ([]string, string) {
	pt := pattern(path)
	switch {
	case pt == "":
		return topKeys, "key"
	case pt == "workload":
		return workloadKeys, "key"
	case pt == "expect[]":
		return expectKeys, "key"
	case pt == "targets[]":
		return targetKeys, "key"
	case axisMappings[pt]:
		return vocab.Axes, "axis"
	case strings.HasSuffix(pt, ".competitor") || strings.HasSuffix(pt, ".competitor[]"):
		return compKeys, "competitor option"
	}
	return nil, "key"
}

func tokPos(tk *token.Token) pos {
	if tk == nil || tk.Position == nil {
		return pos{}
	}
	return pos{tk.Position.Line, tk.Position.Column}
}

// wantFor describes the type wanted at a path pattern.
func wantFor(pt string) string {
	if w, ok := typeWanted[pt]; ok {
		return w
	}
	switch {
	case strings.HasSuffix(pt, "competitor.count") || strings.HasSuffix(pt, "competitor[].count"):
		return "an integer ≥ 1"
	case strings.HasSuffix(pt, ".kind"), strings.HasSuffix(pt, ".command"), strings.HasSuffix(pt, ".period"), strings.HasSuffix(pt, ".start"):
		return "a string"
	}
	return ""
}
