// Package reports turns run directories into reports and comparisons, and renders them.
//
// It never runs anything, and it is the third of four steps, in the manner of golang/perf
// (benchfmt reads, benchproc groups, benchmath computes, benchstat prints):
//
//   - package history reads run directories (ReadRuns: the manifest and every trial);
//   - this package groups the trials: Build pools the trials of each cell across the runs
//     given (the shards of one run merge into one report) and builds the report model, a
//     Report of Cells with their statistics and warnings, the versus comparisons, the
//     parallelism and strategies sections, the DuckDB releases section (cells that differ only
//     in their release, compared as Compare compares two runs, and their data's fingerprints)
//     and the upgrade answer derived from it; Compare builds a Comparison of two runs;
//   - package stats computes every statistic (medians with their distribution-free interval,
//     bootstrap intervals, Mann–Whitney U, Holm) and package verdict every judgement (targets,
//     expectations, regressions), with the targets typed once in package scenarios and
//     recorded in each run's manifest;
//   - the renderers print the model, one file per format: text.go (terminal tables),
//     markdown.go (CI job summaries), json.go, junit.go (one test case per verdict), html.go
//     (a self-contained page with inline SVG plots drawn by svg.go) and gobench.go (Go
//     benchmark format for benchstat). display.go and tables.go hold what they share: cells
//     named by the axes that vary, folded warnings and mismatches, and the rows of the tables.
//
// Warnings (too few trials, a slow first trial, bimodal timings, outliers, failed trials, a
// history that ended in a partial line) are reported, never acted upon: no trial is ever
// dropped. Only trials that are not warmups count. Timing statistics use the trials whose
// outcome is ok; outcome counts and expectations use every non-warmup trial.
//
// Every rendering is deterministic for a given input: bootstrap generators are seeded from a
// hash of the data, and nothing depends on map order, the order of the run directories or the
// clock. Formats lists the formats of a report with the files `lockbench bench` writes, and
// CompareFormats those of a comparison.
package reports
