package reports

import (
	"fmt"
	"html/template"
	"strings"
)

// strategyTable is one situation's table of the strategies section, as plain strings.
type strategyTable struct {
	Situation string
	Title     string
	Align     string
	Header    []string
	Rows      [][]string
}

// strategyTables lays out the section: one table per situation, with the columns that matter
// there.
func strategyTables(s *Strategies) []strategyTable {
	var out []strategyTable
	var sits []string
	for _, r := range s.Rows {
		if len(sits) == 0 || sits[len(sits)-1] != r.Situation {
			sits = append(sits, r.Situation)
		}
	}
	for _, sit := range sits {
		t := strategyTable{Situation: sit, Title: "with " + sit}
		switch sit {
		case SituationAlone:
			t.Title = "alone"
			t.Align, t.Header = "lrrl", []string{"strategy", "pipeline ok", "wall", "data identical"}
		case SituationViewers:
			t.Align, t.Header = "lrrrrrrl", []string{"strategy", "pipeline ok", "wall", "reads ok", "wait p50/p95", "staleness p50/p95", "partial reads", "data identical"}
		case SituationWriter:
			t.Align, t.Header = "lrrrrrl", []string{"strategy", "pipeline ok", "wall", "writes ok", "rows kept", "wait p50/p95", "data identical"}
		default:
			t.Align, t.Header = "lrrl", []string{"strategy", "pipeline ok", "wall", "data identical"}
		}
		for _, r := range s.Rows {
			if r.Situation != sit {
				continue
			}
			row := []string{r.Strategy, rateText(r.Pipeline), wallText(r)}
			switch sit {
			case SituationViewers:
				row = append(row, participantCells(r.Viewers, true)...)
			case SituationWriter:
				row = append(row, participantCells(r.Writer, false)...)
			}
			t.Rows = append(t.Rows, append(row, dataText(r)))
		}
		out = append(out, t)
	}
	return out
}

// rateText is "ok/n [lo–hi%]".
func rateText(r Rate) string {
	if r.N == 0 {
		return "-"
	}
	s := fmt.Sprintf("%d/%d", r.OK, r.N)
	if r.CI != nil {
		s += fmt.Sprintf(" [%.0f–%.0f%%]", 100*r.CI.Lo, 100*r.CI.Hi)
	}
	return s
}

// wallText is the median wall with its interval and the interval's level.
func wallText(r StrategyRow) string {
	if r.Wall == nil {
		return "-"
	}
	s := secs(*r.Wall)
	if ci := r.WallCI; ci != nil {
		s += fmt.Sprintf(" [%s–%s @%.0f%%]", secs(ci.Lo), secs(ci.Hi), 100*ci.Level)
	}
	return s
}

func participantCells(p *ParticipantFigures, viewer bool) []string {
	n := 3
	if viewer {
		n = 4
	}
	if p == nil {
		cells := make([]string, n)
		for i := range cells {
			cells[i] = "-"
		}
		return cells
	}
	wait := msText(p.WaitP50) + " / " + msText(p.WaitP95)
	if p.Served.N == 0 {
		wait = "-"
	}
	if !viewer {
		return []string{rateText(p.Served), fmt.Sprintf("%d/%d", p.RowsKept, p.RowsWritten), wait}
	}
	stale, partial := "-", "-"
	if p.StalenessP50 != nil {
		stale = fmt.Sprintf("%s / %s", trimFloat(*p.StalenessP50), yearsText(*p.StalenessP95))
		partial = pct0(p.Partial)
	}
	return []string{rateText(p.Served), wait, stale, partial}
}

func trimFloat(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.1f", v), "0"), ".")
}

func dataText(r StrategyRow) string {
	if r.DataIdentical == "no" {
		return fmt.Sprintf("no (%d trial(s) differ)", r.Mismatches)
	}
	return r.DataIdentical
}

// strategiesNote explains the figures in one paragraph.
func strategiesNote(s *Strategies, conf float64) string {
	ref := "no sequential reference cell in these runs, so data identity is unknown"
	if s.Reference != "" {
		ref = fmt.Sprintf("data is compared with the sequential reference %s (fingerprint %s)", s.Reference, s.ReferenceFingerprint)
	}
	return fmt.Sprintf("Rates show ok/n with a %.0f%% Wilson interval; wall is the median of ok trials with its "+
		"order-statistic interval at the level shown. Participants' figures count attempts made while the "+
		"pipeline ran: wait is time blocked on the queue or sleeping between retries; staleness is the newest "+
		"finished year minus the year a read saw; a partial read saw a year still being built. Rows kept are "+
		"the second writer's acknowledged rows still in the file at the end; %s.", 100*conf, ref)
}

// writeStrategiesText writes the strategies section of the terminal report.
func writeStrategiesText(ew *errWriter, r *Report) error {
	s := r.Strategies
	if s == nil {
		return nil
	}
	ew.printf("\nstrategies: what to do about \"Conflicting lock is held\"\n")
	for _, t := range strategyTables(s) {
		ew.printf("\n%s\n", t.Title)
		tw := newTable(ew, t.Align)
		tw.Header(t.Header)
		for _, row := range t.Rows {
			if err := tw.Append(row); err != nil {
				return fmt.Errorf("text report: %w", err)
			}
		}
		if err := tw.Render(); err != nil {
			return fmt.Errorf("text report: %w", err)
		}
	}
	ew.printf("%s\n", wrapText(strategiesNote(s, r.Settings.Confidence), 100))
	if len(s.Recommendations) > 0 {
		ew.printf("\nrecommendations (from these measurements):\n")
		for _, rec := range s.Recommendations {
			ew.printf("  - %s\n", rec.Line)
		}
	}
	return nil
}

// wrapText breaks s into lines of at most width characters at spaces.
func wrapText(s string, width int) string {
	var b strings.Builder
	line := 0
	for i, w := range strings.Fields(s) {
		if i > 0 {
			if line+1+len(w) > width {
				b.WriteString("\n")
				line = 0
			} else {
				b.WriteString(" ")
				line++
			}
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}

// writeStrategiesMarkdown writes the strategies section in Markdown.
func writeStrategiesMarkdown(ew *errWriter, r *Report) {
	s := r.Strategies
	if s == nil {
		return
	}
	ew.printf("\n### Strategies\n")
	for _, t := range strategyTables(s) {
		ew.printf("\n**%s**\n\n", mdEscape(t.Title))
		mdHeader(ew, t.Align, t.Header...)
		for _, row := range t.Rows {
			mdRow(ew, row...)
		}
	}
	ew.printf("\n%s\n", mdEscape(strategiesNote(s, r.Settings.Confidence)))
	if len(s.Recommendations) > 0 {
		ew.printf("\nRecommendations, from these measurements:\n\n")
		for _, rec := range s.Recommendations {
			ew.printf("- %s\n", mdEscape(rec.Line))
		}
	}
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
