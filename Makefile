# lockbench — common tasks. `make test` is what CI runs (.ci/run).
GO ?= go
BIN ?= bin/lockbench

.PHONY: build test bench lint quick clean

build:
	$(GO) build -ldflags "-X lockbench/buildinfo.Commit=$$(git rev-parse --short=12 HEAD 2>/dev/null)" -o $(BIN) ./cmd/lockbench

test:
	$(GO) test ./...
	$(GO) test -race -short ./sim/... ./harness/... ./reports/trend ./watch ./access ./history ./internal/...

# Go benchmarks: the workload at 5,000 employees × 3 years in every mode and the census
# generator; 100,000 × 5 years threaded and sequential, the threaded speed-up against the
# parallelism bound, and 1,000,000 × 5 years (wall and peak memory, in its own process); the data
# check of one trial; trend over 1,000 runs; watch: one sample, its CPU at 50ms over 30 seconds,
# and how often short holds are seen.
bench:
	$(GO) test ./sim -run '^$$' -bench 'BenchmarkSim|BenchmarkCensus' -benchtime 3x
	$(GO) test ./sim -run '^$$' -bench 'BenchmarkLarge|BenchmarkParallelismAchieved' -benchtime 3x
	$(GO) test ./sim -run '^$$' -bench 'BenchmarkMillion' -benchtime 1x -timeout 30m
	$(GO) test ./sim -run '^$$' -bench 'BenchmarkInspectSmall' -benchtime 20x
	$(GO) test ./reports/trend -run '^$$' -bench 'TrendQuick1000Runs' -benchtime 3x
	$(GO) test ./watch -run '^$$' -bench 'Sample$$' -benchtime 2000x
	$(GO) test ./watch -run '^$$' -bench 'WatchCPU' -benchtime 30x
	$(GO) test ./watch -run '^$$' -bench 'ShortHolds' -benchtime 100x

lint:
	gofmt -l . | (! grep .)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# The main job on the embedded defaults: the quick pre-merge matrix.
quick:
	$(GO) run ./cmd/lockbench bench

clean:
	rm -rf bin runs
