// Package stats computes the statistics lockbench reports: the summary of a sample (median with
// its distribution-free interval, mean, spread, outliers, bimodality), percentile-bootstrap
// intervals of the ratio and the difference of two medians, the Mann–Whitney U test, Holm's
// correction, the geometric mean and Wilson's interval of a rate.
//
// It judges nothing: what counts as a pass, a regression or a met expectation is package
// verdict's, and how a figure is shown is package reports'. Like golang/perf's benchmath, it
// returns what it cannot compute as data rather than as errors: a Summary without MedianCI has
// too few values for an interval, a bootstrap that is not ok has no defined ratio.
//
// Every result is deterministic: bootstrap generators are seeded from a hash of the sorted
// values, so the same multisets give the same intervals whatever order they were loaded in.
//
// The median and its interval follow benchstat (go-moremath's Sample.Quantile and QuantileCI);
// the outlier fences are Tukey's (1.5 and 3 IQR, as criterion) and Iglewicz and Hoaglin's
// modified Z score (3.5); the bimodality coefficient is Sarle's. The sequential designs of
// package stats/sequential are a separate method with their own error guarantees.
package stats
