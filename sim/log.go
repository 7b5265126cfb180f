package sim

import (
	"fmt"
	"io"

	"lockbench/trace"
)

// logSpan writes one line per finished span (simulate --verbose).
func logSpan(w io.Writer, s trace.Span) {
	year := ""
	if s.Year != 0 {
		year = fmt.Sprintf(" %d", s.Year)
	}
	status := ""
	if s.Error != "" {
		status = "  ERROR " + s.Error
	}
	fmt.Fprintf(w, "%8.3fs  w%-2d %-10s %-32s %8.1f ms%s\n", s.Start, s.Worker, s.Kind, s.Name+year, s.Duration()*1000, status)
}
