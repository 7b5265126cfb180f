// Package scenarios defines lockbench's scenario matrices: the YAML schema, the built-in
// matrices (quick, full, locks), expansion into cells, validation with positioned errors,
// stable cell keys and seeds, filtering, sharding and the interleaved trial schedule.
//
// # Format
//
// A scenario file is decoded strictly: an unknown key, a wrong type or a bad value is an
// *Error of the form "file:line:col: what was wrong; allowed: what is accepted".
//
//	name: nightly                   # default: the file's base name
//	description: what it is for
//	workload: sim                   # or {kind: exec, command: "run.sh --mode {mode} --db {db}"}
//	root-seed: 1                    # every cell seed derives from it (default 1)
//	trials: 10                      # measured trials per cell (default 10, at most 10,000)
//	warmup: 1                       # unmeasured trials per cell, run before any measured one (default 1)
//	timeout: 2m                     # per trial (default 10m, at most 24h); an integer means seconds
//	defaults:                       # values of axes the matrix does not list
//	  threads: 4
//	  employees: 2000
//	  years: 2025-2027              # or [2025, 2026, 2027], or "2025+2027", or 2025
//	  competitor: {kind: readers, count: 3, start: delay 2s}
//	matrix:                         # the Cartesian product of these lists
//	  mode: [sequential, threaded, process-per-model]
//	  coordination: [on, off]       # YAML booleans work too
//	exclude:                        # drop combinations that have all these values
//	  - {mode: sequential, coordination: off}
//	include:                        # GitHub Actions semantics, see below
//	  - {mode: parallel-processes, threads: 4, lock-retry: on}
//	expect:                         # the last matching group decides; default ok
//	  - cells: {competitor: reader-process}
//	    outcome: lock-conflict      # or a list: [ok, lock-conflict]
//	    note: why, for reports
//	targets:
//	  - name: S031-04
//	    metric: overhead            # overhead, wall or sql
//	    baseline: {mode: process-per-model, coordination: off}
//	    candidate: {mode: threaded, coordination: on}
//	    reduction: 0.65             # 1 − median(candidate)/median(baseline) ≥ 0.65
//
// # Axes
//
// Every cell has a value for every axis (vocab.Axes, in key order): mode (Modes), threads (1–1024),
// coordination (on/off), lock-retry (on/off), strategy (Strategies), employees
// (10–10,000,000), years (2000–2100, strictly increasing), competitor (Competitors, with
// options) and seed (an integer label naming one generated data set). Values not given by the
// matrix, an include entry or defaults take the built-in defaults: threaded, 4 threads,
// coordination on, lock-retry off, strategy none, 1,000 employees, 2025-2027, competitor none,
// seed 1. In the matrix each list item is one
// value, so years: [2025-2027, 2025-2029] gives two cells while years: [2025, 2026] gives two
// single-year cells.
//
// Threads apply to threaded and parallel-processes only: sequential and process-per-model
// cells always have threads=1, and cells that become identical are merged (cells with equal
// keys run once).
//
// A strategy other than none decides how the pipeline runs: its mode (StrategyModes) and
// lock-retry (on for retry, off otherwise) replace the cell's, as threads=1 does for
// sequential. Strategies apply to the sim workload only.
//
// A competitor is a kind, or a mapping with options: count (readers: how many read-only
// processes, default 2; viewers: how many polling processes, default 3), period
// (flapping-process: one open/close cycle, holding the file for the first half, default 1s;
// viewers and second-writer: the time between two attempts, default 200ms), start ("before", the default: it holds the file before the
// trial starts; "delay 2s"; or "year 2026": when the workload begins that year, which must be
// one of the cell's years) and command (exec only, required: a template where {db} is the
// database path).
//
// Every duration (timeout, a start delay, a period) is positive and at most 24h (see
// ParseDuration); a flapping period is at least 10ms. A target's reduction is a finite number
// from -10 to below 1.
//
// # Expansion
//
// Cells are the Cartesian product of the matrix axes (the first axis varies slowest) over the
// defaults. A matrix whose product (plus one cell per include entry) exceeds MaxCells is refused
// before any cell is built. Then every exclude entry removes the combinations that have all its values (a
// bare competitor kind matches that kind with any options, as in every selector). Then
// include entries apply as in GitHub Actions: an entry is added to every original combination
// whose matrix values it does not contradict (its other values overwrite the defaults and
// earlier include values), and an entry that matches no combination adds one new cell (the
// defaults plus the entry). Include entries match only the product, never cells that earlier
// include entries added. To add a cell that differs from the product only on an axis the
// matrix does not list, list that axis in the matrix with one value. After expansion every
// expect group must select at least one cell, and each side of every target must select at
// least one cell, all of which expect ok.
//
// # Keys and seeds
//
// A cell's key names every axis in the order of vocab.Axes, as axis=value joined by "/", except
// strategy when it is none:
//
//	mode=threaded/threads=4/coordination=on/lock-retry=off/employees=5000/years=2025-2027/competitor=none/seed=1
//
// Values are canonical: coordination and lock-retry are on or off; years are "2025" for one
// year, "2025-2027" for consecutive years and "2025+2027+2030" otherwise; a competitor is its
// kind when its options are the defaults, else kind(option=value;...) with the non-default
// options in the order count, period, start, cmd, e.g. readers(count=3;start=delay-2s); an exec
// competitor shows the first 8 hex digits of its command's SHA-256 (exec(cmd=1a2b3c4d)). Keys
// contain no "/" inside values, so a key can be split on "/" and then on the first "=".
//
// A cell's seed is DeriveSeed(root, DataKey()): it depends only on the root seed and the cell's
// employees, years and seed label. Cells that differ only in how they run (mode, threads,
// coordination, lock-retry, strategy, competitor) therefore simulate the same data and must produce the
// same fingerprint, and filtering or sharding never changes any cell's seed. Seeds make the
// generated data reproducible; they do not make concurrent interleavings replay.
//
// # Filtering, sharding and scheduling
//
// Filter takes the key syntax ("mode=threaded/threads=4", alternatives "mode=threaded,sequential"),
// Shard(cells, k, n) deals cells to n shards by the hash of their keys, and Schedule orders a
// run's trials: warmups first, then measured trials in rounds shuffled by a seeded generator.
package scenarios
