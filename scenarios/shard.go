package scenarios

import (
	"fmt"
	"strconv"
	"strings"
)

// ShardAuto is the --shard value that takes the share from the CI system's variables.
const ShardAuto = "auto"

// parallelSystems are the CI systems (and Kubernetes) whose parallel jobs say which share they
// are, in the order ResolveShard consults them. Index is the variable with the job's index
// (ZeroBased when it counts from 0); Total the variable with the number of jobs ("" when the
// system has none: the total must then be given as auto/N).
var parallelSystems = []struct {
	name, index, total string
	zeroBased          bool
}{
	{"GitLab CI", "CI_NODE_INDEX", "CI_NODE_TOTAL", false},
	{"CircleCI", "CIRCLE_NODE_INDEX", "CIRCLE_NODE_TOTAL", true},
	{"Buildkite", "BUILDKITE_PARALLEL_JOB", "BUILDKITE_PARALLEL_JOB_COUNT", true},
	{"a Kubernetes Indexed Job", "JOB_COMPLETION_INDEX", "", true},
}

// ResolveShard turns a --shard value into the "K/N" form the runner takes. "" stays "" (every
// cell); "K/N" is checked and returned in canonical form. "auto" takes the share from the
// variables of the CI system's parallel jobs: GitLab's CI_NODE_INDEX/CI_NODE_TOTAL (counted
// from 1), CircleCI's CIRCLE_NODE_INDEX/CIRCLE_NODE_TOTAL, Buildkite's
// BUILDKITE_PARALLEL_JOB/BUILDKITE_PARALLEL_JOB_COUNT, or a Kubernetes Indexed Job's
// JOB_COMPLETION_INDEX (all three counted from 0). "auto/N" gives the total where the system
// has none (Kubernetes: the Job's completions) and must agree with the system's where it has
// one. Plain "auto" outside parallel CI jobs means every cell (shard ""), so the same command
// also runs the whole matrix on a laptop. source names the variables used ("" when none).
// getenv looks up environment variables (os.Getenv). Errors are *Error values naming --shard.
func ResolveShard(expr string, getenv func(string) string) (shard, source string, err error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return "", "", nil
	}
	rest, isAuto := strings.CutPrefix(expr, ShardAuto)
	if !isAuto {
		k, n, err := ParseShard(expr)
		if err != nil {
			return "", "", err
		}
		return fmt.Sprintf("%d/%d", k, n), "", nil
	}
	const allowed = "K/N with 1 ≤ K ≤ N, auto, or auto/N"
	bad := func(format string, args ...any) error {
		return &Error{File: "--shard", Msg: fmt.Sprintf(format, args...), Allowed: allowed}
	}
	given := 0
	if rest != "" {
		ns, ok := strings.CutPrefix(rest, "/")
		n, err := strconv.Atoi(ns)
		if !ok || err != nil || n < 1 {
			return "", "", bad("bad shard %q", expr)
		}
		given = n
	}
	for _, sys := range parallelSystems {
		iv := strings.TrimSpace(getenv(sys.index))
		if iv == "" {
			continue
		}
		idx, err := strconv.Atoi(iv)
		if err != nil {
			return "", "", bad("%s=%q (%s) is not a job index", sys.index, iv, sys.name)
		}
		k := idx
		if sys.zeroBased {
			k = idx + 1
		}
		n, src := given, sys.index
		if sys.total != "" {
			tv := strings.TrimSpace(getenv(sys.total))
			total, err := strconv.Atoi(tv)
			if err != nil || total < 1 {
				return "", "", bad("%s is set but %s=%q (%s) is not a job count", sys.index, sys.total, tv, sys.name)
			}
			if given != 0 && given != total {
				return "", "", bad("%s: %s=%d says %d jobs, not %d", expr, sys.total, total, total, given)
			}
			n, src = total, sys.index+"/"+sys.total
		}
		if n == 0 {
			return "", "", bad("%s=%s (%s) gives no total: write --shard auto/N with the number of jobs (the Job's completions)", sys.index, iv, sys.name)
		}
		if k < 1 || k > n {
			return "", "", bad("%s=%s (%s) is outside the %d jobs", sys.index, iv, sys.name, n)
		}
		return fmt.Sprintf("%d/%d", k, n), src, nil
	}
	if given != 0 {
		return "", "", bad("%s: no CI parallel-job variable is set (CI_NODE_INDEX, CIRCLE_NODE_INDEX, BUILDKITE_PARALLEL_JOB, JOB_COMPLETION_INDEX), so this job's share is unknown", expr)
	}
	return "", "", nil
}
