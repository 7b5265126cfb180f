package reports

import (
	"fmt"
	"html/template"
	"io"
)

type htmlCell struct {
	*Cell
	WallText, OverheadText, SQLText, CV, OutcomesText, ByKind, Refs string
	Timeline                                                        template.HTML
}

type htmlPage struct {
	R                 *Report
	Badge             string
	Cells             []htmlCell
	Warnings          []Warning
	WallBox, OverBox  template.HTML
	Stacked           template.HTML
	TargetEvidence    []string
	Labels            map[string]string
	ConfidencePercent float64
	Legend            []legendEntry
	HasVersus         bool
	VersusRows        [][]string
	VersusGeo         []string
	Strategies        template.HTML
}

var htmlTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lockbench report: {{.R.Verdict}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:70em;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#1a7f37;font-weight:bold}.fail{color:#cf222e;font-weight:bold}.unknown{color:#9a6700;font-weight:bold}
.evidence{font-size:.85em;color:#555}
figure{margin:1em 0}svg{max-width:100%;height:auto}
code{font-size:.9em}
.sw{display:inline-block;width:1em;height:1em;margin:0 .3em 0 .8em;vertical-align:middle}
</style>
</head>
<body>
<h1>lockbench report: <span class="{{.R.Verdict}}">{{.Badge}}</span></h1>
<ul>
{{range .R.Runs}}<li><code>{{.ID}}</code>{{if .Shard}} shard {{.Shard}}{{end}}: {{.Trials}} trials, seed {{.RootSeed}}; {{.Host.CPU}} ({{.Host.Cores}} cores), {{.Host.OS}} {{.Host.Kernel}}; lockbench {{.Versions.Lockbench}} {{.Versions.Commit}}, {{.Versions.Go}}, DuckDB {{.Versions.DuckDB}}, driver {{.Versions.Driver}}</li>
{{end}}</ul>
{{if .R.Targets}}<h2>Targets</h2>
<table><tr><th>verdict</th><th>target</th><th>evidence</th></tr>
{{range $i, $t := .R.Targets}}<tr><td class="{{$t.Verdict}}">{{$t.Verdict}}</td><td>{{$t.Name}}</td><td>{{index $.TargetEvidence $i}}<div class="evidence">{{$t.Reason}}</div></td></tr>
{{end}}</table>{{end}}
{{if .R.Expectations}}<h2>Expectations</h2>
<table><tr><th>verdict</th><th>expectation</th><th>reason</th></tr>
{{range .R.Expectations}}<tr><td class="{{.Verdict}}">{{.Verdict}}</td><td>{{.Name}}</td><td>{{.Reason}}{{range .Mismatches}}<div class="evidence">{{.}}</div>{{end}}{{range .Messages}}<div class="evidence">message: <code>{{.}}</code></div>{{end}}</td></tr>
{{end}}</table>{{end}}
<h2>Cells</h2>
<p>Median ± the relative half-width of its {{printf "%.0f" .ConfidencePercent}}% order-statistic interval, over ok trials (warmups excluded).</p>
<table><tr><th>cell</th><th>ok/n</th><th>wall</th><th>overhead</th><th>sql</th><th>wall cv</th><th>outcomes</th><th>overhead by kind (median)</th><th>notes</th></tr>
{{range .Cells}}<tr><td><code>{{.Key}}</code></td><td class="n">{{.OK}}/{{.Trials}}</td><td class="n">{{.WallText}}</td><td class="n">{{.OverheadText}}</td><td class="n">{{.SQLText}}</td><td class="n">{{.CV}}</td><td>{{.OutcomesText}}</td><td>{{.ByKind}}</td><td>{{.Refs}}</td></tr>
{{end}}</table>
{{if .HasVersus}}<h2>vs {{.R.Versus.Axis}}={{.R.Versus.Base}}</h2>
<table><tr><th>cell</th><th>wall</th><th></th><th>overhead</th><th></th></tr>
{{range .VersusRows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}<tr>{{range .VersusGeo}}<td>{{.}}</td>{{end}}</tr></table>{{end}}
<h2>Distributions</h2>
<figure>{{.WallBox}}</figure>
<figure>{{.OverBox}}</figure>
{{if .Stacked}}<h2>Overhead by span kind</h2>
<figure>{{.Stacked}}</figure>{{end}}
<h2>Timelines</h2>
<p>One trial per cell (the ok trial closest to the median wall time): spans per worker, competitor lifetimes shaded, spans that ended in an error outlined in red with a cross at their end.</p>
<p>{{range .Legend}}<span class="sw" style="background:{{.CSS}}"></span>{{.Kind}} {{end}}</p>
{{range .Cells}}{{if .Timeline}}<h3><code>{{.Key}}</code></h3>
<figure>{{.Timeline}}</figure>
{{end}}{{end}}
{{.Strategies}}{{if .Warnings}}<h2>Warnings</h2>
<ol>{{range .Warnings}}<li>{{if .Cell}}<code>{{index $.Labels .Cell}}</code>: {{end}}{{.Message}}</li>{{end}}</ol>{{end}}
</body>
</html>
`))

// WriteHTML writes a self-contained HTML report (no external resources) with inline SVG plots
// drawn with gonum/plot: box plots of wall and overhead per cell, a stacked bar of overhead by
// span kind per cell, and a timeline of one trial per cell.
func WriteHTML(w io.Writer, r *Report) error {
	fn := newFootnotes(r)
	pg := htmlPage{R: r, Badge: verdictWord(r.Verdict), Warnings: fn.all, Labels: map[string]string{},
		ConfidencePercent: 100 * r.Settings.Confidence, Legend: legendKinds()}
	for _, t := range r.Targets {
		pg.TargetEvidence = append(pg.TargetEvidence, t.Evidence())
	}
	for _, c := range r.Cells {
		pg.Labels[c.Key] = c.Label
		hc := htmlCell{Cell: c, WallText: medianCell(c.Wall), OverheadText: medianCell(c.Overhead), SQLText: medianCell(c.SQL),
			CV: "-", OutcomesText: outcomesText(c.Outcomes), ByKind: byKindText(c.OverheadByKind), Refs: fn.refs(c.Key)}
		if c.Wall != nil {
			hc.CV = pct(c.Wall.CV)
		}
		if c.timeline != nil {
			svg, err := timelineSVG(c.timeline)
			if err != nil {
				return fmt.Errorf("html report: %w", err)
			}
			hc.Timeline = template.HTML(svg)
		}
		pg.Cells = append(pg.Cells, hc)
	}
	if v := r.Versus; v != nil && len(v.Rows) > 0 {
		pg.HasVersus = true
		for _, row := range v.Rows {
			pg.VersusRows = append(pg.VersusRows, []string{labelOf(r, row.Cell), deltaText(row.Wall),
				pText(row.Wall.PAdj, row.Wall.BaseN, row.Wall.NewN), deltaText(row.Overhead),
				pText(row.Overhead.PAdj, row.Overhead.BaseN, row.Overhead.NewN)})
		}
		pg.VersusGeo = []string{"geomean", ratioChange(v.GeomeanWall), "", ratioChange(v.GeomeanOverhead), ""}
	}
	if len(r.Cells) > 0 {
		for _, m := range []struct {
			metric string
			dst    *template.HTML
		}{{MetricWall, &pg.WallBox}, {MetricOverhead, &pg.OverBox}} {
			svg, err := boxPlotSVG(r.Cells, m.metric)
			if err != nil {
				return fmt.Errorf("html report: %w", err)
			}
			*m.dst = template.HTML(svg)
		}
		if len(kindColumns(r.Cells)) > 0 {
			svg, err := stackedKindsSVG(r.Cells)
			if err != nil {
				return fmt.Errorf("html report: %w", err)
			}
			pg.Stacked = template.HTML(svg)
		}
	}
	var err error
	if pg.Strategies, err = strategiesHTML(r); err != nil {
		return err
	}
	if err := htmlTmpl.Execute(w, pg); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}
