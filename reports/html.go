package reports

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"lockbench/verdict"
	"lockbench/vocab"
)

type htmlCell struct {
	*Cell
	WallText, OverheadText, SQLText, CV, OutcomesText, Refs string
	Timeline                                                template.HTML
}

type htmlExpectation struct {
	expLine
	Label, OutcomesText string
}

// htmlMessage is one message of the met expectations, folded across them.
type htmlMessage struct {
	Text, Where string
	Count       int
}

type htmlWarning struct {
	N              int
	Where, Message string
}

type htmlPage struct {
	R                 *Report
	Badge             string
	Headline          string
	TargetsFigure     template.HTML
	Trials            int
	Cells             []htmlCell
	Open, Met         []htmlExpectation
	MetMessages       []htmlMessage
	Warnings          []htmlWarning
	WallBox, OverBox  template.HTML
	Stacked           template.HTML
	StackLegend       []legendEntry
	TargetEvidence    []string
	ConfidencePercent float64
	Legend            []legendEntry
	HasVersus         bool
	VersusRows        [][]string
	VersusGeo         []string
	ParallelismIntro  string
	ParallelismHeader []string
	ParallelismRows   [][]string
	OpenTimelines     bool
	KindHeader        []string
	KindRows          [][]string
	Strategies        template.HTML
	Releases          template.HTML
	Upgrade           template.HTML
}

var htmlTmpl = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lockbench report: {{.R.Verdict}}</title>
<style>
:root{--pass:#1a7f37;--fail:#cf222e;--unknown:#9a6700;--line:#d0d7de;--muted:#57606a}
body{font-family:Inter,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans","DejaVu Sans",sans-serif;font-size:16px;line-height:1.5;
 margin:0 auto;max-width:72rem;color:#1f2328;padding:1rem 1.25rem 3rem}
h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.2rem;margin:2rem 0 .5rem;padding-bottom:.25rem;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:1.25rem 0 .25rem}
.muted,.meta{color:var(--muted)}.meta{font-size:.9rem;margin:.25rem 0}
.headline{border:1px solid var(--line);border-left:.5rem solid var(--unknown);border-radius:.5rem;padding:1rem 1.25rem;margin:1rem 0}
.headline.v-pass{border-left-color:var(--pass)}.headline.v-fail{border-left-color:var(--fail)}
.headline .verdict{font-size:2rem;font-weight:800;letter-spacing:.02em;line-height:1.2}
.headline .key{font-size:1.1rem;margin:.25rem 0 .75rem}
.tfig{max-width:48rem}.trow{margin:.5rem 0 .75rem}.tname{font-size:.95rem}
.track{position:relative;height:4.6rem;margin:0 1.25rem}
.track::after{content:"";position:absolute;left:0;right:0;bottom:1.35rem;border-top:1px solid #8c959f}
.ci{position:absolute;bottom:1.55rem;height:.9rem;border:1px solid;border-radius:.25rem;opacity:.45}
.dot{position:absolute;bottom:1.65rem;width:.7rem;height:.7rem;border-radius:50%;transform:translateX(-50%);z-index:1}
.est{position:absolute;bottom:2.5rem;font-weight:700;white-space:nowrap}
.est.r{transform:translateX(.2rem)}.est.l{transform:translateX(calc(-100% - .2rem))}
.tline{position:absolute;top:0;bottom:1.1rem;border-left:2px dashed #1f2328}
.tline span{position:absolute;top:-.1rem;font-size:.8rem;white-space:nowrap}
.tline span.l{right:.3rem}.tline span.r{left:.3rem}
.tick{position:absolute;bottom:0;transform:translateX(-50%);font-size:.75rem;color:var(--muted)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border-bottom:1px solid var(--line);padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600;white-space:nowrap}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.nw{white-space:nowrap}
.badge{display:inline-block;min-width:4.6rem;font-weight:700;text-transform:uppercase;font-size:.8rem;letter-spacing:.03em}
.pass{color:var(--pass)}.fail{color:var(--fail)}.unknown{color:var(--unknown)}
.item{padding:.5rem 0;border-bottom:1px solid var(--line)}
.item .what{font-weight:600}.item .why{margin-left:4.9rem}
.evidence{font-size:.85rem;color:var(--muted);overflow-wrap:anywhere}
.msg{font-size:.85rem;overflow-wrap:anywhere;margin:.15rem 0}
figure{margin:.5rem 0 1.5rem}svg{max-width:100%;height:auto;display:block}
code{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.85em;overflow-wrap:anywhere}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:.25rem 0;font-size:.85rem}
.sw{display:inline-block;width:.9rem;height:.9rem;margin-right:.3rem;vertical-align:-.1rem;border-radius:2px}
details{margin:.5rem 0}details summary{cursor:pointer;font-weight:600}
ol.warnings li{margin:.2rem 0}
@media (max-width:40rem){body{padding:.75rem}.item .why{margin-left:0}.headline{padding:.75rem}.headline .verdict{font-size:1.6rem}
 td.nw:first-child{white-space:normal;min-width:9rem;position:sticky;left:0;background:#fff}
 figure{overflow-x:auto}figure svg{max-width:none;width:34rem}}
</style>
</head>
<body>
<h1>lockbench report</h1>
<section class="headline v-{{.R.Verdict}}">
<div class="verdict {{.R.Verdict}}">{{.Badge}}</div>
<div class="key">{{.Headline}}</div>
{{.TargetsFigure}}
<p class="meta">{{len .R.Runs}} run(s), {{.Trials}} trial(s), {{len .R.Cells}} cell(s).{{if .R.Constant}} Every cell: <code>{{.R.Constant}}</code>.{{end}}</p>
</section>
<details><summary>Runs</summary><ul>
{{range .R.Runs}}<li><code>{{.ID}}</code>{{if .Shard}} shard {{.Shard}}{{end}}: {{.Trials}} trials, seed {{.RootSeed}}; {{.Host.CPU}} ({{.Host.Cores}} cores), {{.Host.OS}} {{.Host.Kernel}}; lockbench {{.Versions.Lockbench}} {{.Versions.Commit}}, {{.Versions.Go}}, DuckDB {{.Versions.DuckDB}}, driver {{.Versions.Driver}}</li>
{{end}}</ul></details>
{{if .R.Targets}}<h2>Targets</h2>
{{range $i, $t := .R.Targets}}<div class="item"><span class="badge {{$t.Verdict}}">{{$t.Verdict}}</span> <span class="what">{{$t.Name}}</span>
<div class="why">{{$t.Reason}}<div class="evidence">{{index $.TargetEvidence $i}}</div></div></div>
{{end}}{{end}}
{{if .R.Expectations}}<h2>Expectations</h2>
{{range .Open}}<div class="item"><span class="badge {{.Verdict}}">{{.Verdict}}</span> <span class="what">{{.Label}}</span>
<div class="why">{{.Reason}} ({{.OutcomesText}}){{if .Cells}}<details><summary>the cells</summary>{{range .Cells}}<div class="evidence">{{.}}</div>{{end}}</details>{{end}}{{with .Decided}}<div class="evidence">{{.}}</div>{{end}}{{range .Folded}}<div class="evidence">{{.}}</div>{{end}}{{range .Messages}}<div class="msg">message: <code>{{.}}</code></div>{{end}}</div></div>
{{end}}{{if .Met}}<details{{if not .Open}} open{{end}}><summary>{{len .Met}} expectation(s) met</summary>
{{range .Met}}<div class="item"><span class="badge pass">pass</span> {{.Label}} <span class="muted">({{.OutcomesText}})</span></div>
{{end}}{{if .MetMessages}}<p class="meta">The messages of these trials, each once:</p>
{{range .MetMessages}}<div class="msg"><code>{{.Text}}</code> <span class="muted">×{{.Count}} in {{.Where}}</span></div>
{{end}}{{end}}</details>{{end}}{{end}}
<h2>Cells</h2>
<p class="meta">Median ± the relative half-width of its {{printf "%.0f" .ConfidencePercent}}% order-statistic interval, over ok trials (warmups excluded). A median without ± has too few trials for an interval: see its note.</p>
<div class="scroll"><table><tr><th>cell</th><th>ok/n</th><th>wall</th><th>overhead</th><th>sql</th><th>wall cv</th><th>outcomes</th><th>notes</th></tr>
{{range .Cells}}<tr><td class="nw">{{.Label}}</td><td class="n">{{.OK}}/{{.Trials}}</td><td class="n">{{.WallText}}</td><td class="n">{{.OverheadText}}</td><td class="n">{{.SQLText}}</td><td class="n">{{.CV}}</td><td class="nw">{{.OutcomesText}}</td><td class="nw">{{.Refs}}</td></tr>
{{end}}</table></div>
{{if .KindHeader}}<h3>Median overhead by span kind</h3>
<div class="scroll"><table><tr>{{range $i, $h := .KindHeader}}<th>{{$h}}</th>{{end}}</tr>
{{range .KindRows}}<tr>{{range $i, $v := .}}{{if eq $i 0}}<td class="nw">{{$v}}</td>{{else}}<td class="n">{{$v}}</td>{{end}}{{end}}</tr>
{{end}}</table></div>{{end}}
{{if .HasVersus}}<h2>vs {{.R.Versus.Axis}}={{.R.Versus.Base}}</h2>
<div class="scroll"><table><tr><th>cell</th><th>wall</th><th></th><th>overhead</th><th></th></tr>
{{range .VersusRows}}<tr>{{range $i, $v := .}}{{if eq $i 0}}<td class="nw">{{$v}}</td>{{else}}<td class="n">{{$v}}</td>{{end}}{{end}}</tr>
{{end}}<tr>{{range .VersusGeo}}<td class="n">{{.}}</td>{{end}}</tr></table></div>{{end}}
{{if .ParallelismRows}}<h2>Parallelism</h2>
<p class="meta">{{.ParallelismIntro}} Timelines below outline the steps on the critical path.</p>
<div class="scroll"><table><tr>{{range .ParallelismHeader}}<th>{{.}}</th>{{end}}</tr>
{{range .ParallelismRows}}<tr>{{range $i, $v := .}}{{if eq $i 0}}<td class="nw">{{$v}}</td>{{else if eq $i 6}}<td>{{$v}}</td>{{else}}<td class="n">{{$v}}</td>{{end}}{{end}}</tr>
{{end}}</table></div>{{end}}
{{if .WallBox}}<h2>Distributions</h2>
<figure>{{.WallBox}}</figure>
<figure>{{.OverBox}}</figure>{{end}}
{{if .Stacked}}<h2>Overhead by span kind</h2>
<div class="legend">{{range .StackLegend}}<span><span class="sw" style="background:{{.CSS}}"></span>{{.Kind}}</span>{{end}}</div>
<figure>{{.Stacked}}</figure>{{end}}
<h2>Timelines</h2>
<p class="meta">One trial per cell (the ok trial closest to the median wall time): spans per worker, competitor lifetimes shaded, spans that ended in an error outlined in red with a cross at their end.</p>
<div class="legend">{{range .Legend}}<span><span class="sw" style="background:{{.CSS}}"></span>{{.Kind}}</span>{{end}}</div>
<details{{if .OpenTimelines}} open{{end}}><summary>{{len .Cells}} timeline(s)</summary>
{{range .Cells}}{{if .Timeline}}<h3>{{.Label}}</h3>
<figure>{{.Timeline}}</figure>
{{end}}{{end}}</details>
{{.Strategies}}{{.Releases}}{{if .Warnings}}<h2>Warnings</h2>
<ol class="warnings">{{range .Warnings}}<li value="{{.N}}">{{if .Where}}<b>{{.Where}}</b>: {{end}}{{.Message}}</li>{{end}}</ol>{{end}}
{{.Upgrade}}</body>
</html>
`))

// WriteHTML writes a self-contained HTML report (no external resources) that reads well on a
// desktop and on a phone: a headline with the verdict and the key figure (each target's
// reduction and interval drawn against its target line), then targets, expectations (repeated
// mismatches folded with a count), the cell table labelled by the axes that vary, inline SVG
// plots drawn with gonum/plot (box plots of wall and overhead, overhead by span kind, one
// timeline per cell) with their legends beside them, and the warnings, each text once with the
// cells it concerns.
func WriteHTML(w io.Writer, r *Report) error {
	fn := newFootnotes(r)
	pg := htmlPage{R: r, Badge: verdictWord(r.Verdict), Headline: headlineText(r), TargetsFigure: targetsFigure(r.Targets),
		ConfidencePercent: 100 * r.Settings.Confidence, Legend: legendKinds(), OpenTimelines: len(r.Cells) <= 6}
	for _, run := range r.Runs {
		pg.Trials += run.Trials
	}
	for _, t := range r.Targets {
		ev := t.Evidence()
		if d := t.Decided(); d != "" {
			ev += "; " + d
		}
		pg.TargetEvidence = append(pg.TargetEvidence, ev)
	}
	pg.Open, pg.Met, pg.MetMessages = htmlExpectations(r)
	for i, f := range fn.all {
		where := fn.where(r, i+1)
		if len(where) > 2 {
			where = where[:len(where)-2] // without ": "
		}
		pg.Warnings = append(pg.Warnings, htmlWarning{N: i + 1, Where: where, Message: f.message})
	}
	for _, c := range r.Cells {
		hc := htmlCell{Cell: c, CV: "-", OutcomesText: outcomesText(c.Outcomes)}
		hc.WallText, hc.OverheadText, hc.SQLText, hc.Refs = cellValues(c, fn)
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
	if kinds := kindColumns(r.Cells); len(kinds) > 0 {
		pg.KindHeader = kindHeader(kinds)
		for _, c := range r.Cells {
			if c.Overhead != nil {
				pg.KindRows = append(pg.KindRows, kindRow(c, kinds))
			}
		}
	}
	if v := r.Versus; v != nil && len(v.Rows) > 0 {
		pg.HasVersus = true
		for _, row := range v.Rows {
			pg.VersusRows = append(pg.VersusRows, versusRow(r, row))
		}
		pg.VersusGeo = versusGeomean(v)
	}
	if len(r.Parallelism) > 0 {
		pg.ParallelismIntro = fmt.Sprintf(parallelismIntro, 100*r.Settings.Confidence)
		pg.ParallelismHeader = parallelismHeader
		for _, row := range r.Parallelism {
			pg.ParallelismRows = append(pg.ParallelismRows, parallelismCells(r, row))
		}
	}
	if hasTimings(r.Cells) {
		for _, m := range []struct {
			metric vocab.Metric
			dst    *template.HTML
		}{{vocab.Wall, &pg.WallBox}, {vocab.Overhead, &pg.OverBox}} {
			svg, err := boxPlotSVG(r.Cells, m.metric)
			if err != nil {
				return fmt.Errorf("html report: %w", err)
			}
			*m.dst = template.HTML(svg)
		}
		if kinds := kindColumns(r.Cells); len(kinds) > 0 {
			svg, err := stackedKindsSVG(r.Cells)
			if err != nil {
				return fmt.Errorf("html report: %w", err)
			}
			pg.Stacked = template.HTML(svg)
			for _, k := range kinds {
				c := kindColor(k)
				pg.StackLegend = append(pg.StackLegend, legendEntry{Kind: k, CSS: fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)})
			}
		}
	}
	var err error
	if pg.Strategies, err = strategiesHTML(r); err != nil {
		return err
	}
	if pg.Releases, err = releasesHTML(r); err != nil {
		return err
	}
	if pg.Upgrade, err = upgradeHTML(r.Upgrade); err != nil {
		return err
	}
	if err := htmlTmpl.Execute(w, pg); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

// hasTimings reports whether any cell has ok trials to plot.
func hasTimings(cells []*Cell) bool {
	for _, c := range cells {
		if len(c.samples[vocab.Wall]) > 0 {
			return true
		}
	}
	return false
}

// htmlExpectations splits the expectations into those to show open (not met, or explicit) and
// the met implicit ones, listed briefly, whose messages are folded across all of them: each
// message once, with its count and the cells it came from.
func htmlExpectations(r *Report) (open, met []htmlExpectation, msgs []htmlMessage) {
	index := map[string]int{}
	var openOnes []verdict.ExpectationResult
	for _, e := range r.Expectations {
		if e.Verdict != verdict.Pass || !e.Implicit {
			openOnes = append(openOnes, e)
			continue
		}
		he := htmlExpectation{expLine: expLine{ExpectationResult: e, Name: expName(r, e)}, Label: expName(r, e), OutcomesText: outcomesText(e.Outcomes)}
		met = append(met, he)
		where := he.Label
		if e.Cell != "" {
			where = labelOf(r, e.Cell)
		}
		for _, m := range e.Messages {
			text, n := splitCount(m)
			i, ok := index[text]
			if !ok {
				msgs = append(msgs, htmlMessage{Text: text})
				i = len(msgs) - 1
				index[text] = i
			}
			msgs[i].Count += n
			if msgs[i].Where == "" {
				msgs[i].Where = where
			} else {
				msgs[i].Where += "; " + where
			}
		}
	}
	for _, l := range expLines(r, openOnes) {
		open = append(open, htmlExpectation{expLine: l, Label: l.Name, OutcomesText: outcomesText(l.Outcomes)})
	}
	return open, met, msgs
}

// reCount is the count messageFolder appends: " (×6)" or " (×6; PIDs 1, 2, …)".
var reCount = regexp.MustCompile(` \(×(\d+)(?:; PIDs [^)]*)?\)$`)

// splitCount splits a folded message into its text and count.
func splitCount(m string) (string, int) {
	loc := reCount.FindStringSubmatchIndex(m)
	if loc == nil {
		return m, 1
	}
	n, _ := strconv.Atoi(m[loc[2]:loc[3]])
	return m[:loc[0]], n
}

// verdictColors are the colours of the three verdicts in the HTML report.
var verdictColors = map[verdict.Verdict]string{verdict.Pass: "#1a7f37", verdict.Fail: "#cf222e", verdict.Unknown: "#9a6700"}

func verdictColor(v verdict.Verdict) string {
	if c, ok := verdictColors[v]; ok {
		return c
	}
	return verdictColors[verdict.Unknown]
}

// headlineText is the report's key figure in words: the first target's reduction with its
// interval against the target, or, without targets, how many expectations were met.
func headlineText(r *Report) string {
	if len(r.Targets) > 0 {
		t := r.Targets[0]
		ci := "no interval"
		if t.AchievedCI != nil {
			ci = fmt.Sprintf("%s CI %s to %s", levelPct(t.AchievedCI.Level), pct(t.AchievedCI.Lo), pct(t.AchievedCI.Hi))
		}
		more := ""
		if len(r.Targets) > 1 {
			more = fmt.Sprintf(" (and %d more target(s) below)", len(r.Targets)-1)
		}
		return fmt.Sprintf("%s: %s reduced by %s (%s); target ≥ %s%s", t.Name, t.Metric, pct(t.Achieved), ci, pct(t.Reduction), more)
	}
	met := 0
	for _, e := range r.Expectations {
		if e.Verdict == verdict.Pass {
			met++
		}
	}
	return fmt.Sprintf("%d of %d expectations met", met, len(r.Expectations))
}

// targetsFigure draws every target as one row: the reduction's interval as a bar in the
// colour of its verdict, the point estimate as a dot with its value, and the target as a dashed
// line, on a shared percentage axis. It is HTML positioned in percentages, so it spans the
// page's width on a desktop and on a phone while its text keeps the page's size and font.
func targetsFigure(ts []verdict.TargetResult) template.HTML {
	if len(ts) == 0 {
		return ""
	}
	lo, hi := 0.0, 1.0 // reductions are at most 100%
	for _, t := range ts {
		lo = min(lo, t.Reduction, t.Achieved)
		hi = max(hi, t.Reduction, t.Achieved)
		if t.AchievedCI != nil {
			lo, hi = min(lo, t.AchievedCI.Lo), max(hi, t.AchievedCI.Hi)
		}
	}
	// Whole quarters, from at most −100% (twice as slow): a value beyond is drawn at the edge,
	// its label still exact.
	lo = max(math.Floor(lo*4)/4, -1)
	hi = math.Ceil(hi*4) / 4
	step := 0.25
	if hi-lo > 1.25 {
		step = 0.5
	}
	x := func(v float64) float64 { return 100 * (min(max(v, lo), hi) - lo) / (hi - lo) }
	esc := template.HTMLEscapeString
	var b strings.Builder
	b.WriteString(`<div class="tfig" role="img" aria-label="each target's reduction with its interval against the target">`)
	for _, t := range ts {
		col := verdictColor(t.Verdict)
		fmt.Fprintf(&b, `<div class="trow"><div class="tname"><b style="color:%s">%s</b> %s <span class="muted">(%s)</span></div><div class="track">`,
			col, strings.ToUpper(string(t.Verdict)), esc(t.Name), esc(string(t.Metric)))
		if t.AchievedCI != nil {
			fmt.Fprintf(&b, `<div class="ci" style="left:%.2f%%;width:%.2f%%;background:%s;border-color:%s" title="%s to %s"></div>`,
				x(t.AchievedCI.Lo), max(x(t.AchievedCI.Hi)-x(t.AchievedCI.Lo), 0.4), col, col, pct(t.AchievedCI.Lo), pct(t.AchievedCI.Hi))
		}
		// The estimate's label and the target's sit on opposite sides of their marks.
		side, tside := "r", "l"
		if t.Achieved < t.Reduction {
			side, tside = "l", "r"
		}
		fmt.Fprintf(&b, `<div class="dot" style="left:%.2f%%;background:%s"></div><div class="est %s" style="left:%.2f%%;color:%s">%s</div>`,
			x(t.Achieved), col, side, x(t.Achieved), col, pct(t.Achieved))
		fmt.Fprintf(&b, `<div class="tline" style="left:%.2f%%"><span class="%s">target ≥ %s</span></div>`, x(t.Reduction), tside, pct(t.Reduction))
		for v := lo; v <= hi+1e-9; v += step {
			fmt.Fprintf(&b, `<span class="tick" style="left:%.2f%%">%.0f%%</span>`, x(v), 100*v)
		}
		b.WriteString(`</div></div>`)
	}
	b.WriteString(`</div>`)
	return template.HTML(b.String())
}

var strategiesTmpl = template.Must(template.New("strategies").Parse(`<h2>Strategies</h2>
{{range .Tables}}<h3>{{.Title}}</h3>
<table><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if $i}} class="n"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</table>
{{end}}<p class="evidence">{{.Note}}</p>
{{if .Recs}}<h3>Recommendations</h3>
<ul>{{range .Recs}}<li>{{.Line}}</li>{{end}}</ul>{{end}}
`))

// strategiesHTML renders the strategies section for the HTML report ("" without one).
func strategiesHTML(r *Report) (template.HTML, error) {
	s := r.Strategies
	if s == nil {
		return "", nil
	}
	var b strings.Builder
	err := strategiesTmpl.Execute(&b, struct {
		Tables []strategyTable
		Note   string
		Recs   []Recommendation
	}{strategyTables(s), strategiesNote(s, r.Settings.Confidence), s.Recommendations})
	if err != nil {
		return "", fmt.Errorf("html report: %w", err)
	}
	return template.HTML(b.String()), nil
}

var releasesTmpl = template.Must(template.New("releases").Parse(`<h2>DuckDB releases: {{.Releases}}</h2>
{{if .Rows}}<p class="meta">{{.Intro}}{{if .Constant}} Every pair: {{.Constant}}.{{end}}</p>
<div class="scroll"><table><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range $i, $v := .}}{{if lt $i 2}}<td class="nw">{{$v}}</td>{{else if eq $i 8}}<td{{if eq $v "DIFFERS"}} style="color:var(--fail);font-weight:bold"{{end}}>{{$v}}</td>{{else}}<td class="n">{{$v}}</td>{{end}}{{end}}</tr>
{{end}}</table></div>
<p class="evidence">{{.Summary}}</p>{{end}}
{{if .Data}}<h3>Data across releases</h3>
<ul>{{range .Data}}<li{{if .Differs}} style="color:var(--fail);font-weight:bold"{{end}}>{{.Line}}</li>{{end}}</ul>{{end}}
`))

// releasesHTML renders the DuckDB releases section for the HTML report ("" without one).
func releasesHTML(r *Report) (template.HTML, error) {
	rc := r.Releases
	if rc == nil {
		return "", nil
	}
	type dataLine struct {
		Line    string
		Differs bool
	}
	var rows [][]string
	for _, p := range rc.Pairs {
		rows = append(rows, releaseRow(p))
	}
	if len(rows) > 0 {
		rows = append(rows, releaseGeomean(rc))
	}
	var data []dataLine
	for _, d := range rc.Data {
		data = append(data, dataLine{releaseDataLine(d), d.Status == DataDiffers})
	}
	var b strings.Builder
	err := releasesTmpl.Execute(&b, struct {
		Releases, Intro, Constant, Summary string
		Header                             []string
		Rows                               [][]string
		Data                               []dataLine
	}{strings.Join(rc.Releases, ", "), releasesIntro(rc, r.Settings), rc.Constant, rc.Summary, releaseHeader, rows, data})
	if err != nil {
		return "", fmt.Errorf("html report: %w", err)
	}
	return template.HTML(b.String()), nil
}

var upgradeTmpl = template.Must(template.New("upgrade").Parse(`<h2>{{.Title}}</h2>
<ul><li>{{.U.DataLine}}</li>
<li>{{.U.SpeedLine}}{{if .U.Speed}}<ul>{{range .U.Speed}}<li>{{.Line}}</li>{{end}}</ul>{{end}}</li>
<li>{{.Mixed}}{{if .U.Mixed}}<ul>{{range .U.Mixed}}<li>{{.Line}}</li>{{end}}</ul>{{end}}</li>
{{if .U.Pin}}<li>{{.U.Pin.Line}}</li>{{end}}
<li><b>Order:</b> {{.U.Order}}</li></ul>
`))

// upgradeHTML renders the upgrade answer for the HTML report ("" without one).
func upgradeHTML(u *Upgrade) (template.HTML, error) {
	if u == nil {
		return "", nil
	}
	var b strings.Builder
	err := upgradeTmpl.Execute(&b, struct {
		Title, Mixed string
		U            *Upgrade
	}{upgradeTitle(u), upgradeMixedIntro(u), u})
	if err != nil {
		return "", fmt.Errorf("html report: %w", err)
	}
	return template.HTML(b.String()), nil
}
