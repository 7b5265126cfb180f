package reports

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"lockbench/history"
	"lockbench/outcome"
	"lockbench/release"
	"lockbench/verdict"
	"lockbench/vocab"
)

// This file is the report's upgrade answer: when a run's cells ran more than one DuckDB
// release, what a team moving from the oldest to the newest needs to know, derived from the
// figures of the report and nothing else: whether the data is identical, the speed change,
// which mixed arrangements (a competitor on another release than the pipeline) worked, and the
// order to upgrade in that follows from which of them failed.

// Upgrade is the upgrade answer.
type Upgrade struct {
	// Releases are every release the cells' workloads and competitors ran, oldest first; From
	// is the oldest and To the newest.
	Releases []string `json:"releases"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	// Data is identical when every data set fingerprinted on several releases has one
	// fingerprint, differs when one has several, unknown when no data set was fingerprinted on
	// two releases. DataLine says it in words.
	Data     string `json:"data"`
	DataLine string `json:"data_line"`
	// Speed are the wall-time changes of the release pairs of the "DuckDB releases" section,
	// threaded cells first. SpeedLine introduces them (or says there is none).
	Speed     []UpgradeSpeed `json:"speed"`
	SpeedLine string         `json:"speed_line"`
	// Mixed are the arrangements in which a competitor ran another release than the pipeline
	// whose file it opened, in cell order.
	Mixed []Arrangement `json:"mixed"`
	// Pin is what the cells that pinned their file's storage format showed; nil without one.
	Pin *Pin `json:"pin,omitempty"`
	// Order is the order to upgrade in, derived from which mixed arrangements failed because a
	// release could not read the file's format.
	Order string `json:"order"`
}

// UpgradeSpeed is one release pair's change of median wall time.
type UpgradeSpeed struct {
	// Label names the pair (its cells' key without the duckdb axis, as in the releases
	// section); Base and Cell are the older and the newer cell's keys.
	Label string `json:"label"`
	Base  string `json:"base"`
	Cell  string `json:"cell"`
	// From and To are the older and the newer release.
	From string `json:"from"`
	To   string `json:"to"`
	// Wall is the newer release's wall time against the older's; Class its change class
	// (improved, regressed, "~" or "?").
	Wall  verdict.Delta `json:"wall"`
	Class string        `json:"class"`
	// Line says it in words.
	Line string `json:"line"`
}

// Arrangement is one cell in which a competitor ran another DuckDB release than the pipeline:
// a fleet in the middle of an upgrade.
type Arrangement struct {
	// Cell and Label name the cell.
	Cell  string `json:"cell"`
	Label string `json:"label"`
	// Workload is the pipeline's release, which created and wrote the file; Competitor the
	// competitor's kind and CompetitorDuckDB its release; Older is true when the competitor's
	// release is the older one.
	Workload         string `json:"workload"`
	Competitor       string `json:"competitor"`
	CompetitorDuckDB string `json:"competitor_duckdb"`
	Older            bool   `json:"older"`
	// Pinned is the storage format the cell pinned its file to ("v1.5.0"), "" when it did not;
	// Storage is the storage version its files had at the trials' end (the most frequent; 0
	// when none was read).
	Pinned  string `json:"pinned,omitempty"`
	Storage int    `json:"storage,omitempty"`
	// Trials counts the non-warmup trials; Results counts them by result: the trial's outcome
	// ("ok", "lock-conflict database"), or "storage-format too-new" when a process of the
	// trial could not read the file's format, whichever process it was.
	Trials  int           `json:"trials"`
	Results []ResultCount `json:"results"`
	// FormatFailures counts the trials with a storage-format failure; Held those whose
	// pipeline met the competitor's lock: the competitor opened the file and held it, which is
	// how a holding competitor (reader-process, writer-process, ...) shows that it could.
	FormatFailures int `json:"format_failures"`
	Held           int `json:"held,omitempty"`
	// Served is, for cooperating competitors (viewers, a second writer), how many of their
	// attempts worked while the pipeline ran; nil for others.
	Served *ServedCount `json:"served,omitempty"`
	// Worked is true when no process failed on the file's format and every trial was ok or
	// met the competitor's lock (Held).
	Worked bool `json:"worked"`
	// Line says it in words.
	Line string `json:"line"`
}

// ResultCount is how many trials had one result.
type ResultCount struct {
	Result string `json:"result"`
	Count  int    `json:"count"`
}

// ServedCount is how many of a cooperating competitor's attempts worked.
type ServedCount struct {
	OK       int `json:"ok"`
	Attempts int `json:"attempts"`
}

// Pin is what the cells that pinned their file's storage format (storage_compatibility_version)
// on a newer release showed.
type Pin struct {
	// Version is the pinned storage_compatibility_version ("v1.5.0"); Release the pipeline's
	// release; Cells the pinned cells' keys.
	Version string   `json:"version"`
	Release string   `json:"release"`
	Cells   []string `json:"cells"`
	// Trials and OK count the pinned cells' non-warmup trials and those that were ok with no
	// process failing on the format; Storage is the storage versions their files had.
	Trials  int   `json:"trials"`
	OK      int   `json:"ok"`
	Storage []int `json:"storage,omitempty"`
	// ReadableBy are the older releases of the run that read every pinned file's format, by
	// what lockbench knows of each release; Read are the older releases whose competitors
	// opened a pinned file and worked.
	ReadableBy []string `json:"readable_by,omitempty"`
	Read       []string `json:"read,omitempty"`
	// Works is true when every pinned trial was ok and every older release of the run reads
	// the pinned files (by their storage version, or because a competitor of that release did).
	Works bool `json:"works"`
	// Line says it in words.
	Line string `json:"line"`
}

// buildUpgrade derives the answer; nil when the cells' workloads and competitors ran fewer than
// two releases.
func buildUpgrade(cells []*Cell, runs []history.Run, rc *ReleaseComparison, s verdict.Settings, threshold float64) *Upgrade {
	var all []string
	for _, c := range cells {
		all = append(all, c.DuckDB)
		for _, cr := range c.Competitors {
			all = append(all, cr.DuckDB)
		}
	}
	rels := sortReleases(all)
	if len(rels) < 2 {
		return nil
	}
	u := &Upgrade{Releases: rels, From: rels[0], To: rels[len(rels)-1], Speed: []UpgradeSpeed{}, Mixed: []Arrangement{}}
	u.Data, u.DataLine = upgradeData(rc)
	u.Speed, u.SpeedLine = upgradeSpeed(rc, s, threshold)
	trials := trialsByCell(runs)
	// One arrangement per pipeline release, competitor kind and release, and pinned format:
	// the cells that differ only in mode or threads add their trials to it.
	type group struct {
		c      *Cell
		cr     history.CompetitorRelease
		trials []history.Trial
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, c := range cells {
		for _, cr := range c.Competitors {
			if cr.DuckDB == "" || c.DuckDB == "" || cr.DuckDB == c.DuckDB {
				continue
			}
			k := strings.Join([]string{c.DuckDB, cr.Kind, cr.DuckDB, pinnedVersion(c)}, "\x00")
			g := byKey[k]
			if g == nil {
				g = &group{c: c, cr: cr}
				byKey[k] = g
				groups = append(groups, g)
			}
			g.trials = append(g.trials, trials[c.Key]...)
		}
	}
	for _, g := range groups {
		u.Mixed = append(u.Mixed, arrangement(g.c, g.cr, g.trials))
	}
	u.Pin = pinOf(cells, trials, u.Mixed, rels)
	u.Order = upgradeOrder(u.Mixed, u.Pin)
	return u
}

// upgradeData sums up the releases section's data sets.
func upgradeData(rc *ReleaseComparison) (string, string) {
	if rc == nil || len(rc.Data) == 0 {
		return DataUnknown, "Data: unknown: no data set was fingerprinted on two releases (an exec workload records no fingerprint)."
	}
	var differ []string
	trials := 0
	var rels []string
	for _, d := range rc.Data {
		for _, f := range d.Fingerprints {
			trials += f.Trials
			rels = append(rels, f.Release)
		}
		if d.Status == DataDiffers {
			differ = append(differ, dataDiffText(d))
		}
	}
	if len(differ) > 0 {
		return DataDiffers, fmt.Sprintf("Data: DIFFERS across releases: %s. Find out why before upgrading.", strings.Join(differ, "; "))
	}
	return DataIdentical, fmt.Sprintf("Data: identical: DuckDB %s gave one and the same fingerprint for every data set measured on more than one release (%d data %s, %d %s).",
		joinAnd(sortReleases(rels)), len(rc.Data), plural(len(rc.Data), "set", "sets"), trials, plural(trials, "trial", "trials"))
}

// upgradeSpeed lists the wall change of every release pair, threaded cells first.
func upgradeSpeed(rc *ReleaseComparison, s verdict.Settings, threshold float64) ([]UpgradeSpeed, string) {
	out := []UpgradeSpeed{}
	if rc == nil || len(rc.Pairs) == 0 {
		return out, "Speed: no two cells differ only in their release, so there is no speed comparison."
	}
	for _, p := range rc.Pairs {
		sp := UpgradeSpeed{Label: p.Label, Base: p.Base, Cell: p.Cell, From: p.BaseRelease, To: p.NewRelease, Wall: *p.Wall, Class: p.WallClass}
		sp.Line = fmt.Sprintf("%s: %s against %s: %s", p.Label, p.NewRelease, p.BaseRelease, speedWords(sp.Wall, sp.Class, threshold))
		out = append(out, sp)
	}
	threaded := func(sp UpgradeSpeed) bool {
		return vocab.ParseCellKey(sp.Cell)["mode"] == string(vocab.Threaded)
	}
	slices.SortStableFunc(out, func(a, b UpgradeSpeed) int {
		switch ta, tb := threaded(a), threaded(b); {
		case ta && !tb:
			return -1
		case tb && !ta:
			return 1
		}
		return 0
	})
	return out, fmt.Sprintf("Speed (median wall of the newer release against the older, %.0f%% bootstrap CI, Mann–Whitney U Holm-adjusted, a change counts beyond ±%s):",
		100*s.Confidence, pct(threshold))
}

// speedWords says what a wall delta of class means: faster, slower, no clear change, or too
// few trials.
func speedWords(d verdict.Delta, class string, threshold float64) string {
	if d.BaseN == 0 || d.NewN == 0 {
		return fmt.Sprintf("no ok trials on one side (n=%d+%d)", d.BaseN, d.NewN)
	}
	figure := changeFigure(d)
	p := pText(d.PAdj, d.BaseN, d.NewN)
	switch class {
	case verdict.ChangeImproved:
		return fmt.Sprintf("faster, %s (%s)", figure, p)
	case verdict.ChangeRegressed:
		return fmt.Sprintf("slower, %s (%s)", figure, p)
	case verdict.ChangeUnknown:
		return fmt.Sprintf("too few ok trials to tell, %s (%s)", figure, p)
	}
	if ci := d.ChangeCI; ci != nil && ci.Lo >= -threshold && ci.Hi <= threshold {
		return fmt.Sprintf("no change beyond ±%s, %s (%s)", pct(threshold), figure, p)
	}
	return fmt.Sprintf("no significant change, %s (%s)", figure, p)
}

// changeFigure is a delta's change with its interval ("−8.1% [−12.0%, −3.9%]", or in seconds
// where the baseline median is 0).
func changeFigure(d verdict.Delta) string {
	switch {
	case d.Absolute():
		return fmt.Sprintf("%s [%s, %s]", signedSecs(d.Diff), signedSecs(d.DiffCI.Lo), signedSecs(d.DiffCI.Hi))
	case d.Ratio == 0:
		return "no ratio"
	}
	return fmt.Sprintf("%s %s", signedPct(d.Change), ciText(d.ChangeCI))
}

// formatFailure returns the storage-format outcome of a process of the trial that could not
// read the file's format, if any: the trial's own outcome, a competitor's failure its outcome
// or note names, or a cooperating competitor's first error.
func formatFailure(t history.Trial) (outcome.Outcome, bool) {
	if t.Outcome.Kind == vocab.StorageFormat {
		return t.Outcome, true
	}
	texts := []string{t.Note}
	if t.Outcome.Kind != vocab.OK {
		texts = append(texts, t.Outcome.Message)
	}
	if co := t.Cooperation; co != nil {
		for _, p := range []*history.Participants{co.Viewers, co.Writer} {
			if p != nil {
				texts = append(texts, p.FirstError)
			}
		}
	}
	for _, m := range texts {
		if m == "" {
			continue
		}
		if o := outcome.ClassifyText(m); o.Kind == vocab.StorageFormat {
			return o, true
		}
	}
	return outcome.Outcome{}, false
}

// trialResult is a trial's result as an arrangement counts it.
func trialResult(t history.Trial) (string, bool) {
	if o, ok := formatFailure(t); ok {
		return strings.TrimSpace(string(vocab.StorageFormat) + " " + string(o.Sub)), true
	}
	return strings.TrimSpace(string(t.Outcome.Kind) + " " + string(t.Outcome.Sub)), false
}

// arrangement sums up the trials of cell c whose competitor cr ran another release.
func arrangement(c *Cell, cr history.CompetitorRelease, trials []history.Trial) Arrangement {
	a := Arrangement{Cell: c.Key, Label: c.Label, Workload: c.DuckDB, Competitor: cr.Kind, CompetitorDuckDB: cr.DuckDB,
		Older: release.Compare(cr.DuckDB, c.DuckDB) < 0, Pinned: pinnedVersion(c)}
	counts := map[string]int{}
	storage := map[int]int{}
	var served *ServedCount
	for _, t := range trials {
		if t.Warmup {
			continue
		}
		a.Trials++
		r, format := trialResult(t)
		counts[r]++
		if format {
			a.FormatFailures++
		} else if competitorHeld(t) {
			a.Held++
		}
		if t.StorageVersion > 0 {
			storage[t.StorageVersion]++
		}
		if p := participantsOf(t, cr.Kind); p != nil {
			if served == nil {
				served = &ServedCount{}
			}
			served.OK += p.Successes
			served.Attempts += p.Attempts
		}
	}
	a.Served = served
	for _, sv := range slices.Sorted(maps.Keys(storage)) {
		if a.Storage == 0 || storage[sv] > storage[a.Storage] {
			a.Storage = sv
		}
	}
	for _, r := range slices.Sorted(maps.Keys(counts)) {
		a.Results = append(a.Results, ResultCount{Result: r, Count: counts[r]})
	}
	slices.SortStableFunc(a.Results, func(x, y ResultCount) int { return cmp.Compare(y.Count, x.Count) })
	a.Worked = a.Trials > 0 && a.FormatFailures == 0 && counts[string(vocab.OK)]+a.Held == a.Trials
	a.Line = arrangementLine(a)
	return a
}

// competitorHeld reports whether the trial's pipeline met a lock that DuckDB names a
// competitor as holding: the competitor could open the file.
func competitorHeld(t history.Trial) bool {
	return t.Outcome.Kind == vocab.LockConflict && t.Outcome.HolderRole == vocab.RoleCompetitor
}

// participantsOf returns the figures of a trial's cooperating competitor of kind, or nil.
func participantsOf(t history.Trial, kind string) *history.Participants {
	if t.Cooperation == nil {
		return nil
	}
	switch vocab.CompetitorKind(kind) {
	case vocab.Viewers:
		return t.Cooperation.Viewers
	case vocab.SecondWriter:
		return t.Cooperation.Writer
	}
	return nil
}

// pinnedVersion is the storage format a cell pinned its file to, or "".
func pinnedVersion(c *Cell) string {
	v := c.Params[storageAxis]
	if v == vocab.DefaultValue {
		return ""
	}
	return v
}

// resultsText is "storage-format too-new 5/5, ok 1/5".
func resultsText(rs []ResultCount, n int) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%s %d/%d", r.Result, r.Count, n)
	}
	return strings.Join(parts, ", ")
}

// fileText describes the file an arrangement's competitor opened: "a 2.0.0 file pinned to
// v1.5.0 (storage 68)".
func fileText(a Arrangement) string {
	s := "a " + a.Workload + " file"
	if a.Pinned != "" {
		s += " pinned to " + a.Pinned
	}
	if a.Storage > 0 {
		s += fmt.Sprintf(" (storage %d)", a.Storage)
	}
	return s
}

func arrangementLine(a Arrangement) string {
	s := fmt.Sprintf("%s %s of %s: ", a.CompetitorDuckDB, a.Competitor, fileText(a))
	if a.Trials == 0 {
		return s + "no trials"
	}
	s += resultsText(a.Results, a.Trials)
	if a.Served != nil {
		s += fmt.Sprintf("; its attempts worked %d/%d", a.Served.OK, a.Served.Attempts)
	}
	switch {
	case a.Worked && a.Held > 0:
		return s + ": works (the competitor opened the file and held it; the pipeline met its lock, as between two processes of one release)"
	case a.Worked:
		return s + ": works"
	case a.FormatFailures > 0:
		return s + ": fails (the format)"
	}
	return s + ": fails (not a storage-format failure)"
}

// pinOf sums up the cells that pinned their file's format on a release newer than the oldest;
// nil when there is none.
func pinOf(cells []*Cell, trials map[string][]history.Trial, mixed []Arrangement, rels []string) *Pin {
	var p *Pin
	storage := map[int]bool{}
	for _, c := range cells {
		v := pinnedVersion(c)
		if v == "" || c.DuckDB == "" || c.DuckDB == rels[0] {
			continue
		}
		if p == nil {
			p = &Pin{Version: v, Release: c.DuckDB}
		}
		if v != p.Version || c.DuckDB != p.Release {
			continue // one pin at a time: the first in cell order
		}
		p.Cells = append(p.Cells, c.Key)
		for _, t := range trials[c.Key] {
			if t.Warmup {
				continue
			}
			p.Trials++
			if _, format := formatFailure(t); !format && (t.Outcome.Kind == vocab.OK || competitorHeld(t)) {
				p.OK++
			}
			if t.StorageVersion > 0 {
				storage[t.StorageVersion] = true
			}
		}
	}
	if p == nil {
		return nil
	}
	p.Storage = slices.Sorted(maps.Keys(storage))
	var older []string
	for _, r := range rels {
		if release.Compare(r, p.Release) < 0 {
			older = append(older, r)
		}
	}
	failedRead := map[string]bool{}
	for _, a := range mixed {
		if a.Pinned == p.Version && a.Workload == p.Release && a.Older {
			if a.Worked && !slices.Contains(p.Read, a.CompetitorDuckDB) {
				p.Read = append(p.Read, a.CompetitorDuckDB)
			}
			if !a.Worked {
				failedRead[a.CompetitorDuckDB] = true
			}
		}
	}
	for _, r := range older {
		rel, ok := release.ByVersion(r)
		if !ok || len(p.Storage) == 0 {
			continue
		}
		reads := true
		for _, sv := range p.Storage {
			reads = reads && rel.CanRead(sv)
		}
		if reads {
			p.ReadableBy = append(p.ReadableBy, r)
		}
	}
	p.Works = p.Trials > 0 && p.OK == p.Trials && len(failedRead) == 0
	for _, r := range older {
		p.Works = p.Works && (slices.Contains(p.ReadableBy, r) || slices.Contains(p.Read, r))
	}
	p.Line = pinLine(p, older)
	return p
}

func pinLine(p *Pin, older []string) string {
	s := fmt.Sprintf("Pinning storage_compatibility_version=%s on %s: worked %d/%d", p.Version, p.Release, p.OK, p.Trials)
	if len(p.Storage) > 0 {
		sv := make([]string, len(p.Storage))
		for i, v := range p.Storage {
			sv[i] = fmt.Sprint(v)
		}
		s += fmt.Sprintf(", files at storage %s", strings.Join(sv, ", "))
		if len(p.ReadableBy) > 0 {
			s += fmt.Sprintf(", which %s %s", joinAnd(p.ReadableBy), plural(len(p.ReadableBy), "reads", "read"))
		}
	}
	if len(p.Read) > 0 {
		s += fmt.Sprintf("; %s %s opened them and worked", plural(len(p.Read), "a ", "")+joinAnd(p.Read), plural(len(p.Read), "competitor", "competitors"))
	}
	if p.Works {
		return s + ": the pin works for " + joinAnd(older) + "."
	}
	return s + ": the pin does not make the files work for " + joinAnd(older) + "."
}

// roleWord names the processes of a competitor kind the way the order is written.
func roleWord(kind string) string {
	switch vocab.CompetitorKind(kind) {
	case vocab.ReaderProcess, vocab.Readers:
		return "readers"
	case vocab.Viewers:
		return "viewers"
	case vocab.SecondWriter, vocab.WriterProcess, vocab.InProcessWriter:
		return "second writers"
	}
	return kind + " competitors"
}

// upgradeOrder derives the order to upgrade in from the unpinned mixed arrangements: those in
// which an older release opened a newer release's file and those the other way round, and
// which of them failed on the file's format.
func upgradeOrder(mixed []Arrangement, pin *Pin) string {
	var oldOnNew, newOnOld []Arrangement
	for _, a := range mixed {
		if a.Pinned != "" {
			continue
		}
		if a.Older {
			oldOnNew = append(oldOnNew, a)
		} else {
			newOnOld = append(newOnOld, a)
		}
	}
	if len(oldOnNew)+len(newOnOld) == 0 {
		if pin != nil && pin.Works {
			return fmt.Sprintf("No unpinned mixed arrangement was measured; %s", lowerFirst(pin.Line))
		}
		return "No mixed arrangement (a competitor on another release than the pipeline) was measured, so no order to upgrade in follows from these runs."
	}
	failed := func(as []Arrangement) (fmtFail, other []Arrangement) {
		for _, a := range as {
			switch {
			case a.FormatFailures > 0:
				fmtFail = append(fmtFail, a)
			case !a.Worked:
				other = append(other, a)
			}
		}
		return fmtFail, other
	}
	oldFmt, oldOther := failed(oldOnNew)
	newFmt, newOther := failed(newOnOld)
	pinClause := ""
	if pin != nil && pin.Works {
		pinClause = fmt.Sprintf(" Or pin storage_compatibility_version=%s on %s until the last %s process moves (%s).",
			pin.Version, pin.Release, joinAnd(pin.ReadableByOrRead()), pinEvidence(pin))
	}
	var s string
	switch {
	case len(oldFmt) > 0 && len(newFmt) == 0:
		s = fmt.Sprintf("Upgrade the %s before the writer that creates the file: %s.", joinAnd(roles(oldFmt)), arrangementsText(oldFmt))
		switch {
		case len(newOnOld) == 0:
			s += " The other way round (a newer release opening an older release's file) was not measured."
		case len(newOther) == 0:
			s += fmt.Sprintf(" The other way round works: %s.", arrangementsText(newOnOld))
		}
		s += pinClause
	case len(newFmt) > 0 && len(oldFmt) == 0:
		s = fmt.Sprintf("Upgrade the writer that creates the file first: %s.", arrangementsText(newFmt))
		if len(oldOnNew) > 0 && len(oldOther) == 0 {
			s += fmt.Sprintf(" The other way round works: %s.", arrangementsText(oldOnNew))
		}
	case len(oldFmt) > 0 && len(newFmt) > 0:
		s = fmt.Sprintf("No mixed arrangement works across the format: %s; %s. Move every process that opens the file at once.",
			arrangementsText(oldFmt), arrangementsText(newFmt)) + pinClause
	default:
		s = fmt.Sprintf("Any order: every mixed arrangement measured opened the file across releases (%s).", arrangementsText(slices.Concat(oldOnNew, newOnOld)))
	}
	if other := slices.Concat(oldOther, newOther); len(other) > 0 {
		s += fmt.Sprintf(" %s failed for another reason than the format, which says nothing about the order: %s.",
			capFirst(plural(len(other), "one arrangement", fmt.Sprintf("%d arrangements", len(other)))), arrangementsText(other))
	}
	return s
}

// ReadableByOrRead returns the older releases the pin was shown to work for.
func (p *Pin) ReadableByOrRead() []string {
	return sortReleases(slices.Concat(p.ReadableBy, p.Read))
}

// pinEvidence is the pinned cells' figures in brief.
func pinEvidence(p *Pin) string {
	s := fmt.Sprintf("pinned: worked %d/%d", p.OK, p.Trials)
	if len(p.Storage) > 0 {
		s += fmt.Sprintf(", storage %d", p.Storage[len(p.Storage)-1])
	}
	if len(p.Read) > 0 {
		s += ", read by " + joinAnd(p.Read)
	}
	return s
}

// roles names the processes of arrangements, without repeats.
func roles(as []Arrangement) []string {
	var out []string
	for _, a := range as {
		if w := roleWord(a.Competitor); !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// arrangementsText lists arrangements in brief: "1.5.6 reader-process of a 2.0.0 file: storage-format
// too-new 5/5".
func arrangementsText(as []Arrangement) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = fmt.Sprintf("%s %s of a %s file: %s", a.CompetitorDuckDB, a.Competitor, a.Workload, resultsText(a.Results, a.Trials))
	}
	return strings.Join(parts, "; ")
}

// joinAnd joins words as "a", "a and b", "a, b and c".
func joinAnd(ws []string) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return ws[0]
	}
	return strings.Join(ws[:len(ws)-1], ", ") + " and " + ws[len(ws)-1]
}

func capFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
