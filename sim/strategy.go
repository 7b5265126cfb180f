package sim

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"time"

	"lockbench/access"
	"lockbench/trace"
	"lockbench/vocab"
)

// validateStrategy checks the strategy against the rest of the configuration and fills the
// settings it implies: the mode when none is given, and the retry strategy's policy.
func (c *Config) validateStrategy() error {
	s, err := vocab.ParseStrategy(string(c.Strategy))
	if err != nil {
		return err
	}
	c.Strategy = s
	if s == vocab.NoStrategy {
		return nil
	}
	if c.Mode == "" {
		c.Mode = s.Mode()
	}
	if c.Mode != s.Mode() {
		return fmt.Errorf("strategy %s runs in mode %s, not %s: drop the mode or pick another strategy", s, s.Mode(), c.Mode)
	}
	switch {
	case s == vocab.Retry && c.LockRetry == nil:
		r := access.StrategyRetry
		c.LockRetry = &r
	case s != vocab.Retry && c.LockRetry != nil:
		return fmt.Errorf("strategy %s does not retry lock errors: retrying is the retry strategy (drop --lock-retry)", s)
	}
	return nil
}

// queued maps a database handle opened under the queue strategy to the release of its sidecar
// lock, which closeDB calls after the handle is closed.
var queued sync.Map // *sql.DB -> func()

// enterQueue takes the sidecar lock for the pipeline when the strategy is queue (exclusive: the
// pipeline writes), recording the time blocked as a lock-wait span. It returns a no-op otherwise.
func enterQueue(ctx context.Context, cfg *Config, rec *trace.Recorder, worker int, name string, year int) (func(), error) {
	if cfg.Strategy != vocab.Queue {
		return func() {}, nil
	}
	start := time.Now()
	leave, waited, err := access.EnterQueue(ctx, cfg.DBPath, true)
	if waited > 0 || err != nil {
		rec.Add(trace.LockWait, name, year, worker, start, err)
	}
	if err != nil {
		return nil, err
	}
	return leave, nil
}

// leaveQueue releases the sidecar lock held for db, if any.
func leaveQueue(db *sql.DB) {
	if f, ok := queued.LoadAndDelete(db); ok {
		f.(func())()
	}
}

// prepareStrategy changes the plan for the strategy before it runs: publish works on a private
// file and publishes after every year.
func prepareStrategy(p *Plan) error {
	if p.cfg.Strategy == vocab.Publish {
		return addPublishSteps(p)
	}
	return nil
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
