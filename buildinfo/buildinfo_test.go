package buildinfo

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVCSCommit(t *testing.T) {
	rev := "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{nil, ""},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: "false"}}, "0123456789ab"},
		{[]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}, {Key: "vcs.revision", Value: rev}}, "0123456789ab-dirty"},
		{[]debug.BuildSetting{{Key: "vcs.modified", Value: "true"}}, ""},
		{[]debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}, "abc"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, vcsCommit(tc.settings), "%v", tc.settings)
	}
}

// gitRepo makes a git repository with one commit of the given files and returns its directory
// and full HEAD commit.
func gitRepo(t *testing.T, files map[string]string) (string, string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	for name, body := range files {
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "first")
	return dir, git("rev-parse", "HEAD")
}

func TestSourceCommit(t *testing.T) {
	dir, head := gitRepo(t, map[string]string{"go.mod": "module lockbench\n\ngo 1.26\n", "buildinfo/x.go": "package buildinfo\n"})
	sub := filepath.Join(dir, "buildinfo")
	assert.Equal(t, head[:12], SourceCommit(sub), "found from a package directory below the module root")
	require.NoError(t, os.WriteFile(filepath.Join(sub, "x.go"), []byte("package buildinfo // changed\n"), 0o644))
	assert.Equal(t, head[:12]+"-dirty", SourceCommit(sub), "uncommitted changes to tracked files")

	other, _ := gitRepo(t, map[string]string{"go.mod": "module example.com/other\n"})
	assert.Equal(t, "", SourceCommit(other), "another module is not lockbench")
	assert.Equal(t, "", SourceCommit(t.TempDir()), "no module at all")
}

// The binary of this test was compiled from this source tree: its lockbench commit is the
// tree's, wherever it runs, even though go test stamps no VCS information.
func TestGetLabelsTheSourceTree(t *testing.T) {
	wd, err := os.Getwd()
	require.NoError(t, err)
	want := SourceCommit(wd)
	if want == "" {
		t.Skip("the source tree is not a git checkout")
	}
	t.Chdir(t.TempDir())
	got := Get().Commit
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{12}(-dirty)?$`), got)
	assert.Equal(t, want, got)
}

func TestCommitUnderTest(t *testing.T) {
	repo, head := gitRepo(t, map[string]string{"run.sh": "echo hi\n"})
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	tests := []struct {
		name           string
		flag           string
		getenv         func(string) string
		dir            string
		commit, source string
	}{
		{"flag wins", "v1.2.3", env("GITHUB_SHA", "aaa"), repo, "v1.2.3", "--commit"},
		{"github", "", env("GITHUB_SHA", "aaa", "CI_COMMIT_SHA", "bbb"), repo, "aaa", "GITHUB_SHA"},
		{"gitlab", "", env("CI_COMMIT_SHA", "bbb"), repo, "bbb", "CI_COMMIT_SHA"},
		{"buildkite", "", env("BUILDKITE_COMMIT", "ccc"), repo, "ccc", "BUILDKITE_COMMIT"},
		{"circleci", "", env("CIRCLE_SHA1", "ddd"), repo, "ddd", "CIRCLE_SHA1"},
		{"git HEAD of the working directory", "", env(), repo, head, "git"},
		{"nothing", "", env(), t.TempDir(), "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, s := CommitUnderTest(tc.flag, tc.getenv, tc.dir)
			assert.Equal(t, tc.commit, c)
			assert.Equal(t, tc.source, s)
		})
	}
	require.NoError(t, os.WriteFile(filepath.Join(repo, "run.sh"), []byte("echo changed\n"), 0o644))
	c, _ := CommitUnderTest("", env(), repo)
	assert.Equal(t, head+"-dirty", c)
}

func TestCIGroup(t *testing.T) {
	assert.Equal(t, "", CIGroup(func(string) string { return "" }))
	assert.Equal(t, "github:42", CIGroup(func(k string) string { return map[string]string{"GITHUB_RUN_ID": "42", "CI_PIPELINE_ID": "7"}[k] }))
	assert.Equal(t, "gitlab:7", CIGroup(func(k string) string { return map[string]string{"CI_PIPELINE_ID": "7"}[k] }))
	assert.Equal(t, "buildkite:b-1", CIGroup(func(k string) string { return map[string]string{"BUILDKITE_BUILD_ID": "b-1"}[k] }))
	assert.Equal(t, "circleci:w", CIGroup(func(k string) string { return map[string]string{"CIRCLE_WORKFLOW_ID": "w"}[k] }))
}

// DuckDB names the release that an in-memory DuckDB reports, with the driver of the build.
func TestDuckDBMatchesTheLinkedLibrary(t *testing.T) {
	version, driver := DuckDB()
	v := Get()
	assert.Equal(t, strings.TrimPrefix(v.DuckDB, "v"), version)
	assert.Equal(t, v.Driver, driver)
}
