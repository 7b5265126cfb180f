package reports

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFormats(t *testing.T) {
	assert.Equal(t, "text, md, json, junit, html or gobench", FormatNames(Formats))
	assert.Equal(t, "text, md or json", FormatNames(CompareFormats))
	assert.Equal(t, "x", FormatNames([]Format[int]{{Name: "x"}}))
	f, ok := FindFormat(Formats, "junit")
	assert.True(t, ok)
	assert.Equal(t, "report.junit.xml", f.File)
	_, ok = FindFormat(CompareFormats, "html")
	assert.False(t, ok)
}
