package repro

import (
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"

	"lockbench/harness/competitor"
	"lockbench/holders"
	"lockbench/release"
	"lockbench/sim"
)

// roleEnv makes the test binary play `lockbench hold` or `lockbench worker` when a case
// re-executes it.
const roleEnv = "LOCKBENCH_REPRO_TEST_ROLE"

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "hold":
		os.Exit(holdMain(os.Args[2:]))
	case "worker":
		os.Exit(sim.WorkerMain(context.Background(), os.Args[1:], os.Stdout))
	case "who":
		os.Exit(whoMain(os.Args[len(os.Args)-1]))
	}
	os.Exit(m.Run())
}

// holdMain is what `lockbench hold` does: hold until SIGINT/SIGTERM and report errors on
// stderr.
func holdMain(args []string) int {
	o, err := competitor.ParseHoldArgs(args)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	o.Ready = os.Stdout
	if err := competitor.Hold(ctx, o); err != nil {
		os.Stderr.WriteString("lockbench: " + err.Error() + "\n")
		return 1
	}
	return 0
}

// whoMain is what `lockbench who --json` prints: every holder holders.Inspect finds.
func whoMain(path string) int {
	hs, err := holders.Inspect(path)
	if err != nil {
		os.Stderr.WriteString("lockbench: " + err.Error() + "\n")
		return 2
	}
	if hs == nil {
		hs = []holders.Holder{}
	}
	if err := json.NewEncoder(os.Stdout).Encode(map[string]any{"db": path, "holders": hs}); err != nil {
		return 1
	}
	return 0
}

// testEnv runs holders, workers and who as this test binary, and the upgrade cases with
// lockbench binaries of each release built from this source tree (once per source version, in
// lockbench's cache).
func testEnv(t testing.TB) Env {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bins := &release.Binaries{Source: root}
	return Env{
		Dir:      t.TempDir(),
		Launcher: competitor.Launcher{Path: exe, Args: []string{"hold"}, Env: []string{roleEnv + "=hold"}},
		Worker:   &sim.WorkerCommand{Path: exe, Env: []string{roleEnv + "=worker"}},
		Who:      &Command{Path: exe, Env: []string{roleEnv + "=who"}},
		Release: func(ctx context.Context, name string) (string, error) {
			r, err := release.Lookup(name)
			if err != nil {
				return "", err
			}
			return bins.Path(ctx, r)
		},
	}
}
