package watch_test

import (
	"context"
	"fmt"
	"os"

	"lockbench/watch"
)

// The sampler records the other processes' locks on a file while something runs: here, what
// a trial runner would do around a trial, leaving out its own processes (the runner and
// everything it started). Probe stays off: a process that may have the file open must only
// read /proc.
func ExampleStart() {
	db := "trial.duckdb"
	s, err := watch.Start(context.Background(), watch.Options{
		Files: []string{db},
		Own:   watch.Descendants(os.Getpid()),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	// ... run the trial; when it ends in a lock error at time at, mark it, and the timeline
	// names the stranger that held the file then:
	//	s.Mark(at, outcome.ClassifyText(stderr))
	tl, err := s.Stop()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ln := range tl.Lanes {
		fmt.Printf("%s held %s %d times for %.2fs in all\n", ln.Label, db, len(ln.Holds), ln.HeldS)
	}
	for _, f := range tl.Failures {
		fmt.Println(watch.FormatFailure(f))
	}
}
