// Package verdict judges lockbench's results: a target (did the candidate cut the metric by the
// required fraction?), an expectation (did every trial of the selected cells end with the
// expected outcome?) and a comparison of two runs (did a cell regress beyond the noise
// threshold?). Each judgement is one of three verdicts, pass, fail or unknown (Jepsen's three
// states), with a one-sentence reason and the evidence behind it; verdicts combine into a run
// verdict that maps onto the exit codes (pass 0, fail 1, unknown 3).
//
// The rules:
//
//   - a target passes when the whole percentile-bootstrap interval of its reduction
//     1 − median(candidate)/median(baseline) lies at or above the required reduction, fails
//     when the whole interval lies below it, and is unknown otherwise or with fewer than
//     Settings.MinTrials ok trials on a side (criterion's rule);
//   - an expectation passes when every non-warmup trial of its cells had an accepted outcome
//     (an expected lock conflict must come from a process the harness started), fails when one
//     did not or when a trial's data mismatched, and is unknown without cells or trials;
//   - a compared cell regressed (improved) when its Holm-adjusted Mann–Whitney p is below α
//     and the whole bootstrap interval of its change lies above (below) the threshold; a cell
//     whose baseline median is 0 is judged in seconds, beyond ±AbsoluteThreshold. A
//     comparison fails when a cell regressed, and is unknown when a cell has too few ok trials
//     on a side to call it unchanged.
//
// Package verdict computes no statistic itself (package stats does) and renders nothing
// (package reports does). Its inputs are plain values: the cells' ok timings per metric and
// their trials' outcomes (Cell), and the targets and expectations typed once in package
// scenarios.
package verdict
