// Package reports turns stored trials into statistics, verdicts and renderings.
//
// It never runs anything: it reads run directories written by the harness (manifest.json and
// history.ndjson, see package history), pools the trials of each cell across the directories
// given (shards of one run merge into one report), and computes:
//
//   - per cell and metric (wall, overhead, sql; seconds): n, the median with a distribution-free
//     95% order-statistic interval (benchstat's QuantileCI), mean ± sd, min/max, coefficient of
//     variation, Tukey (1.5/3·IQR) and modified-Z (MAD, Iglewicz–Hoaglin 3.5) outliers, a
//     bimodality check, outcome counts and the median overhead per span kind;
//   - comparisons between cells or runs: the ratio of medians with a seeded percentile-bootstrap
//     interval, a two-sided Mann–Whitney U test, "~" when not significant at α = 0.05 after Holm's
//     correction, and a geometric-mean row;
//   - target verdicts (criterion's rule with Jepsen's three states) and expectation verdicts
//     (the outcome each cell must show), combined into a run verdict that maps onto the exit
//     codes of README.md#exit-codes.
//
// Warnings (too few trials, a slow first trial, bimodal timings, outliers, failed trials) are
// reported, never acted upon: no trial is ever dropped.
//
// Only trials that are not warmups count. Timing statistics use the trials whose outcome is ok;
// outcome counts and expectations use every non-warmup trial.
//
// Renderers write a Report to an io.Writer as terminal text, Markdown, JSON, JUnit XML,
// self-contained HTML with inline SVG plots, or Go benchmark format; a Comparison of two runs
// renders as text, Markdown or JSON. Every rendering is deterministic for a given input: bootstrap
// generators are seeded from a hash of the data, and nothing depends on map order or the clock.
package reports
