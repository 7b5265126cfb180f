package history

import (
	"os"
	"path/filepath"
	"testing"

	"lockbench/outcome"
	"lockbench/vocab"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendAndReadSurvivesTornLine(t *testing.T) {
	dir := t.TempDir()
	a, err := OpenAppender(dir)
	require.NoError(t, err)
	require.NoError(t, a.Append(Trial{Cell: "mode=sequential", Trial: 1, Outcome: outcome.Outcome{Kind: vocab.OK}, WallS: 1.5}))
	require.NoError(t, a.Close())

	// Simulate a crash in the middle of writing the second line.
	f, err := os.OpenFile(filepath.Join(dir, HistoryFile), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"cell":"mode=thr`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	trials, err := ReadTrials(dir)
	require.NoError(t, err)
	require.Len(t, trials, 1)

	// Reopening cuts the torn line so the next append starts on a fresh line.
	a, err = OpenAppender(dir)
	require.NoError(t, err)
	require.NoError(t, a.Append(Trial{Cell: "mode=threaded", Trial: 1, Outcome: outcome.Outcome{Kind: vocab.OK}}))
	require.NoError(t, a.Close())
	trials, err = ReadTrials(dir)
	require.NoError(t, err)
	require.Len(t, trials, 2)
	assert.Equal(t, "mode=threaded", trials[1].Cell)
}

func TestMalformedLineNamesLine(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, HistoryFile), []byte("{\"cell\":\"a\"}\nnot json\n"), 0o644))
	_, err := ReadTrials(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "history.ndjson:2")
}

func TestManifestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	m := Manifest{SchemaVersion: SchemaVersion, ID: "x", RootSeed: 7, Scenario: []byte(`{"name":"quick"}`)}
	require.NoError(t, WriteManifest(dir, m))
	got, err := ReadManifest(dir)
	require.NoError(t, err)
	assert.Equal(t, int64(7), got.RootSeed)
	assert.JSONEq(t, `{"name":"quick"}`, string(got.Scenario))
}
