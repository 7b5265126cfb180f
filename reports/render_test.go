package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"lockbench/verdict"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/perf/benchfmt"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestMain(m *testing.M) {
	goarch = "amd64" // pin the Go benchmark header for goldens
	os.Exit(m.Run())
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./reports/ -update to create it")
	assert.Equal(t, string(want), string(got), "golden %s differs; rerun with -update if the change is intended", name)
}

func goldenReport(t *testing.T) *Report {
	t.Helper()
	r, err := Build(goldenRuns(t), goldenOptions())
	require.NoError(t, err)
	return r
}

func render(t *testing.T, f func(io.Writer) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, f(&buf))
	return buf.Bytes()
}

func TestGoldens(t *testing.T) {
	r := goldenReport(t)
	cmpn := Compare(goldenRuns(t), compareNewRuns(t), 0.05)
	tests := []struct {
		file string
		f    func(io.Writer) error
	}{
		{"report.txt", func(w io.Writer) error { return WriteText(w, r) }},
		{"report.md", func(w io.Writer) error { return WriteMarkdown(w, r) }},
		{"report.junit.xml", func(w io.Writer) error { return WriteJUnit(w, r) }},
		{"report.bench.txt", func(w io.Writer) error { return WriteGoBench(w, r) }},
		{"compare.txt", func(w io.Writer) error { return WriteCompareText(w, cmpn) }},
		{"compare.md", func(w io.Writer) error { return WriteCompareMarkdown(w, cmpn) }},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got := render(t, tc.f)
			golden(t, tc.file, got)
			// Deterministic: a second build renders the same bytes.
			again := render(t, tc.f)
			assert.Equal(t, string(got), string(again))
		})
	}
}

func TestJSONParses(t *testing.T) {
	r := goldenReport(t)
	b := render(t, func(w io.Writer) error { return WriteJSON(w, r) })
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b, &doc))
	assert.EqualValues(t, SchemaVersion, doc["schema_version"])
	assert.Equal(t, "fail", doc["verdict"])
	var back Report
	require.NoError(t, json.Unmarshal(b, &back))
	require.Len(t, back.Cells, 5)
	assert.Len(t, back.Cells[0].Values, 13, "raw values include the warmup")
	assert.NotNil(t, back.Cells[0].Wall.MedianCI)
	assert.Len(t, back.Targets, 4)
	assert.NotEmpty(t, back.Cells[0].Warnings)

	cb := render(t, func(w io.Writer) error { return WriteCompareJSON(w, Compare(goldenRuns(t), compareNewRuns(t), 0.05)) })
	var c Comparison
	require.NoError(t, json.Unmarshal(cb, &c))
	assert.Equal(t, SchemaVersion, c.SchemaVersion)
	assert.Equal(t, verdict.Fail, c.Verdict)
}

func TestJUnitParses(t *testing.T) {
	b := render(t, func(w io.Writer) error { return WriteJUnit(w, goldenReport(t)) })
	var s junitSuites
	require.NoError(t, xml.Unmarshal(b, &s))
	assert.Equal(t, 4+7, s.Tests)
	assert.Equal(t, 2, s.Failures) // one target, one expectation
	assert.Equal(t, 3, s.Skipped)  // two unknown targets, one unknown expectation
}

var svgRe = regexp.MustCompile(`(?s)<svg.*?</svg>`)

func TestHTMLWellFormed(t *testing.T) {
	b := render(t, func(w io.Writer) error { return WriteHTML(w, goldenReport(t)) })
	s := string(b)
	assert.True(t, strings.HasPrefix(s, "<!DOCTYPE html>"))
	assert.True(t, strings.HasSuffix(strings.TrimSpace(s), "</html>"))
	// Self-contained and inert (messages are shown in full only on failure).
	for _, bad := range []string{"<script", `src="`, `href="http`, "url(", "@import"} {
		assert.False(t, strings.Contains(s, bad), "HTML contains %q", bad)
	}
	svgs := svgRe.FindAllString(strings.ReplaceAll(s, `xmlns="http://www.w3.org/2000/svg"`, ""), -1)
	// Two box plots, the stacked bars and one timeline per cell.
	assert.Len(t, svgs, 3+5)
	for i, svg := range svgs {
		d := xml.NewDecoder(strings.NewReader(svg))
		d.Strict = true
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			require.NoError(t, err, "svg %d is not well-formed XML", i)
		}
	}
	for _, want := range []string{"FAIL", "Conflicting lock is held", "coordination cuts overhead 65%", "competitor",
		// The headline: the verdict, the key figure in words and drawn against its target.
		`<div class="key">threaded&#43;coordination cuts overhead 65%: overhead reduced by 94.4% (95% CI 93.5% to 94.8%); target ≥ 65.0% (and 3 more target(s) below)</div>`,
		`<div class="tline" style="left:65.00%"><span class="l">target ≥ 65.0%</span></div>`,
		// Constant axes once, cells by the axes that vary.
		"Every cell: <code>employees=1000 years=3</code>",
		`<td class="nw">mode=threaded threads=4 coordination=on competitor=holder-ro</td>`,
		// No interval: the median carries its footnote's number.
		`<td class="n">2.68s [4]</td>`,
		// Plot text in a sans-serif face with fallbacks; legends outside the plots.
		`font-family:'Liberation Sans',Arial,Helvetica,sans-serif;`,
		`<div class="legend"><span><span class="sw" style="background:#b279a2"></span>spawn</span>`,
	} {
		assert.Contains(t, s, want)
	}
	assert.NotContains(t, s, "employees=1000/years=3", "no full cell key: labels and the constant axes instead")
	assert.NotContains(t, s, "Liberation Serif")
	assert.NotContains(t, s, "∞")
}

func TestGoBenchParses(t *testing.T) {
	r := goldenReport(t)
	b := render(t, func(w io.Writer) error { return WriteGoBench(w, r) })
	rd := benchfmt.NewReader(bytes.NewReader(b), "bench.txt")
	n := 0
	modes := map[string]int{}
	for rd.Scan() {
		res, ok := rd.Result().(*benchfmt.Result)
		if !ok {
			continue
		}
		n++
		assert.Equal(t, "linux", res.GetConfig("goos"))
		assert.Equal(t, "lockbench", res.GetConfig("pkg"))
		base, parts := res.Name.Parts()
		assert.Equal(t, "Sim", string(base))
		assert.Equal(t, "/mode=", string(parts[0][:6]))
		assert.Equal(t, "-4", string(parts[len(parts)-1]), "GOMAXPROCS suffix from host cores")
		modes[strings.TrimPrefix(string(parts[0]), "/mode=")]++
		var key []string
		for _, part := range parts[:len(parts)-1] {
			key = append(key, strings.TrimPrefix(string(part), "/"))
		}
		assert.NotNil(t, r.Cell(strings.Join(key, "/")), "the cell key survives as name config: %v", key)
		for _, unit := range []string{"sec/op", "overhead-sec/op", "sql-sec/op"} {
			v, ok := res.Value(unit)
			assert.True(t, ok, unit)
			assert.Greater(t, v, 0.0)
		}
	}
	require.NoError(t, rd.Err())
	okTrials := 0
	for _, c := range r.Cells {
		okTrials += c.OK
	}
	assert.Equal(t, okTrials, n)
	assert.Equal(t, map[string]int{"process-per-model": 12, "threaded": 28}, modes)
}

func TestBenchName(t *testing.T) {
	tests := []struct {
		key   string
		cores int
		want  string
	}{
		{"mode=threaded/threads=4", 8, "BenchmarkSim/mode=threaded/threads=4-8"},
		{"mode=threaded/threads=4", 1, "BenchmarkSim/mode=threaded/threads=4"},
		{"years=2020-2024", 1, "BenchmarkSim/years=2020-2024-1"},
		{"competitor=my viewer/seed=-3", 0, "BenchmarkSim/competitor=my_viewer/seed=-3-1"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, benchName(tc.key, tc.cores))
	}
}

// TestWriteGoldenHTMLFile writes the golden report's HTML to $LOCKBENCH_HTML_OUT, for looking at
// it in a browser; it does nothing without the variable.
func TestWriteGoldenHTMLFile(t *testing.T) {
	out := os.Getenv("LOCKBENCH_HTML_OUT")
	if out == "" {
		t.Skip("set LOCKBENCH_HTML_OUT to write the golden HTML report")
	}
	require.NoError(t, os.WriteFile(out, render(t, func(w io.Writer) error { return WriteHTML(w, goldenReport(t)) }), 0o644))
}
