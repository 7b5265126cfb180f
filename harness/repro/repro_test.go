package repro

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCatalog(t *testing.T) {
	cases := Catalog()
	require.GreaterOrEqual(t, len(cases), 15)
	seen := map[string]bool{}
	for _, c := range cases {
		require.False(t, seen[c.Name], "duplicate name %s", c.Name)
		seen[c.Name] = true
		t.Run(c.Name, func(t *testing.T) {
			require.NotEmpty(t, c.Title)
			require.NotEmpty(t, c.Reference)
			require.NotEmpty(t, c.Setup)
			require.NotEmpty(t, c.Expect.Kind)
			res, err := Run(context.Background(), []string{c.Name}, testEnv(t))
			require.NoError(t, err)
			require.Len(t, res, 1)
			r := res[0]
			var b bytes.Buffer
			require.NoError(t, WriteText(&b, res))
			t.Log("\n" + b.String())
			if r.Verdict == Skip {
				require.NotEmpty(t, r.Detail, "a skipped case says why")
				t.Skip(r.Detail)
			}
			assert.Equal(t, Pass, r.Verdict, "%s", r.Detail)
			assert.NotEmpty(t, r.Timeline)
			assert.NotEmpty(t, r.Observed.Kind)
		})
	}
}

func TestRunUnknownName(t *testing.T) {
	res, err := Run(context.Background(), []string{"rw-vs-rw", "no-such-case"}, testEnv(t))
	require.Error(t, err)
	assert.Nil(t, res, "nothing runs when a name is unknown")
	assert.True(t, errors.Is(err, ErrUnknownCase))
	assert.Contains(t, err.Error(), `"no-such-case"`)
	for _, n := range Names() {
		assert.Contains(t, err.Error(), n)
	}
}

func TestWriters(t *testing.T) {
	res, err := Run(context.Background(), []string{"update-update"}, testEnv(t))
	require.NoError(t, err)
	var text bytes.Buffer
	require.NoError(t, WriteText(&text, res))
	out := text.String()
	for _, want := range []string{"update-update:", "reference:", "setup:", "expected:", "observed:  txn-conflict (update): TransactionContext Error: Conflict on update!",
		"timeline:", "+", "verdict:   pass", "1 passed, 0 failed"} {
		assert.Contains(t, out, want)
	}
	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, res))
	var got struct {
		Results []map[string]any `json:"results"`
		Passed  int              `json:"passed"`
		Failed  int              `json:"failed"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &got))
	require.Len(t, got.Results, 1)
	assert.Equal(t, 1, got.Passed)
	assert.Equal(t, "update-update", got.Results[0]["name"])
	assert.Equal(t, "pass", got.Results[0]["verdict"])
	obs := got.Results[0]["observed"].(map[string]any)
	assert.Equal(t, "txn-conflict", obs["kind"])
	tl := got.Results[0]["timeline"].([]any)
	assert.NotEmpty(t, tl)
	assert.Contains(t, tl[0].(map[string]any), "at_ms")

	var list bytes.Buffer
	require.NoError(t, WriteList(&list, Catalog()))
	assert.Equal(t, len(Catalog()), strings.Count(list.String(), "\n"))
}

func TestJudge(t *testing.T) {
	e := Expectation{Kind: "lock-conflict", Sub: "database", Message: "held", ReadOnlyWouldWork: true}
	v, d := judge(e, Observation{})
	assert.Equal(t, Fail, v)
	assert.Contains(t, d, "expected lock-conflict (database), observed")
	obs := Observation{}
	obs.Outcome.Kind, obs.Outcome.Sub, obs.Outcome.Message = "lock-conflict", "database", "lock held"
	v, d = judge(e, obs)
	assert.Equal(t, Fail, v)
	assert.Contains(t, d, "read-only hint")
	obs.Outcome.ReadOnlyWouldWork = true
	v, _ = judge(e, obs)
	assert.Equal(t, Pass, v)
	obs.check("something", false, "got %d", 3)
	v, d = judge(e, obs)
	assert.Equal(t, Fail, v)
	assert.Contains(t, d, "something: not so (got 3)")
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, []string{"update-update"}, testEnv(t))
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, res)
}

func TestSkippedCase(t *testing.T) {
	c := Case{Name: "needs-namespaces", Title: "t", Reference: "r", Setup: "s", Expect: Expectation{Kind: "ok"},
		run: func(context.Context, *caseRun) (Observation, error) {
			return Observation{}, skipf("cannot create PID namespaces here (running as uid 1000, not root)")
		}}
	r := runCase(context.Background(), c, testEnv(t))
	assert.Equal(t, Skip, r.Verdict)
	assert.Equal(t, "cannot create PID namespaces here (running as uid 1000, not root)", r.Detail)
	pass := Result{Verdict: Pass}
	passed, failed := Counts([]Result{r, pass})
	assert.Equal(t, 1, passed)
	assert.Equal(t, 0, failed, "a skip is not a failure")
	assert.Equal(t, 1, Skipped([]Result{r, pass}))
	var b bytes.Buffer
	require.NoError(t, WriteText(&b, []Result{r, pass}))
	assert.Contains(t, b.String(), "verdict:   skip")
	assert.Contains(t, b.String(), "    cannot create PID namespaces here")
	assert.Contains(t, b.String(), "1 passed, 0 failed, 1 skipped\n")
	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, []Result{r}))
	assert.Contains(t, js.String(), `"skipped": 1`)
}

// TestUnshareMissingOrRefused checks the reasons the PID-namespace cases give when they skip:
// with no unshare on PATH, and with an unshare that is refused (as for a user who is not root).
func TestUnshareMissingOrRefused(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := findUnshare()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no unshare command (util-linux) on PATH")

	dir := t.TempDir()
	script := "#!/bin/sh\necho 'unshare: unshare failed: Operation not permitted' >&2\nexit 1\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "unshare"), []byte(script), 0o755))
	t.Setenv("PATH", dir)
	_, err = findUnshare()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot create PID namespaces here (running as ")
	assert.Contains(t, err.Error(), "unshare: unshare failed: Operation not permitted")
}
