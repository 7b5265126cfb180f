package reports

import (
	"io"
	"strings"
)

// Format is an output format of a T (a Report, a Comparison, a trend): the name `--format`
// takes, the file bench writes it to (empty when bench writes none), and its writer.
type Format[T any] struct {
	Name  string
	File  string
	Write func(io.Writer, T) error
}

// Formats are the formats of a report, in the order bench writes their files.
var Formats = []Format[*Report]{
	{"text", "report.txt", WriteText},
	{"md", "report.md", WriteMarkdown},
	{"json", "report.json", WriteJSON},
	{"junit", "report.junit.xml", WriteJUnit},
	{"html", "report.html", WriteHTML},
	{"gobench", "report.bench.txt", WriteGoBench},
}

// CompareFormats are the formats of a comparison of two runs.
var CompareFormats = []Format[*Comparison]{
	{Name: "text", Write: WriteCompareText},
	{Name: "md", Write: WriteCompareMarkdown},
	{Name: "json", Write: WriteCompareJSON},
}

// FindFormat returns the format of fs called name.
func FindFormat[T any](fs []Format[T], name string) (Format[T], bool) {
	for _, f := range fs {
		if f.Name == name {
			return f, true
		}
	}
	return Format[T]{}, false
}

// FormatNames lists the names of fs for a message: "text, md or json".
func FormatNames[T any](fs []Format[T]) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
