// Package sequential decides lockbench targets and expectations at planned interim looks, so that
// a benchmark gate can stop as soon as the evidence is clear while keeping the chance of a wrong
// verdict, over all looks together, below a stated bound.
//
// A Design plans the looks (the number of trials per side at which the evidence is examined, for
// example 3, 5 and 10), the overall significance level α and an α-spending function. Each wrong
// verdict has probability at most α/2: a pass when the true reduction is at or below the target,
// and a fail when it is at or above it. The α/2 of each direction is shared among the looks by the
// spending function (Lan and DeMets): look k may spend S(t_k) − S(t_{k−1}), where t_k is the
// fraction of the planned trials run by look k. Because every look's test keeps its own level
// and the shares add up to α/2, the union (Bonferroni) inequality bounds the overall error,
// whatever the correlation between looks. This is conservative, never anti-conservative;
// a fixed-level interval recomputed after every trial is not valid and is not offered.
//
// A target compares a baseline and a candidate on a positive metric (seconds). The method works
// on the logarithm of each value: the estimate of the log ratio of medians is the difference of
// the mean logs (for lognormal data the geometric mean is the median), its interval is Welch's t
// interval at the look's adjusted level with min(n_baseline, n_candidate) − 1 degrees of freedom
// (which keeps the level whatever the two variances; the Welch–Satterthwaite degrees of freedom
// do not, with 3 trials a side), and the reduction is 1 − exp(log ratio). A target passes
// at a look when the lower bound of the reduction is at or above the target, and fails when the
// upper bound is below it. Look k uses the first Looks[k] values of each side, in the order the
// trials ran, so a run that holds more trials than a look needs (a resumed run, or a merged set of
// shards) is judged exactly as a run that stopped at each look would have been: the looks are
// evaluated in order and the first one that decides gives the verdict. Looks that were not
// planned are never evaluated. A shard judges only the trials it holds.
//
// An expectation (every trial of a cell must show a given outcome) fails at the first mismatch:
// a mismatch is an observed fact, not an estimate, so this direction has no statistical error.
// It passes at the first planned look at which all trials so far matched and the one-sided
// Clopper–Pearson upper bound of the mismatch rate at confidence 1 − α/2, which is
// 1 − (α/2)^(1/n) after n matching trials, is at or below the stated maximum rate. Because a pass
// needs every earlier trial to match, the looks are nested events and the chance of passing when
// the true mismatch rate is at the maximum is exactly (1 − rate)^n ≤ α/2; no spending is needed.
//
// The package is pure Go, imports no other lockbench package, and never prints. The
// repository's docs/sequential-verdicts.md explains the method, its assumptions and the error
// rates measured by this package's simulation tests.
package sequential
