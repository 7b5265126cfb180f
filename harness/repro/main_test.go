package repro

import (
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"lockbench/harness/competitor"
	"lockbench/harness/holders"
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
	if err := json.NewEncoder(os.Stdout).Encode(hs); err != nil {
		return 1
	}
	return 0
}

// testEnv runs holders, workers and who as this test binary.
func testEnv(t testing.TB) Env {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return Env{
		Dir:      t.TempDir(),
		Launcher: competitor.Launcher{Path: exe, Args: []string{"hold"}, Env: []string{roleEnv + "=hold"}},
		Worker:   &sim.WorkerCommand{Path: exe, Env: []string{roleEnv + "=worker"}},
		Who:      &Command{Path: exe, Env: []string{roleEnv + "=who"}},
	}
}
