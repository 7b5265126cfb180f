package reports

import (
	"context"
	"strings"

	"lockbench/history"
	"lockbench/internal/exitcode"
)

// LoadReport reads the run directories dirs with history.ReadRuns (the shards of one run merge
// into one report) and builds their report, judging the targets the first run's manifest
// records, each with the cells the manifest resolved for it, under the design it records. versus, when set, is AXIS=VALUE:
// every cell is compared with its sibling at that value. Expectations come from each trial's
// expected outcome: the scenario already resolved its expectation groups (the last matching
// group decides a cell). Bad input (a path that is not a run directory, a corrupt manifest or
// history, a run without a history, a malformed versus) carries exit code 2.
func LoadReport(dirs []string, versus string) (*Report, error) {
	return LoadReportContext(context.Background(), dirs, versus)
}

// LoadReportContext is LoadReport with a context that stops the reading.
func LoadReportContext(ctx context.Context, dirs []string, versus string) (*Report, error) {
	runs, err := history.ReadRuns(ctx, dirs, history.ReadOptions{NeedHistory: true})
	if err != nil {
		return nil, err
	}
	var opts Options
	if len(runs) > 0 {
		opts.Targets = runs[0].Manifest.Targets
		opts.Design = runs[0].Manifest.Design
	}
	if versus != "" {
		k, v, ok := strings.Cut(versus, "=")
		if !ok || k == "" || v == "" {
			return nil, exitcode.Usagef("--versus %q: write AXIS=VALUE, e.g. mode=sequential", versus)
		}
		opts.VersusAxis, opts.VersusBase = k, v
	}
	return Build(runs, opts)
}

// LoadComparison reads the runs of each side (run directories; several on a side are the
// shards of one run) with history.ReadRuns and compares them (see Compare). Bad input carries
// exit code 2.
func LoadComparison(ctx context.Context, baseDirs, newDirs []string, threshold float64) (*Comparison, error) {
	o := history.ReadOptions{NeedHistory: true}
	base, err := history.ReadRuns(ctx, baseDirs, o)
	if err != nil {
		return nil, err
	}
	next, err := history.ReadRuns(ctx, newDirs, o)
	if err != nil {
		return nil, err
	}
	return Compare(base, next, threshold), nil
}
