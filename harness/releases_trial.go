package harness

import (
	"sync"

	"lockbench/buildinfo"
	"lockbench/history"
	"lockbench/vocab"
)

// competitorReleases collects, in a trial process, the DuckDB release of every competitor
// process the trial starts, for the trial's record: the release of the competitor's binary
// when the runner gave it one (TrialSpec.CompetitorDuckDB), else this process's own, which is
// what the default launchers re-execute. An exec competitor runs the user's command, whose
// DuckDB lockbench does not know: its entries name none.
type competitorReleases struct {
	spec TrialSpec

	mu  sync.Mutex
	out []history.CompetitorRelease
}

// started is competitor.Env.Started.
func (c *competitorReleases) started(_ int, role string) {
	k := c.spec.Competitor.Kind
	e := history.CompetitorRelease{Kind: string(k), Role: role}
	switch {
	case k == vocab.ExecCompetitor:
		// The user's command: its DuckDB is its own.
	case c.spec.CompetitorDuckDB != "":
		e.DuckDB, e.Driver = c.spec.CompetitorDuckDB, c.spec.CompetitorDriver
	default:
		e.DuckDB, e.Driver = buildinfo.DuckDB()
	}
	c.mu.Lock()
	c.out = append(c.out, e)
	c.mu.Unlock()
}

// list returns the entries so far.
func (c *competitorReleases) list() []history.CompetitorRelease {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]history.CompetitorRelease(nil), c.out...)
}
