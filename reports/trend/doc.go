// Package trend follows every cell's timings across runs, as regression tracking across
// commits needs: what `lockbench trend` computes and renders.
//
// It never runs anything. Load reads the run directories at or under the paths it is given (run
// directories, runs/, downloaded CI artifacts) with history.ReadRuns, the one reader of run
// directories, decoding only the trials' timings, on every core; the shards of one sharded run
// merge into one MergedRun, as `lockbench report` merges them. Analyze then builds, per cell
// and metric:
//
//   - the series of per-run medians of the ok, non-warmup trials, each with its
//     distribution-free order-statistic interval, in time order, labelled with the commit under
//     test and lockbench's version;
//   - parts split wherever the cell's workload identity changes (a changed SQL model, seed, exec
//     command or cell parameter): timings on either side are not comparable, so a split is
//     reported as such and is never a change point; runs recorded before manifests had an
//     identity join their neighbours. The DuckDB release a run's trials ran is not part of the
//     identity: a cell that names no release runs whichever one lockbench links, and upgrading
//     it is exactly the kind of change a series should show, so each point records its release
//     and a change point whose two sides ran different releases names them, as it names the
//     commits;
//   - change points in each part: E-Divisive with means (Matteson and James 2014, exponent 1,
//     as Apache Otava uses it) on the run medians, each split tested by a seeded permutation
//     test within the current segments (exact when there are few arrangements) and kept when
//     p ≤ α and the medians on either side differ by at least the minimum change. The trials of
//     up to ten runs on each side give the change's medians and a percentile-bootstrap interval
//     of their ratio;
//   - a verdict on the newest point: fail when the newest change point since the workload last
//     changed is a slowdown, unknown with fewer than five runs since then, pass otherwise.
//
// Change points are looked for on run medians rather than on pooled trials: trials of one run
// share its machine and moment, so they are not exchangeable with the trials of other runs,
// and a permutation test over trials would report every run-to-run wobble as a change. The
// trials still give each point its interval and each change its interval.
//
// The same inputs and options always give the same output: permutations and bootstrap
// resamples come from seeded generators, and nothing depends on map order, scheduling or the
// clock. Renderers write a Trend as terminal text, Markdown, JSON (schema_version 1) or
// self-contained HTML with a gonum/plot chart per cell.
package trend
