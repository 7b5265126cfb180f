package harness

import (
	"context"
	"encoding/json"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"lockbench/harness/competitor"
	"lockbench/sim"
)

// roleEnv makes the test binary play one of lockbench's process roles when it re-executes
// itself: a trial, a simulation worker, a lock holder, or a whole bench run; or a process that
// waits for a lock ("waitlock", waitForLock).
const roleEnv = "LOCKBENCH_HARNESS_TEST_ROLE"

func TestMain(m *testing.M) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	switch os.Getenv(roleEnv) {
	case "trial":
		var spec TrialSpec
		if len(os.Args) != 3 || json.Unmarshal([]byte(os.Args[2]), &spec) != nil {
			os.Exit(2)
		}
		res := RunTrial(ctx, spec, testRoles())
		_ = json.NewEncoder(os.Stdout).Encode(res)
		os.Exit(0)
	case "worker":
		os.Exit(sim.WorkerMain(ctx, os.Args[1:], os.Stdout))
	case "cooperate":
		o, err := competitor.ParseCoopArgs(os.Args[1:])
		if err == nil {
			o.Out = os.Stdout
			err = competitor.Cooperate(ctx, o)
		}
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(2)
		}
		os.Exit(0)
	case "hold":
		o, err := competitor.ParseHoldArgs(os.Args[1:])
		if err == nil {
			o.Ready = os.Stdout
			err = competitor.Hold(ctx, o)
		}
		if err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	case "bench":
		os.Exit(benchRole(ctx))
	case "waitlock":
		os.Exit(waitForLock(os.Args[len(os.Args)-1]))
	}
	os.Exit(m.Run())
}

func self() string {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return exe
}

func testRoles() Roles {
	return Roles{
		Worker:     &sim.WorkerCommand{Path: self(), Env: []string{roleEnv + "=worker"}},
		Holder:     competitor.Launcher{Path: self(), Env: []string{roleEnv + "=hold"}},
		Cooperator: competitor.Launcher{Path: self(), Env: []string{roleEnv + "=cooperate"}},
	}
}

func testTrialCommand() TrialCommand {
	return TrialCommand{Path: self(), Env: []string{roleEnv + "=trial"}}
}
