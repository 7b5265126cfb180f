// Package criteria holds what a run is judged by: its targets, its expectation groups, the
// selectors that name their cells and its trial design. Package scenarios reads them from a
// scenario file, the run's manifest records them (package history), and the harness and the
// reports apply them. It depends on no stage of a run, so the record of a run does not depend
// on the scenario parser.
package criteria
