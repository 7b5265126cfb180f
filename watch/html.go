package watch

import (
	"fmt"
	"html/template"
	"image/color"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"lockbench/holders"
	"lockbench/reports"
)

// Lane colours: a write lock, a read lock, the watched command's own locks, and failures.
var (
	writeColor   = color.RGBA{0x4c, 0x78, 0xa8, 0xff}
	readColor    = color.RGBA{0x54, 0xa2, 0x4b, 0xff}
	ownColor     = color.RGBA{0xba, 0xb0, 0xac, 0xff}
	failureColor = color.RGBA{0xd6, 0x27, 0x28, 0xff}
)

// maxLanesDrawn is how many lanes the SVG draws; the table lists every holder.
const maxLanesDrawn = 60

// maxPIDsShown is how many PIDs of a holder the table lists.
const maxPIDsShown = 8

// lockColor is the colour of a lock's bar.
func lockColor(l Lock) color.RGBA {
	switch {
	case l.Own:
		return ownColor
	case l.Mode == holders.ModeRead:
		return readColor
	}
	return writeColor
}

func css(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

// lanesPlotter draws a Timeline as one horizontal lane per holder (the first at the top): a bar
// per lock on a database file, a thin bar under it per lock on a .wal, and a red dashed line
// across every lane at each failure, with a cross on the lane of its holder.
type lanesPlotter struct {
	tl *Timeline
	n  int
}

func (lp lanesPlotter) y(lane int) float64 { return float64(lp.n - 1 - lane) }

// Plot implements plot.Plotter.
func (lp lanesPlotter) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	minW := vg.Points(1.5) // a hold of one sample stays visible on a long watch
	for i, ln := range lp.tl.Lanes[:lp.n] {
		y := lp.y(i)
		for _, l := range ln.Locks {
			x0, x1 := trX(l.StartS), trX(l.EndS)
			if x1-x0 < minW {
				x1 = x0 + minW
			}
			y0, y1 := trY(y-0.3), trY(y+0.3)
			if strings.HasSuffix(l.File, ".wal") {
				y0, y1 = trY(y-0.44), trY(y-0.34)
			}
			c.FillPolygon(lockColor(l), c.ClipPolygonXY([]vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}))
		}
	}
	dash := draw.LineStyle{Color: failureColor, Width: vg.Points(1.2), Dashes: []vg.Length{vg.Points(3), vg.Points(2)}}
	for _, f := range lp.tl.Failures {
		x := trX(f.At)
		c.StrokeLines(dash, c.ClipLinesXY([]vg.Point{{X: x, Y: trY(-0.5)}, {X: x, Y: trY(float64(lp.n) - 0.5)}})...)
		if f.Lane >= 0 && f.Lane < lp.n {
			c.DrawGlyph(draw.GlyphStyle{Color: failureColor, Radius: vg.Points(4.5), Shape: draw.CrossGlyph{}},
				vg.Point{X: x, Y: trY(lp.y(f.Lane))})
		}
	}
}

// DataRange implements plot.DataRanger.
func (lp lanesPlotter) DataRange() (xmin, xmax, ymin, ymax float64) {
	return 0, xMax(lp.tl), -0.5, float64(lp.n) - 0.5
}

// xMax is the end of the time axis: the end of the watch and a little room, so that a failure
// at the very end stays visible.
func xMax(tl *Timeline) float64 { return 1.02 * max(tl.DurationS, tl.IntervalS) }

// LanesSVG draws tl's holders as lanes over the time of the watch, with gonum/plot, and
// returns the <svg> element (reports.RenderSVG) to inline in HTML.
func LanesSVG(tl *Timeline) ([]byte, error) {
	n := min(len(tl.Lanes), maxLanesDrawn)
	p := plot.New()
	// The reports' typeface (reports.RenderSVG adds its fallbacks).
	for _, f := range []*font.Font{&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font} {
		f.Typeface, f.Variant = "Liberation", "Sans"
	}
	names := make([]string, len(tl.Files))
	for i, f := range tl.Files {
		names[i] = filepath.Base(f)
	}
	p.Title.Text = fmt.Sprintf("holders of %s, sampled every %s", strings.Join(names, ", "), secs(tl.IntervalS))
	p.X.Label.Text = "seconds since the watch began"
	p.X.Min, p.X.Max = 0, xMax(tl)
	labels := make([]string, n)
	for i := range n {
		labels[n-1-i] = truncate(tl.Lanes[i].Label, 30)
	}
	if n == 0 {
		labels = []string{"(no holder)"}
	}
	grid := plotter.NewGrid()
	grid.Horizontal.Color = nil
	p.Add(grid, lanesPlotter{tl: tl, n: n})
	p.NominalY(labels...)
	p.Y.Min, p.Y.Max = -0.6, float64(max(n, 1))-0.4
	h := max(2*vg.Inch, vg.Length(max(n, 1))*0.38*vg.Inch+1.2*vg.Inch)
	return reports.RenderSVG(p, 8*vg.Inch, h)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

type htmlLane struct {
	Label, PIDs, Program, Modes, Held, Holds string
	Times, Returns                           int
	Own, Outside                             bool
}

type htmlFailure struct {
	At, Message, Holder, HeldFor, Times, Note string
	Count                                     int
}

type htmlPage struct {
	T                           *Timeline
	Files, Interval, Duration   string
	MaxGap, MeanGap, Start, End string
	SVG                         template.HTML
	Lanes                       []htmlLane
	Failures                    []htmlFailure
	Write, Read, Own, Fail      string
	Command, CommandEnd         string
	Truncated                   int
}

var htmlTmpl = template.Must(template.New("watch").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lockbench watch: {{.Files}}</title>
<style>
:root{--fail:#cf222e;--line:#d0d7de;--muted:#57606a}
body{font-family:Inter,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Liberation Sans","DejaVu Sans",sans-serif;font-size:16px;line-height:1.5;
 margin:0 auto;max-width:72rem;color:#1f2328;padding:1rem 1.25rem 3rem}
h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.2rem;margin:2rem 0 .5rem;padding-bottom:.25rem;border-bottom:1px solid var(--line)}
.meta{color:var(--muted);font-size:.9rem;margin:.25rem 0}
.scroll{overflow-x:auto}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border-bottom:1px solid var(--line);padding:.35rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600;white-space:nowrap}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.fail{color:var(--fail);font-weight:600}
figure{margin:.5rem 0 1.5rem}svg{max-width:100%;height:auto;display:block}
code{font-family:ui-monospace,"SFMono-Regular","DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.85em;overflow-wrap:anywhere}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:.25rem 0;font-size:.85rem}
.sw{display:inline-block;width:.9rem;height:.9rem;margin-right:.3rem;vertical-align:-.1rem;border-radius:2px}
@media (max-width:40rem){body{padding:.75rem}figure{overflow-x:auto}figure svg{max-width:none;width:34rem}}
</style>
</head>
<body>
<h1>lockbench watch</h1>
<p class="meta">{{.Files}} and {{if eq (len .T.Files) 1}}its{{else}}their{{end}} .wal, from {{.Start}} to {{.End}} ({{.Duration}}), sampled every {{.Interval}}
({{.T.Samples}} samples, {{.MeanGap}} apart on average, longest gap {{.MaxGap}}). A hold shorter than {{.Interval}} may be missed; every time is known to within one interval.</p>
{{if .Command}}<p class="meta">Command: <code>{{.Command}}</code> {{.CommandEnd}}</p>{{end}}
{{range .T.Notes}}<p class="meta">Note: {{.}}</p>{{end}}
{{if .Failures}}<h2 class="fail">{{len .Failures}} failure(s)</h2>
<div class="scroll"><table><tr><th>at</th><th>error</th><th>holder then</th><th>had held it for</th><th>held the files</th></tr>
{{range .Failures}}<tr><td class="n">+{{.At}}</td><td><code>{{.Message}}</code>{{if gt .Count 1}} ×{{.Count}}{{end}}</td><td>{{.Holder}}{{if .Note}}<div class="meta">{{.Note}}</div>{{end}}</td><td class="n">{{.HeldFor}}</td><td class="n">{{.Times}}</td></tr>
{{end}}</table></div>{{end}}
<h2>Holders over time</h2>
<div class="legend"><span><span class="sw" style="background:{{.Write}}"></span>write lock</span><span><span class="sw" style="background:{{.Read}}"></span>read lock</span>{{if .Command}}<span><span class="sw" style="background:{{.Own}}"></span>the watched command</span>{{end}}<span><span class="sw" style="background:{{.Fail}}"></span>failure (× on its holder)</span><span>thin bar: the .wal</span></div>
<figure>{{.SVG}}</figure>
{{if .Truncated}}<p class="meta">The figure shows the first {{len .Lanes}} of the holders; the table lists all {{.Truncated}}.</p>{{end}}
<h2>Holders</h2>
<div class="scroll"><table><tr><th>holder</th><th>PIDs</th><th>program</th><th>lock</th><th>held</th><th>in all</th><th>came back</th><th>holds (seconds since the start)</th></tr>
{{range .Lanes}}<tr><td>{{.Label}}</td><td>{{.PIDs}}</td><td><code>{{.Program}}</code></td><td>{{.Modes}}</td><td class="n">{{.Times}}×</td><td class="n">{{.Held}}</td><td class="n">{{.Returns}}×</td><td>{{.Holds}}</td></tr>
{{end}}</table></div>
</body>
</html>
`))

// WriteHTML writes tl as a self-contained HTML page: what was watched and how closely, the
// failures with their holders, an SVG lane per holder (LanesSVG) and a table of the holders.
func WriteHTML(w io.Writer, tl *Timeline) error {
	svg, err := LanesSVG(tl)
	if err != nil {
		return err
	}
	pg := htmlPage{
		T: tl, Files: strings.Join(tl.Files, ", "), Interval: secs(tl.IntervalS), Duration: secs(tl.DurationS),
		MaxGap: secs(tl.MaxGapS), MeanGap: secs(tl.MeanGapS),
		Start: tl.Start.Format("2006-01-02 15:04:05.000 MST"), End: tl.End.Format("15:04:05.000"),
		SVG:   template.HTML(svg),
		Write: css(writeColor), Read: css(readColor), Own: css(ownColor), Fail: css(failureColor),
	}
	if len(tl.Lanes) > maxLanesDrawn {
		pg.Truncated = len(tl.Lanes)
	}
	if c := tl.Command; c != nil {
		pg.Command = strings.Join(c.Args, " ")
		pg.CommandEnd = fmt.Sprintf("(pid %d) exited with status %d", c.PID, c.ExitCode)
		if c.Signal != "" {
			pg.CommandEnd = fmt.Sprintf("(pid %d) was ended by %s", c.PID, c.Signal)
		}
		if c.Interrupted {
			pg.CommandEnd += ", stopped on Ctrl-C"
		}
	}
	for _, ln := range tl.Lanes {
		var spans []string
		for _, h := range ln.Holds {
			spans = append(spans, spanText(h))
		}
		var pids []string
		for i, p := range ln.PIDs {
			if i == maxPIDsShown {
				pids = append(pids, fmt.Sprintf("… (%d processes)", len(ln.PIDs)))
				break
			}
			pids = append(pids, strconv.Itoa(p))
		}
		prog := program(Holder{Exe: ln.Exe, Cmdline: ln.Cmdline})
		switch {
		case ln.Own && tl.Command != nil:
			prog = strings.Join(tl.Command.Args, " ") + " and its children"
		case ln.OutsideNamespace:
			prog = "unknown here: run watch on the host (device:inode " + outsideIDs(ln) + ")"
		}
		pg.Lanes = append(pg.Lanes, htmlLane{
			Label: ln.Label, PIDs: strings.Join(pids, ", "), Program: prog, Modes: strings.Join(ln.Modes, ", "),
			Held: secs(ln.HeldS), Holds: strings.Join(spans, ", "), Times: len(ln.Holds), Returns: ln.Returns,
			Own: ln.Own, Outside: ln.OutsideNamespace,
		})
	}
	for _, f := range tl.Failures {
		hf := htmlFailure{At: secs(f.At), Message: f.Outcome.Message, Count: f.Count, Note: f.Note, HeldFor: "-", Times: "-"}
		switch {
		case f.Holder != nil && f.Holder.OutsideNamespace:
			hf.Holder = "a process outside this PID namespace"
		case f.Holder != nil:
			hf.Holder = "pid " + strconv.Itoa(f.Holder.PID)
			if p := program(*f.Holder); p != "" {
				hf.Holder += " (" + p + ")"
			}
		default:
			hf.Holder = "unknown"
		}
		if f.Lane >= 0 {
			hf.HeldFor, hf.Times = heldFor(f), times(f.TimesHeld)
		}
		pg.Failures = append(pg.Failures, hf)
	}
	if err := htmlTmpl.Execute(w, pg); err != nil {
		return fmt.Errorf("watch: html: %w", err)
	}
	return nil
}

// outsideIDs lists the device:inode pairs of a lane's locks, as the host's /proc/locks shows
// them.
func outsideIDs(ln Lane) string {
	var ids []string
	for _, l := range ln.Locks {
		id := l.Device + ":" + strconv.FormatUint(l.Inode, 10)
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return strings.Join(ids, " and ")
}
