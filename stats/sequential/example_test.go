package sequential_test

import (
	"fmt"

	"lockbench/stats/sequential"
)

// A runner adds trials to each side until the decision needs no more (Next is 0).
func Example() {
	d := sequential.DefaultDesign()
	// Overhead in seconds of each trial, in the order the trials would run.
	baseline := []float64{2.01, 1.93, 2.10, 2.04, 1.98, 2.07, 1.95, 2.02, 2.00, 1.99}
	candidate := []float64{0.52, 0.47, 0.55, 0.50, 0.49, 0.51, 0.53, 0.48, 0.50, 0.52}

	var base, cand []float64
	for {
		dec, err := d.DecideTarget(base, cand, 0.65)
		if err != nil {
			fmt.Println(err)
			return
		}
		if dec.Next == 0 {
			fmt.Println(dec)
			break
		}
		base, cand = baseline[:dec.Next], candidate[:dec.Next] // run the trials the next look needs
	}
	// Output:
	// pass at look 2 of 3 (5 baseline, 5 candidate trials): reduction 74.88%, 98.98% interval [71.15%, 78.13%], target 65%; the whole interval is at or above the target: lower bound 71.15% ≥ 65%
}

// An expectation fails at the first trial that mismatches, and passes once enough trials in a
// row match to bound the mismatch rate.
func ExampleDesign_DecideExpectation() {
	d := sequential.DefaultDesign()
	e, _ := d.DecideExpectation([]bool{true, true, true, true, true}, 0.55)
	fmt.Println(e)
	e, _ = d.DecideExpectation([]bool{true, true, false}, 0.55)
	fmt.Println(e)
	// Output:
	// pass at look 2 of 3 (5 trials): all 5 trials matched: the mismatch rate is at most 52.18% at 97.5% confidence (55% required)
	// fail at look 1 of 3 (3 trials): trial 3 did not show the expected outcome
}
