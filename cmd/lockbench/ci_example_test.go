package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"lockbench/internal/exitcode"
)

// ghWorkflow is the part of a GitHub Actions workflow the CI example uses.
type ghWorkflow struct {
	Env  map[string]string `yaml:"env"`
	Jobs map[string]ghJob  `yaml:"jobs"`
}

type ghJob struct {
	Needs    string `yaml:"needs"`
	If       string `yaml:"if"`
	Strategy struct {
		Matrix struct {
			Shard []int `yaml:"shard"`
		} `yaml:"matrix"`
	} `yaml:"strategy"`
	Steps []ghStep `yaml:"steps"`
}

type ghStep struct {
	Name string            `yaml:"name"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	If   string            `yaml:"if"`
	With map[string]string `yaml:"with"`
}

// ciRunner plays GitHub Actions for the example: each job in a fresh workspace, `run` steps in
// bash -e with the runner's variables, and the actions the example uses (checkout, setup-go,
// upload/download-artifact, cache restore/save) as the files they move. Anything else in the
// workflow fails the test, so the example cannot grow a step this test does not run.
type ciRunner struct {
	t         *testing.T
	wf        ghWorkflow
	matrix    string // the scenario that replaces the workflow's MATRIX
	bin       string // a directory with a fake `go` that "builds" lockbench as this test binary
	artifacts string // uploaded artifacts: artifacts/<pipeline>/<name>/
	caches    string // saved caches: caches/<n>-<key>/
	saved     int
}

// pipeline is one workflow run: a push to main or a pull request (headSHA set).
type pipeline struct {
	runID, ref, sha, headSHA string
	summary                  string // $GITHUB_STEP_SUMMARY of the report job
	report                   string // the report job's workspace
}

func (p pipeline) commit() string {
	if p.headSHA != "" {
		return p.headSHA
	}
	return p.sha
}

var ghExpr = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// expand substitutes the workflow expressions the example uses; any other fails the test.
func (c *ciRunner) expand(s string, p pipeline, shard int) string {
	return ghExpr.ReplaceAllStringFunc(s, func(m string) string {
		switch expr := ghExpr.FindStringSubmatch(m)[1]; expr {
		case "matrix.shard":
			require.NotZero(c.t, shard, "matrix.shard outside the matrix job")
			return fmt.Sprint(shard)
		case "github.run_id":
			return p.runID
		case "github.event.pull_request.head.sha || github.sha":
			return p.commit()
		default:
			c.t.Fatalf("the CI example uses the expression %q, which this test does not evaluate", expr)
			return ""
		}
	})
}

// cond evaluates a step's or job's if:.
func (c *ciRunner) cond(expr string, p pipeline) bool {
	switch strings.TrimSpace(expr) {
	case "", "always()":
		return true
	case "github.ref == 'refs/heads/main'", "always() && github.ref == 'refs/heads/main'":
		return p.ref == "refs/heads/main"
	}
	c.t.Fatalf("the CI example uses the condition %q, which this test does not evaluate", expr)
	return false
}

// copyTree copies src (a file or directory, symbolic links as links) to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(dst), 0o755))
	out, err := exec.Command("cp", "-R", "-P", src, dst).CombinedOutput()
	require.NoError(t, err, "cp %s %s: %s", src, dst, out)
}

// job runs one job of pipeline p (shard is the matrix value, 0 without a matrix).
func (c *ciRunner) job(name string, p *pipeline, shard int) {
	t := c.t
	j := c.wf.Jobs[name]
	require.True(t, c.cond(j.If, *p))
	ws := t.TempDir()
	runnerTemp := t.TempDir()
	ghPath := filepath.Join(runnerTemp, "github_path")
	summary := filepath.Join(runnerTemp, "step_summary")
	require.NoError(t, os.WriteFile(ghPath, nil, 0o644))
	require.NoError(t, os.WriteFile(summary, nil, 0o644))
	for _, st := range j.Steps {
		if !c.cond(st.If, *p) {
			continue
		}
		with := map[string]string{}
		for k, v := range st.With {
			with[k] = c.expand(v, *p, shard)
		}
		action, _, _ := strings.Cut(st.Uses, "@")
		switch action {
		case "":
			c.run(st, ws, runnerTemp, ghPath, summary, *p, shard)
		case "actions/checkout", "actions/setup-go":
			// The workspace starts empty; `go` on PATH builds lockbench as this test binary.
		case "actions/upload-artifact":
			dst := filepath.Join(c.artifacts, p.runID, with["name"])
			paths := strings.Fields(with["path"])
			if len(paths) == 1 {
				if info, err := os.Stat(filepath.Join(ws, paths[0])); err == nil && info.IsDir() {
					// One directory: the artifact holds its contents.
					copyTree(t, filepath.Join(ws, paths[0])+"/.", dst)
					continue
				}
			}
			for _, rel := range paths {
				if _, err := os.Lstat(filepath.Join(ws, rel)); err == nil {
					copyTree(t, filepath.Join(ws, strings.TrimSuffix(rel, "/")), filepath.Join(dst, strings.TrimSuffix(rel, "/")))
				}
			}
		case "actions/download-artifact":
			names, err := filepath.Glob(filepath.Join(c.artifacts, p.runID, with["pattern"]))
			require.NoError(t, err)
			require.NotEmpty(t, names, "no artifact matches %q", with["pattern"])
			for _, n := range names {
				copyTree(t, n, filepath.Join(ws, with["path"], filepath.Base(n)))
			}
		case "actions/cache/restore":
			entries, _ := os.ReadDir(c.caches)
			var hit string
			for _, e := range entries { // saved in order: the newest match wins
				_, key, _ := strings.Cut(e.Name(), "-")
				if key == with["key"] || strings.HasPrefix(key, with["restore-keys"]) {
					hit = filepath.Join(c.caches, e.Name())
				}
			}
			if hit != "" {
				copyTree(t, hit, filepath.Join(ws, strings.TrimSuffix(with["path"], "/")))
			}
		case "actions/cache/save":
			c.saved++
			copyTree(t, filepath.Join(ws, strings.TrimSuffix(with["path"], "/")), filepath.Join(c.caches, fmt.Sprintf("%03d-%s", c.saved, with["key"])))
		default:
			t.Fatalf("the CI example uses %s, which this test does not emulate", st.Uses)
		}
	}
	if name == "report" {
		b, err := os.ReadFile(summary)
		require.NoError(t, err)
		p.summary, p.report = string(b), ws
	}
}

// run runs a `run` step in bash -e, as GitHub does, with a clean environment: the runner's
// variables for this pipeline and nothing of the CI this test may itself run in.
func (c *ciRunner) run(st ghStep, ws, runnerTemp, ghPath, summary string, p pipeline, shard int) {
	t := c.t
	path := c.bin + ":" + os.Getenv("PATH")
	if extra, err := os.ReadFile(ghPath); err == nil {
		for _, dir := range strings.Fields(string(extra)) {
			path = dir + ":" + path
		}
	}
	env := []string{
		"PATH=" + path, "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir(), "LANG=C.UTF-8",
		"GITHUB_ACTIONS=true", "CI=true", "GITHUB_RUN_ID=" + p.runID, "GITHUB_SHA=" + p.sha, "GITHUB_REF=" + p.ref,
		"GITHUB_PATH=" + ghPath, "GITHUB_STEP_SUMMARY=" + summary, "RUNNER_TEMP=" + runnerTemp,
	}
	for k, v := range c.wf.Env {
		if k == "MATRIX" {
			v = c.matrix
		}
		env = append(env, k+"="+c.expand(v, p, shard))
	}
	script := c.expand(st.Run, p, shard)
	cmd := exec.Command("bash", "-e", "-c", script)
	cmd.Dir, cmd.Env = ws, env
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "pipeline %s, step %q (shard %d):\n%s\n%s", p.runID, st.Name, shard, script, out)
}

// TestCIExample runs the GitHub Actions example's commands in order on a tiny matrix: three
// earlier runs of main are in the cache; a pull request's pipeline runs the four shards, merges
// them into one report, restores the earlier runs, adds its own, and runs trend over all four.
func TestCIExample(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the CI example on a tiny matrix")
	}
	src, err := os.ReadFile("../../examples/ci/github-actions.yml")
	require.NoError(t, err)
	c := &ciRunner{t: t, bin: t.TempDir(), artifacts: t.TempDir(), caches: t.TempDir()}
	require.NoError(t, yaml.UnmarshalWithOptions(src, &c.wf))
	require.Contains(t, c.wf.Env, "MATRIX")
	require.Equal(t, []int{1, 2, 3, 4}, c.wf.Jobs["bench"].Strategy.Matrix.Shard)
	require.Equal(t, "bench", c.wf.Jobs["report"].Needs)
	c.matrix, err = filepath.Abs("testdata/ci-tiny.yaml")
	require.NoError(t, err)
	self, err := os.Executable()
	require.NoError(t, err)
	fakeGo := fmt.Sprintf("#!/bin/sh\n# go build -o OUT ./cmd/lockbench: lockbench is this test binary\nwhile [ $# -gt 0 ]; do [ \"$1\" = -o ] && out=$2; shift; done\nmkdir -p \"$(dirname \"$out\")\" && ln -sf %q \"$out\"\n", self)
	require.NoError(t, os.WriteFile(filepath.Join(c.bin, "go"), []byte(fakeGo), 0o755))

	// Three earlier runs of main, as a cache saved by an earlier pipeline holds them.
	earlier := filepath.Join(c.caches, "000-lockbench-history-8999")
	for i := 1; i <= 3; i++ {
		code, out, stderr := lockbench(t, "bench", "-m", c.matrix, "--runs", earlier, "--commit", fmt.Sprintf("%040d", i), "--quiet", "--no-report")
		require.Equal(t, 0, code, "%s\n%s", out, stderr)
	}

	p := pipeline{runID: "9004", ref: "refs/pull/7/merge", sha: strings.Repeat("e", 40), headSHA: strings.Repeat("f", 40)}
	for _, shard := range c.wf.Jobs["bench"].Strategy.Matrix.Shard {
		c.job("bench", &p, shard)
	}
	c.job("report", &p, 0)
	assert.Contains(t, p.summary, "## lockbench: ✅ pass", "the merged report")
	assert.Contains(t, p.summary, "4 cell(s)", "the four shards merged")
	assert.Contains(t, p.summary, "## lockbench trend: ❔ unknown", "fewer than 5 runs: the step passes")
	assert.Equal(t, 0, c.saved, "a pull request does not save the history")
	uploaded := filepath.Join(c.artifacts, p.runID, "lockbench-run-"+p.runID)
	assert.FileExists(t, filepath.Join(uploaded, "trend.html"))
	assert.FileExists(t, filepath.Join(uploaded, "report.html"))
	shards, _ := filepath.Glob(filepath.Join(uploaded, "this-run", "shard-*", "*", "manifest.json"))
	assert.Len(t, shards, 4, "the run directory of every shard is uploaded")

	// The history holds the three runs of main and this one: four points per cell, the
	// pipeline's point merging its four shards, named by the commit under test (the pull
	// request's head, not its merge commit).
	code, out, stderr := lockbench(t, "trend", "--format", "json", filepath.Join(p.report, "history"))
	require.Equal(t, int(exitcode.Unknown), code, stderr)
	var doc struct {
		Notes  []string `json:"notes"`
		Runs   int      `json:"runs"`
		Series []struct {
			Cell   string `json:"cell"`
			Points []struct {
				Commit string   `json:"commit"`
				Runs   []string `json:"runs"`
			} `json:"points"`
		} `json:"series"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, 4, doc.Runs)
	require.Len(t, doc.Series, 2, "the two cells with timings (the others reproduce a lock conflict)")
	for _, s := range doc.Series {
		var commits []string
		for _, pt := range s.Points {
			commits = append(commits, pt.Commit)
		}
		assert.Equal(t, []string{fmt.Sprintf("%040d", 1), fmt.Sprintf("%040d", 2), fmt.Sprintf("%040d", 3), strings.Repeat("f", 40)}, commits, s.Cell)
		require.Len(t, s.Points, 4)
		assert.Len(t, s.Points[3].Runs, 4, "%s: the pipeline's point merges its four shards", s.Cell)
	}
	require.Len(t, doc.Notes, 1)
	assert.Contains(t, doc.Notes[0], "2 cells without an ok trial in any run")
}
