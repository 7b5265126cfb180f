package buildinfo

import (
	"os/exec"
	"strings"
)

// commitVariables are the CI variables that name the commit being built, in the order they are
// consulted: GitHub Actions, GitLab CI, Buildkite, CircleCI.
var commitVariables = []string{"GITHUB_SHA", "CI_COMMIT_SHA", "BUILDKITE_COMMIT", "CIRCLE_SHA1"}

// CommitUnderTest returns the commit of the code a run measures, and where it came from. For
// the built-in workload that is lockbench's own code; for an exec workload it is the user's
// repository, which is why it is looked up where the user runs lockbench and not in the binary:
// flag when it is not empty ("--commit"); else the first CI variable that is set (GITHUB_SHA,
// CI_COMMIT_SHA, BUILDKITE_COMMIT, CIRCLE_SHA1; the source is the variable's name); else the
// HEAD of the git checkout that contains dir ("git"; "-dirty" is appended when tracked files
// have uncommitted changes); else nothing. getenv looks up environment variables (os.Getenv).
func CommitUnderTest(flag string, getenv func(string) string, dir string) (commit, source string) {
	if c := strings.TrimSpace(flag); c != "" {
		return c, "--commit"
	}
	for _, v := range commitVariables {
		if c := strings.TrimSpace(getenv(v)); c != "" {
			return c, v
		}
	}
	if c := gitFullHead(dir); c != "" {
		return c, "git"
	}
	return "", ""
}

// gitFullHead returns the full HEAD commit of the checkout containing dir, with "-dirty" when
// tracked files differ from it; "" outside a checkout.
func gitFullHead(dir string) string {
	out, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	rev := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "-C", dir, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		rev += "-dirty"
	}
	return rev
}

// groupVariables name, per CI system, the variable that identifies one pipeline run: every
// parallel job of the run sees the same value.
var groupVariables = []struct{ prefix, name string }{
	{"github", "GITHUB_RUN_ID"},
	{"gitlab", "CI_PIPELINE_ID"},
	{"buildkite", "BUILDKITE_BUILD_ID"},
	{"circleci", "CIRCLE_WORKFLOW_ID"},
}

// CIGroup returns the identity of the CI pipeline run this process belongs to, such as
// "github:12345678", or "" outside CI. Shards recorded with the same group merge into one
// point of a trend.
func CIGroup(getenv func(string) string) string {
	for _, g := range groupVariables {
		if v := strings.TrimSpace(getenv(g.name)); v != "" {
			return g.prefix + ":" + v
		}
	}
	return ""
}
