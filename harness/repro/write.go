package repro

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Counts returns how many results passed and failed; skipped results count as neither (see
// Skipped).
func Counts(results []Result) (passed, failed int) {
	for _, r := range results {
		switch r.Verdict {
		case Pass:
			passed++
		case Skip:
		default:
			failed++
		}
	}
	return passed, failed
}

// Skipped returns how many results were skipped.
func Skipped(results []Result) int {
	n := 0
	for _, r := range results {
		if r.Verdict == Skip {
			n++
		}
	}
	return n
}

// WriteList writes the catalog: one line per case with its name, reference and title.
func WriteList(w io.Writer, cases []Case) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, c := range cases {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, c.Title, c.Reference)
	}
	return tw.Flush()
}

// WriteText writes each result (name, reference, setup, expected, observed with DuckDB's
// message verbatim, checks, timeline, verdict) and a closing line `N passed, M failed`.
func WriteText(w io.Writer, results []Result) error {
	var b strings.Builder
	for _, r := range results {
		fmt.Fprintf(&b, "%s: %s\n", r.Name, r.Title)
		fmt.Fprintf(&b, "  reference: %s\n", r.Reference)
		fmt.Fprintf(&b, "  setup:     %s\n", r.Setup)
		if r.Note != "" {
			fmt.Fprintf(&b, "  note:      %s\n", r.Note)
		}
		fmt.Fprintf(&b, "  expected:  %s\n", r.Expect)
		fmt.Fprintf(&b, "  observed:  %s\n", observed(r))
		if len(r.Checks) > 0 {
			b.WriteString("  checks:\n")
			for _, c := range r.Checks {
				mark := "ok  "
				if !c.OK {
					mark = "FAIL"
				}
				fmt.Fprintf(&b, "    %s %s", mark, c.What)
				if c.Got != "" {
					fmt.Fprintf(&b, " (%s)", c.Got)
				}
				b.WriteString("\n")
			}
		}
		if len(r.Timeline) > 0 {
			b.WriteString("  timeline:\n")
			for _, s := range r.Timeline {
				fmt.Fprintf(&b, "    %-8s %s\n", "+"+fmtOffset(s.At), s.Text)
			}
		}
		fmt.Fprintf(&b, "  verdict:   %s (%s)\n", r.Verdict, fmtOffset(r.Duration))
		if r.Detail != "" {
			for _, line := range strings.Split(r.Detail, "\n") {
				fmt.Fprintf(&b, "    %s\n", line)
			}
		}
		b.WriteString("\n")
	}
	passed, failed := Counts(results)
	fmt.Fprintf(&b, "%d passed, %d failed", passed, failed)
	if n := Skipped(results); n > 0 {
		fmt.Fprintf(&b, ", %d skipped", n)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// observed renders the observed outcome: kind, Sub, DuckDB's message and the holder it named.
func observed(r Result) string {
	o := r.Observed
	s := kindSub(o.Kind, o.Sub)
	if o.Message != "" {
		s += ": " + o.Message
	}
	if o.HolderPID > 0 && o.HolderCmdline != "" {
		s += fmt.Sprintf(" [pid %d: %s]", o.HolderPID, o.HolderCmdline)
	}
	return s
}

// jsonStep is a Step in JSON, with its offset in milliseconds.
type jsonStep struct {
	AtMS float64 `json:"at_ms"`
	Text string  `json:"text"`
}

// jsonResult is a Result in JSON, with durations in milliseconds.
type jsonResult struct {
	Result
	Timeline   []jsonStep `json:"timeline"`
	DurationMS float64    `json:"duration_ms"`
}

// WriteJSON writes the results as one JSON object: {"results": [...], "passed": N,
// "failed": M, "skipped": K}. Offsets and durations are in milliseconds.
func WriteJSON(w io.Writer, results []Result) error {
	out := struct {
		Results []jsonResult `json:"results"`
		Passed  int          `json:"passed"`
		Failed  int          `json:"failed"`
		Skipped int          `json:"skipped"`
	}{Results: []jsonResult{}}
	for _, r := range results {
		jr := jsonResult{Result: r, Timeline: []jsonStep{}, DurationMS: ms(r.Duration.Seconds())}
		for _, s := range r.Timeline {
			jr.Timeline = append(jr.Timeline, jsonStep{AtMS: ms(s.At.Seconds()), Text: s.Text})
		}
		out.Results = append(out.Results, jr)
	}
	out.Passed, out.Failed = Counts(results)
	out.Skipped = Skipped(results)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("repro: write JSON: %w", err)
	}
	return nil
}

// ms converts seconds to milliseconds rounded to a microsecond.
func ms(s float64) float64 { return float64(int64(s*1e6+0.5)) / 1e3 }
