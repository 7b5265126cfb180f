package main

import (
	"fmt"
	"io"
	"os"

	"lockbench/buildinfo"
	"lockbench/harness"
	"lockbench/scenarios"
)

// setProvenance records in o what a trend needs to place a run: the commit under test (commit,
// else the CI's variables, else the git HEAD of the working directory) and the CI pipeline run
// (group, else the CI's variables).
func setProvenance(o *harness.Options, commit, group string) {
	wd, _ := os.Getwd()
	o.Commit, o.CommitSource = buildinfo.CommitUnderTest(commit, os.Getenv, wd)
	o.Group = group
	if o.Group == "" {
		o.Group = buildinfo.CIGroup(os.Getenv)
	}
}

// resolveShard turns --shard (K/N, auto or auto/N) into K/N from the CI's parallel-job
// variables, telling stderr where an automatic share came from.
func resolveShard(stderr io.Writer, expr string) (string, error) {
	shard, source, err := scenarios.ResolveShard(expr, os.Getenv)
	if err != nil {
		return "", err
	}
	if expr != "" && shard != expr {
		if source != "" {
			fmt.Fprintf(stderr, "lockbench: --shard %s: share %s from %s\n", expr, shard, source)
		} else {
			fmt.Fprintf(stderr, "lockbench: --shard %s: no CI parallel-job variables are set; running every cell\n", expr)
		}
	}
	return shard, nil
}
