package reports

// This file draws the HTML report's plots with gonum/plot as inline SVG: box plots of wall and
// overhead per cell, the overhead by span kind, and one timeline per cell. RenderSVG is shared
// with the trend and watch pages.

import (
	"bytes"
	"fmt"
	"image/color"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"

	"lockbench/history"
	"lockbench/trace"
	"lockbench/vocab"
)

// kindColors gives every span kind a fixed colour, so plots are stable across reports.
var kindColors = map[string]color.RGBA{
	string(trace.Model):      {0x4c, 0x78, 0xa8, 0xff},
	string(trace.Recompute):  {0xf5, 0x85, 0x18, 0xff},
	string(trace.Open):       {0x54, 0xa2, 0x4b, 0xff},
	string(trace.Close):      {0x88, 0xd2, 0x7a, 0xff},
	string(trace.Spawn):      {0xb2, 0x79, 0xa2, 0xff},
	string(trace.Validate):   {0xec, 0xc9, 0x4b, 0xff},
	string(trace.Checkpoint): {0x9d, 0x75, 0x5d, 0xff},
	string(trace.LockWait):   {0xe4, 0x57, 0x56, 0xff},
	string(trace.Competitor): {0x79, 0x70, 0x6e, 0xff},
	string(trace.Idle):       {0xba, 0xb0, 0xac, 0xff},
}

var (
	errorColor = color.RGBA{0xd6, 0x27, 0x28, 0xff}
	// criticalColor outlines the steps on a timeline's critical path.
	criticalColor = color.RGBA{0x1f, 0x23, 0x28, 0xff}
	shadeColor    = color.NRGBA{R: 0x79, G: 0x70, B: 0x6e, A: 0x40}
	fallbackRGB   = color.RGBA{0x99, 0x99, 0x99, 0xff}
)

func kindColor(k string) color.RGBA {
	if c, ok := kindColors[k]; ok {
		return c
	}
	return fallbackRGB
}

// sansFont is the plots' typeface: Liberation Sans, whose metrics gonum measures text with and
// which Arial matches, so labels fit wherever the browser has either.
var sansFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newPlot returns a plot whose every text is in sansFont.
func newPlot() *plot.Plot {
	p := plot.New()
	for _, f := range []*font.Font{&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font} {
		f.Typeface, f.Variant = sansFont.Typeface, sansFont.Variant
	}
	return p
}

// svgFamily is how vgsvg names sansFont, and svgFamilies the same with fallbacks for browsers
// that lack it.
var (
	svgFamily   = []byte("font-family:Liberation Sans;")
	svgFamilies = []byte(`font-family:'Liberation Sans',Arial,Helvetica,sans-serif;`)
)

// RenderSVG draws p on an SVG canvas of the given size and returns the <svg> element alone
// (without the XML declaration, in the reports' sans-serif type), ready to inline in HTML.
func RenderSVG(p *plot.Plot, w, h vg.Length) ([]byte, error) { return renderSVG(p, w, h) }

func renderSVG(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	c := vgsvg.New(w, h)
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("render svg: %w", err)
	}
	b := buf.Bytes()
	if i := bytes.Index(b, []byte("<svg")); i >= 0 {
		b = b[i:]
	}
	return bytes.ReplaceAll(b, svgFamily, svgFamilies), nil
}

// timedCells returns the cells that have ok trials of metric, the rows of the box plots.
func timedCells(cells []*Cell, metric vocab.Metric) []*Cell {
	var out []*Cell
	for _, c := range cells {
		if len(c.samples[metric]) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// topDownLabels returns the cells' labels from the last to the first, so that plots with
// nominal Y axes (which count upwards) list the first cell on top.
func topDownLabels(cells []*Cell) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[len(cells)-1-i] = wrapLabel(c.Label, labelWidth)
	}
	return out
}

// labelWidth is how many characters a plot's row label may take on one line.
const labelWidth = 26

// wrapLabel breaks a label at its spaces into lines of at most width characters (a longer
// word keeps its own line), so row labels take a narrow column beside the plot.
func wrapLabel(label string, width int) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(label) {
		switch {
		case line == "":
			line = w
		case len(line)+1+len(w) <= width:
			line += " " + w
		default:
			lines = append(lines, line)
			line = w
		}
	}
	return strings.Join(append(lines, line), "\n")
}

// labelLines is the most lines any of the cells' wrapped labels takes.
func labelLines(cells []*Cell) int {
	n := 1
	for _, c := range cells {
		n = max(n, strings.Count(wrapLabel(c.Label, labelWidth), "\n")+1)
	}
	return n
}

// padRows leaves half a row of room above the first and below the last of n nominal rows, so
// the top row does not touch the title.
func padRows(p *plot.Plot, n int) {
	p.Y.Min, p.Y.Max = -0.7, float64(n)-0.3
}

// plotHeight is the height of a plot of rows rows whose labels take up to lines lines.
func plotHeight(rows, lines int) vg.Length {
	perRow := max(0.32*vg.Inch, vg.Length(lines)*0.16*vg.Inch+0.08*vg.Inch)
	return max(2.2*vg.Inch, vg.Length(rows)*perRow+1.2*vg.Inch)
}

// plotWidth is the width of every plot: it fits a laptop's column and scales down on a phone.
const plotWidth = 7 * vg.Inch

// boxPlotSVG draws a horizontal box plot of metric for every cell with ok trials.
func boxPlotSVG(cells []*Cell, metric vocab.Metric) ([]byte, error) {
	cells = timedCells(cells, metric)
	p := newPlot()
	p.Title.Text = string(metric) + " per cell (ok trials, seconds)"
	p.X.Label.Text = "seconds"
	labels := topDownLabels(cells)
	for i, c := range cells {
		xs := c.values(metric)
		if len(xs) == 0 {
			continue
		}
		b, err := plotter.NewBoxPlot(vg.Points(14), float64(len(cells)-1-i), plotter.Values(xs))
		if err != nil {
			return nil, fmt.Errorf("box plot %s: %w", c.Key, err)
		}
		b.Horizontal = true
		b.FillColor = color.NRGBA{R: 0x4c, G: 0x78, B: 0xa8, A: 0x60}
		p.Add(b)
	}
	p.NominalY(labels...)
	padRows(p, len(cells))
	p.Add(plotter.NewGrid())
	return renderSVG(p, plotWidth, plotHeight(len(cells), labelLines(cells)))
}

// stackedKindsSVG draws, per cell, a horizontal bar of the median overhead per span kind
// stacked in report order.
// Its legend is the caller's (HTML beside the figure), so it never covers a bar.
func stackedKindsSVG(cells []*Cell) ([]byte, error) {
	p, err := stackedKindsPlot(timedCells(cells, vocab.Overhead))
	if err != nil {
		return nil, err
	}
	timed := timedCells(cells, vocab.Overhead)
	return renderSVG(p, plotWidth, plotHeight(len(timed), labelLines(timed)))
}

func stackedKindsPlot(cells []*Cell) (*plot.Plot, error) {
	kinds := kindColumns(cells)
	p := newPlot()
	p.Title.Text = "median overhead by span kind (seconds)"
	p.X.Label.Text = "seconds"
	labels := topDownLabels(cells)
	var below *plotter.BarChart
	for _, k := range kinds {
		vs := make(plotter.Values, len(cells))
		for i, c := range cells {
			for _, km := range c.OverheadByKind {
				if km.Kind == k {
					vs[len(cells)-1-i] = km.Median
				}
			}
		}
		bar, err := plotter.NewBarChart(vs, vg.Points(14))
		if err != nil {
			return nil, fmt.Errorf("bar chart %s: %w", k, err)
		}
		bar.Horizontal = true
		bar.Color = kindColor(k)
		bar.LineStyle.Width = 0
		if below != nil {
			bar.StackOn(below)
		}
		below = bar
		p.Add(bar)
	}
	p.NominalY(labels...)
	padRows(p, len(cells))
	p.X.Min = 0
	return p, nil
}

// timeline is a plot.Plotter drawing a trial's spans as horizontal bars, one row per worker:
// competitor lifetimes are shaded across every row (and drawn on their own row), and spans that
// ended in an error are outlined in red with a cross at their end.
type timeline struct {
	spans []trace.Span
	rows  map[int]int // worker → row
	// critical holds the steps (name@year) on the trial's critical path, outlined.
	critical map[string]bool
	comp     int // the competitor row, or -1
	n        int // rows
	wall     float64
}

func newTimeline(t *history.Trial) (*timeline, []string) {
	tl := &timeline{spans: t.Spans, rows: map[int]int{}, comp: -1, wall: t.WallS, critical: map[string]bool{}}
	if t.Parallelism != nil {
		for _, id := range t.Parallelism.Path {
			tl.critical[id] = true
		}
	}
	var workers []int
	hasComp := false
	for _, s := range t.Spans {
		if s.Kind == trace.Competitor {
			hasComp = true
			continue
		}
		if _, ok := tl.rows[s.Worker]; !ok {
			tl.rows[s.Worker] = 0
			workers = append(workers, s.Worker)
		}
	}
	sort.Ints(workers)
	var labels []string
	for i, w := range workers {
		tl.rows[w] = i
		labels = append(labels, fmt.Sprintf("worker %d", w))
	}
	if hasComp {
		tl.comp = len(workers)
		labels = append(labels, "competitor")
	}
	tl.n = len(labels)
	return tl, labels
}

func (tl *timeline) row(s trace.Span) int {
	if s.Kind == trace.Competitor {
		return tl.comp
	}
	return tl.rows[s.Worker]
}

// stepID names a span's step as the plan does: name@year, or the name of a step that runs once.
func stepID(s trace.Span) string {
	if s.Year == 0 {
		return s.Name
	}
	return fmt.Sprintf("%s@%d", s.Name, s.Year)
}

func rect(x0, x1, y0, y1 vg.Length) []vg.Point {
	return []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
}

// Plot implements plot.Plotter.
func (tl *timeline) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, s := range tl.spans {
		if s.Kind == trace.Competitor {
			c.FillPolygon(shadeColor, c.ClipPolygonXY(rect(trX(s.Start), trX(s.End), trY(-0.5), trY(float64(tl.n)-0.5))))
		}
	}
	for _, s := range tl.spans {
		y := float64(tl.row(s))
		pts := rect(trX(s.Start), trX(s.End), trY(y-0.35), trY(y+0.35))
		c.FillPolygon(kindColor(string(s.Kind)), c.ClipPolygonXY(pts))
		c.StrokeLines(draw.LineStyle{Color: color.White, Width: vg.Points(0.5)}, c.ClipLinesXY(append(pts, pts[0]))...)
		if s.Kind != trace.Competitor && tl.critical[stepID(s)] {
			c.StrokeLines(draw.LineStyle{Color: criticalColor, Width: vg.Points(1.2)}, c.ClipLinesXY(append(pts, pts[0]))...)
		}
		if s.Error != "" {
			sty := draw.LineStyle{Color: errorColor, Width: vg.Points(1.5)}
			c.StrokeLines(sty, c.ClipLinesXY(append(pts, pts[0]))...)
			c.DrawGlyph(draw.GlyphStyle{Color: errorColor, Radius: vg.Points(4), Shape: draw.CrossGlyph{}},
				vg.Point{X: trX(s.End), Y: trY(y)})
		}
	}
}

// DataRange implements plot.DataRanger.
func (tl *timeline) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmax = tl.wall
	for _, s := range tl.spans {
		xmax = max(xmax, s.End)
		xmin = min(xmin, s.Start)
	}
	return xmin, xmax, -0.5, float64(tl.n) - 0.5
}

// legendKinds lists every span kind with its CSS colour, model first, for the HTML legend of
// the timelines.
func legendKinds() []legendEntry {
	order := append([]trace.Kind{trace.Model}, kindOrder[:len(kindOrder)-1]...)
	order = append(order, trace.Competitor)
	out := make([]legendEntry, len(order))
	for i, k := range order {
		c := kindColor(string(k))
		out[i] = legendEntry{Kind: string(k), CSS: fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)}
	}
	return out
}

// legendEntry is one kind of the timeline legend.
type legendEntry struct {
	Kind string
	CSS  string
}

// timelineSVG draws the spans of trial t per worker.
func timelineSVG(t *history.Trial) ([]byte, error) {
	p, h := timelinePlot(t)
	return renderSVG(p, plotWidth, h)
}

// timelinePlot builds the timeline plot of t and returns it with its height.
func timelinePlot(t *history.Trial) (*plot.Plot, vg.Length) {
	tl, labels := newTimeline(t)
	p := newPlot()
	p.Title.Text = fmt.Sprintf("trial #%d: %s, wall %s", t.Trial, t.Outcome.Kind, secs(t.WallS))
	p.X.Label.Text = "seconds since trial start"
	p.Add(tl)
	p.NominalY(labels...)
	return p, plotHeight(len(labels), 1)
}
