#!/bin/sh
# viewer.sh DB: a dashboard that refreshes every 3 seconds. Each refresh opens DB read-only for
# 300ms, as a notebook or BI tool does, with `lockbench hold --read-only` (a refresh that finds
# the file held read-write fails quietly, as a dashboard's would, and tries again next time).
# Set LOCKBENCH to the lockbench binary (default ./lockbench); stop it with kill.
db=${1:?usage: viewer.sh DB}
lockbench=${LOCKBENCH:-./lockbench}
while :; do
	"$lockbench" hold --read-only --for 300ms "$db" >/dev/null 2>&1
	sleep 3
done
