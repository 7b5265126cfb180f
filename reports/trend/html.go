package trend

import (
	"fmt"
	"html/template"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"

	"lockbench/reports"
)

var (
	medianColor  = color.RGBA{0x4c, 0x78, 0xa8, 0xff}
	bandColor    = color.NRGBA{R: 0x4c, G: 0x78, B: 0xa8, A: 0x40}
	slowerColor  = color.RGBA{0xcf, 0x22, 0x2e, 0xff}
	fasterColor  = color.RGBA{0x1a, 0x7f, 0x37, 0xff}
	workColor    = color.RGBA{0x79, 0x70, 0x6e, 0xff}
	maxTickLabel = 16
)

// chartSVG draws a series: the run medians joined by a line over the band of their intervals
// (broken at each workload change, drawn as a dashed grey line), a vertical line at each change
// point (red slower, green faster), and the commits on the x axis.
func chartSVG(s *Series) ([]byte, error) {
	p, err := chartPlot(s)
	if err != nil {
		return nil, err
	}
	return reports.RenderSVG(p, 9*vg.Inch, 3.6*vg.Inch)
}

func chartPlot(s *Series) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = s.Metric + " (seconds): run medians with their intervals"
	p.Y.Label.Text = "seconds"
	p.X.Label.Text = "commit under test (run order)"
	n := len(s.Points)
	med := make(plotter.XYs, n)
	var lo, hi plotter.XYs
	ymin, ymax := math.Inf(1), math.Inf(-1)
	for i, pt := range s.Points {
		med[i] = plotter.XY{X: float64(i), Y: pt.Median}
		l, h := pt.Median, pt.Median
		if pt.Lo != nil && pt.Hi != nil {
			l, h = *pt.Lo, *pt.Hi
		}
		lo = append(lo, plotter.XY{X: float64(i), Y: l})
		hi = append(hi, plotter.XY{X: float64(i), Y: h})
		ymin, ymax = math.Min(ymin, l), math.Max(ymax, h)
	}
	// One band and one line per part: across a workload change the timings are not comparable.
	bounds := []int{0}
	for _, w := range s.WorkloadChanges {
		bounds = append(bounds, w.Index)
	}
	bounds = append(bounds, n)
	for k := 0; k+1 < len(bounds); k++ {
		a, z := bounds[k], bounds[k+1]
		if z-a >= 2 {
			band := append(plotter.XYs{}, lo[a:z]...)
			for i := z - 1; i >= a; i-- {
				band = append(band, hi[i])
			}
			poly, err := plotter.NewPolygon(band)
			if err != nil {
				return nil, fmt.Errorf("chart %s: %w", s.Cell, err)
			}
			poly.Color = bandColor
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
		line, pts, err := plotter.NewLinePoints(med[a:z])
		if err != nil {
			return nil, fmt.Errorf("chart %s: %w", s.Cell, err)
		}
		line.Color = medianColor
		pts.Color = medianColor
		pts.Radius = vg.Points(1.5)
		if n > 200 {
			pts.Radius = 0
		}
		p.Add(line, pts)
	}
	pad := (ymax - ymin) * 0.08
	if pad == 0 || math.IsInf(pad, 0) || math.IsNaN(pad) {
		pad = math.Max(math.Abs(ymax)*0.05, 1e-6)
	}
	p.Y.Min, p.Y.Max = math.Max(0, ymin-pad), ymax+pad
	vline := func(at int, c color.Color, dashed bool) error {
		x := float64(at) - 0.5
		l, err := plotter.NewLine(plotter.XYs{{X: x, Y: p.Y.Min}, {X: x, Y: p.Y.Max}})
		if err != nil {
			return err
		}
		l.Color = c
		l.Width = vg.Points(1.5)
		if dashed {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		}
		p.Add(l)
		return nil
	}
	for _, c := range s.ChangePoints {
		col := fasterColor
		if c.Direction == Slower {
			col = slowerColor
		}
		if err := vline(c.Index, col, false); err != nil {
			return nil, err
		}
	}
	for _, w := range s.WorkloadChanges {
		if err := vline(w.Index, workColor, true); err != nil {
			return nil, err
		}
	}
	p.X.Min, p.X.Max = -0.5, math.Max(float64(n)-0.5, 0.5)
	p.X.Tick.Marker = commitTicks(s)
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign = text.XRight
	p.X.Tick.Label.YAlign = text.YCenter
	p.Add(plotter.NewGrid())
	return p, nil
}

// commitTicks labels up to maxTickLabel evenly spaced runs, and always the first run after a
// change, with their commits (or run IDs when the commit is unknown).
func commitTicks(s *Series) plot.Ticker {
	return plot.TickerFunc(func(_, _ float64) []plot.Tick {
		n := len(s.Points)
		label := map[int]bool{}
		step := max(1, (n+maxTickLabel-1)/maxTickLabel)
		for i := 0; i < n; i += step {
			label[i] = true
		}
		if n > 0 {
			label[n-1] = true
		}
		for _, c := range s.ChangePoints {
			label[c.Index] = true
		}
		for _, w := range s.WorkloadChanges {
			label[w.Index] = true
		}
		var ticks []plot.Tick
		for i := 0; i < n; i++ {
			t := plot.Tick{Value: float64(i)}
			if label[i] {
				c := s.Points[i].Commit
				if c == "" {
					t.Label = "run " + s.Points[i].Run
				} else {
					t.Label = shortCommit(c)
					if len(t.Label) > 7 && t.Label[7] != '-' {
						t.Label = t.Label[:7]
					}
				}
			}
			ticks = append(ticks, t)
		}
		return ticks
	})
}

type htmlSeries struct {
	*Series
	Newest string
	Chart  template.HTML
	Rows   []htmlChange
}

type htmlChange struct {
	Class, Kind, Change, Medians, P, Runs, Commits, Time string
}

var htmlTmpl = template.Must(template.New("trend").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>lockbench trend: {{.T.Verdict}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:70em;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
.pass{color:#1a7f37;font-weight:bold}.fail,.slower{color:#cf222e;font-weight:bold}.unknown{color:#9a6700;font-weight:bold}.faster{color:#1a7f37}
figure{margin:1em 0}svg{max-width:100%;height:auto}
code{font-size:.9em}.note{color:#555}
</style>
</head>
<body>
<h1>lockbench trend: <span class="{{.T.Verdict}}">{{.Badge}}</span></h1>
<p>{{.Summary}}</p>
<p class="note"><code>{{.T.Metric}}</code> over {{.T.Runs}} runs{{if .T.Runs}} ({{.First}} to {{.Last}} UTC){{end}}. {{.T.Settings.Method}}: α {{.T.Settings.Alpha}}, {{.T.Settings.Permutations}} permutations, seed {{.T.Settings.Seed}}, min change {{.MinChange}}; a verdict needs {{.T.Settings.MinRuns}} runs. Medians before and after a change pool the trials of up to {{.T.Settings.Window}} runs on each side; the ratio's interval is a percentile bootstrap. A workload change splits a series and is never a change point. In the charts: red, a slowdown; green, a speed-up; dashed grey, a workload change.{{if .T.Constant}} Every cell: <code>{{.T.Constant}}</code>.{{end}}</p>
{{range .T.Notes}}<p class="note">note: {{.}}</p>
{{end}}<table><tr><th>verdict</th><th>cell</th><th>newest</th><th>runs</th><th>changes</th><th>reason</th></tr>
{{range .Series}}<tr><td class="{{.Verdict}}">{{.Verdict}}</td><td><code>{{.Label}}</code></td><td>{{.Newest}}</td><td>{{len .Points}}</td><td>{{len .ChangePoints}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>
{{range .Series}}<h2><code>{{.Label}}</code> <span class="{{.Verdict}}">{{.Verdict}}</span></h2>
<p>{{.Reason}}</p>
{{if .Chart}}<figure>{{.Chart}}</figure>{{end}}
{{if .Rows}}<table><tr><th>change</th><th>ratio − 1 [CI]</th><th>medians</th><th>p</th><th>runs</th><th>commits</th><th>time</th></tr>
{{range .Rows}}<tr><td class="{{.Class}}">{{.Kind}}</td><td>{{.Change}}</td><td>{{.Medians}}</td><td>{{.P}}</td><td>{{.Runs}}</td><td><code>{{.Commits}}</code></td><td>{{.Time}}</td></tr>
{{end}}</table>{{end}}
{{end}}</body>
</html>
`))

// WriteHTML writes the trend as a self-contained HTML page: the verdict, a table of the
// series, and per series a chart (gonum/plot SVG, inline) and its changes.
func WriteHTML(w io.Writer, t *Trend) error {
	page := struct {
		T                           *Trend
		Badge, Summary, First, Last string
		MinChange                   string
		Series                      []htmlSeries
	}{T: t, Badge: badge(t.Verdict), Summary: summary(t), First: stamp(t.First), Last: stamp(t.Last), MinChange: pct(t.Settings.MinChange)}
	for _, s := range t.Series {
		hs := htmlSeries{Series: s, Newest: "-"}
		if n := len(s.Points); n > 0 {
			hs.Newest = pointText(s.Points[n-1])
			svg, err := chartSVG(s)
			if err != nil {
				return err
			}
			hs.Chart = template.HTML(svg) // generated by vgsvg from our own data
		}
		for _, e := range events(s) {
			if c := e.cp; c != nil {
				hs.Rows = append(hs.Rows, htmlChange{Class: c.Direction, Kind: c.Direction, Change: ratioText(*c),
					Medians: secs(c.BeforeMedian) + " → " + secs(c.AfterMedian), P: pValue(c.P),
					Runs: c.BeforeRun + " → " + c.AfterRun, Commits: shortCommit(c.BeforeCommit) + " → " + shortCommit(c.Commit) + releaseSuffix(*c), Time: stamp(c.AfterTime)})
			} else {
				c := e.wc
				hs.Rows = append(hs.Rows, htmlChange{Class: "note", Kind: "workload changed", Change: "-", Medians: "-", P: "-",
					Runs: c.BeforeRun + " → " + c.AfterRun, Commits: shortCommit(c.Commit), Time: stamp(c.Time)})
			}
		}
		page.Series = append(page.Series, hs)
	}
	return htmlTmpl.Execute(w, page)
}
