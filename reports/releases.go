package reports

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"lockbench/history"
	"lockbench/release"
	"lockbench/scenarios"
	"lockbench/verdict"
	"lockbench/vocab"
)

// This file is the "DuckDB releases" section: which release each cell ran, and every pair of
// cells that differ only in their release compared the way `compare` compares two runs, with
// a check that both releases produced the same data.

// duckdbAxis is the cell axis that names a DuckDB release; storageAxis the one that pins the
// storage format a cell's file is created with.
const (
	duckdbAxis  = "duckdb"
	storageAxis = "storage-version"
)

// DefaultThreshold is the noise threshold of release comparisons when Options.Threshold is 0:
// the one `lockbench compare` uses by default.
const DefaultThreshold = 0.05

// sortReleases returns the distinct non-empty names of rs, oldest first.
func sortReleases(rs []string) []string {
	out := slices.DeleteFunc(slices.Clone(rs), func(s string) bool { return s == "" })
	slices.SortFunc(out, release.Compare)
	return slices.Compact(out)
}

// competitorParamRelease reads a release named among the options of a competitor axis value
// ("reader-process(duckdb=1.5.6)"), or "".
func competitorParamRelease(v string) string {
	_, opts, ok := strings.Cut(v, "(")
	if !ok {
		return ""
	}
	for o := range strings.SplitSeq(strings.TrimSuffix(opts, ")"), ";") {
		if k, val, ok := strings.Cut(o, "="); ok && k == duckdbAxis {
			return history.ReleaseName(val)
		}
	}
	return ""
}

// competitorKind is the kind of a competitor axis value ("readers" for "readers(count=3)").
func competitorKind(v string) string {
	k, _, _ := strings.Cut(v, "(")
	return k
}

// trialCompetitors returns the releases of a trial's competitor processes: the ones it
// recorded, else, when the cell has a competitor, one entry for it with the release its axis
// value names or, failing that, the workload's (a competitor ran the cell's release unless it
// named its own).
func trialCompetitors(t history.Trial, params map[string]string, workload string) []history.CompetitorRelease {
	v := params["competitor"]
	named := cmp.Or(competitorParamRelease(v), workload)
	if len(t.Competitors) > 0 {
		out := make([]history.CompetitorRelease, len(t.Competitors))
		for i, c := range t.Competitors {
			c.DuckDB = cmp.Or(history.ReleaseName(c.DuckDB), named)
			c.Driver = ""
			out[i] = c
		}
		return out
	}
	kind := competitorKind(v)
	if kind == "" || kind == string(vocab.NoCompetitor) {
		return nil
	}
	return []history.CompetitorRelease{{Kind: kind, DuckDB: named}}
}

// assignReleases sets every cell's DuckDB (the most frequent release of its trials' workload;
// ties go to the older) and Competitors (the distinct releases of its competitor processes).
func assignReleases(cells []*Cell, runs []history.Run) {
	byKey := make(map[string]*Cell, len(cells))
	for _, c := range cells {
		byKey[c.Key] = c
	}
	counts := map[*Cell]map[string]int{}
	for _, run := range runs {
		for _, t := range run.Trials {
			c := byKey[t.Cell]
			if c == nil {
				continue
			}
			rel := t.WorkloadRelease(run.Manifest)
			if counts[c] == nil {
				counts[c] = map[string]int{}
			}
			if rel != "" {
				counts[c][rel]++
			}
			for _, cr := range trialCompetitors(t, c.Params, rel) {
				if !slices.ContainsFunc(c.Competitors, func(x history.CompetitorRelease) bool {
					return x.Kind == cr.Kind && x.Role == cr.Role && x.DuckDB == cr.DuckDB
				}) {
					c.Competitors = append(c.Competitors, cr)
				}
			}
		}
	}
	for c, n := range counts {
		c.releases = n
		for _, rel := range sortReleases(slices.Collect(maps.Keys(n))) {
			if c.DuckDB == "" || n[rel] > n[c.DuckDB] {
				c.DuckDB = rel
			}
		}
	}
}

// withoutAxis returns key without its axis=value part for axis.
func withoutAxis(key, axis string) string {
	parts := strings.Split(key, "/")
	parts = slices.DeleteFunc(parts, func(p string) bool { return strings.HasPrefix(p, axis+"=") })
	return strings.Join(parts, "/")
}

// withAxis returns key with axis=value inserted where vocab.Axes orders it.
func withAxis(key, axis, value string) string {
	rank := func(part string) int {
		name, _, _ := strings.Cut(part, "=")
		if i := slices.Index(vocab.Axes, name); i >= 0 {
			return i
		}
		return len(vocab.Axes)
	}
	parts := strings.Split(key, "/")
	at := len(parts)
	for i, p := range parts {
		if rank(p) > rank(axis+"=") {
			at = i
			break
		}
	}
	return strings.Join(slices.Insert(parts, at, axis+"="+value), "/")
}

// labelKeys returns the keys to label the cells by: their keys, except that when some cells
// name a DuckDB release and others run the default one, the default cells' keys get the release
// they ran (so every label says its release), unless that would make two cells look alike.
func labelKeys(cells []*Cell) []string {
	keys := make([]string, len(cells))
	named, unnamed := false, false
	for i, c := range cells {
		keys[i] = c.Key
		if _, ok := vocab.ParseCellKey(c.Key)[duckdbAxis]; ok {
			named = true
		} else if c.DuckDB != "" {
			unnamed = true
		}
	}
	if !named || !unnamed {
		return keys
	}
	shown := slices.Clone(keys)
	for i, c := range cells {
		if _, ok := vocab.ParseCellKey(c.Key)[duckdbAxis]; !ok && c.DuckDB != "" {
			shown[i] = withAxis(c.Key, duckdbAxis, c.DuckDB)
		}
	}
	seen := map[string]bool{}
	for _, k := range shown {
		if seen[k] {
			return keys
		}
		seen[k] = true
	}
	return shown
}

// ReleaseComparison is the report's "DuckDB releases" section: every cell compared with its
// sibling on an older DuckDB release (the cell whose parameters differ only in the duckdb
// axis), the way `lockbench compare` compares two runs, and the fingerprints of every data set
// measured on more than one release.
type ReleaseComparison struct {
	// Releases are the releases the compared cells ran, oldest first.
	Releases []string `json:"releases"`
	// Threshold is the noise threshold (a change counts only when its whole interval lies
	// beyond ±Threshold) and AbsThreshold its absolute counterpart in seconds, as in a
	// Comparison.
	Threshold    float64 `json:"threshold"`
	AbsThreshold float64 `json:"abs_threshold"`
	// Constant holds the axis=value pairs every pair shares; each pair's Label leaves them and
	// the duckdb axis out.
	Constant string `json:"constant_axes,omitempty"`
	// Pairs compare, for every group of cells that differ only in their release, each cell with
	// the group's cell on the oldest release, in cell order. Their tests are Holm-adjusted
	// together.
	Pairs []ReleasePair `json:"pairs"`
	// GeomeanWall and GeomeanOverhead are the geometric means of the pairs' ratios (0 when there
	// is none).
	GeomeanWall     float64 `json:"geomean_wall_ratio"`
	GeomeanOverhead float64 `json:"geomean_overhead_ratio"`
	// Summary says in one sentence whether a newer release was slower beyond the threshold
	// (verdict.JudgeChanges' reason); it does not change the report's verdict, which the
	// scenario's targets decide.
	Summary string `json:"summary"`
	// Data are the data sets whose fingerprints were recorded on more than one release.
	Data []ReleaseData `json:"data"`
}

// ReleasePair compares one cell with its sibling on an older release. The embedded CellChange
// names the newer cell (Cell) and the pair (Label: the key without the duckdb axis, reduced to
// the axes that vary between pairs); Base is the older cell's key.
type ReleasePair struct {
	verdict.CellChange
	Base string `json:"base"`
	// BaseRelease and NewRelease are the releases the two cells ran.
	BaseRelease string `json:"base_release"`
	NewRelease  string `json:"new_release"`
	// Data is identical when both cells' trials recorded the same one fingerprint for each data
	// seed, differs when they did not, unknown when a side recorded none.
	Data string `json:"data"`
}

// Data statuses of a pair and of a data set.
const (
	DataIdentical = "identical"
	DataDiffers   = "differs"
	DataUnknown   = "unknown"
)

// ReleaseData is one data set (employees, years and data seed) measured on several releases:
// the fingerprints each release's trials recorded.
type ReleaseData struct {
	// Data names the data set: "employees=1000 years=2025-2027 seed=1", with the data seed
	// appended when runs of different root seeds gave one label several data seeds.
	Data string `json:"data"`
	// Status is identical (one fingerprint across every release) or differs.
	Status string `json:"status"`
	// Fingerprints are the distinct (release, fingerprint) pairs, by release then by count.
	Fingerprints []ReleaseFingerprint `json:"fingerprints"`
}

// ReleaseFingerprint is one fingerprint a release's trials recorded for a data set.
type ReleaseFingerprint struct {
	Release     string `json:"release"`
	Fingerprint string `json:"fingerprint"`
	// Trials counts the non-warmup trials that recorded it (ok, or made a mismatch by the
	// runner's own cross-check); Cells are their cell keys.
	Trials int      `json:"trials"`
	Cells  []string `json:"cells"`
}

// fingerprinted reports whether a trial's fingerprint counts: a non-warmup trial that ran to
// its end, including one the runner turned into a mismatch because its data differed from
// another cell's.
func fingerprinted(t history.Trial) bool {
	return !t.Warmup && t.Fingerprint != "" && (t.Outcome.Kind == vocab.OK || t.Outcome.Kind == vocab.Mismatch)
}

// dataSetKey identifies a trial's data: its size, years and seed label, and its data seed.
type dataSetKey struct {
	label string
	seed  int64
}

func dataSetOf(t history.Trial, params map[string]string) dataSetKey {
	return dataSetKey{label: fmt.Sprintf("employees=%s years=%s seed=%s", params["employees"], params["years"], params["seed"]), seed: t.Seed}
}

// buildReleases computes the section; nil when no two cells differ only in their release and
// no data set was fingerprinted on two releases.
func buildReleases(cells []*Cell, runs []history.Run, s verdict.Settings, threshold float64) *ReleaseComparison {
	rc := &ReleaseComparison{Threshold: threshold, AbsThreshold: verdict.AbsoluteThreshold, Pairs: []ReleasePair{}, Data: []ReleaseData{}}
	trials := trialsByCell(runs)
	groups := map[string][]*Cell{}
	var order []string
	for _, c := range cells {
		if c.DuckDB == "" {
			continue
		}
		g := withoutAxis(c.Key, duckdbAxis)
		if isMixed(c) {
			// A competitor on another release than its pipeline is an arrangement of its own
			// (see the upgrade answer), not the same cell on another release.
			g += "\x00" + competitorSignature(c)
		}
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], c)
	}
	var used []string
	for _, g := range order {
		// One cell per release: the first in cell order.
		byRel := map[string]*Cell{}
		for _, c := range groups[g] {
			if _, ok := byRel[c.DuckDB]; !ok {
				byRel[c.DuckDB] = c
			}
		}
		rels := sortReleases(slices.Collect(maps.Keys(byRel)))
		if len(rels) < 2 {
			continue
		}
		base := byRel[rels[0]]
		for _, c := range groups[g] {
			if c == base || byRel[c.DuckDB] != c {
				continue
			}
			w := verdict.CompareSamples(vocab.Wall, base.values(vocab.Wall), c.values(vocab.Wall), s)
			o := verdict.CompareSamples(vocab.Overhead, base.values(vocab.Overhead), c.values(vocab.Overhead), s)
			rc.Pairs = append(rc.Pairs, ReleasePair{
				CellChange: verdict.CellChange{Cell: c.Key, Wall: &w, Overhead: &o},
				Base:       base.Key, BaseRelease: base.DuckDB, NewRelease: c.DuckDB,
				Data: pairData(trials[base.Key], trials[c.Key]),
			})
			used = append(used, base.DuckDB, c.DuckDB)
		}
	}
	rc.Data = releaseData(cells, trials)
	for _, d := range rc.Data {
		for _, f := range d.Fingerprints {
			used = append(used, f.Release)
		}
	}
	if len(rc.Pairs) == 0 && len(rc.Data) == 0 {
		return nil
	}
	rc.Releases = sortReleases(used)
	var ds []*verdict.Delta
	var keys []string
	for i := range rc.Pairs {
		ds = append(ds, rc.Pairs[i].Wall, rc.Pairs[i].Overhead)
		keys = append(keys, withoutAxis(rc.Pairs[i].Cell, duckdbAxis))
	}
	verdict.ApplyHolm(ds, s.Alpha)
	labels, constant := scenarios.Labels(keys)
	rc.Constant = constant
	changes := make([]verdict.CellChange, len(rc.Pairs))
	var wr, or []float64
	for i := range rc.Pairs {
		p := &rc.Pairs[i]
		p.Label = labels[keys[i]]
		if p.Label == "" {
			p.Label = strings.ReplaceAll(keys[i], "/", " ")
		}
		changes[i] = p.CellChange
		if p.Wall.Ratio > 0 {
			wr = append(wr, p.Wall.Ratio)
		}
		if p.Overhead.Ratio > 0 {
			or = append(or, p.Overhead.Ratio)
		}
	}
	if len(changes) > 0 {
		_, rc.Summary = verdict.JudgeChanges(changes, threshold)
		for i := range rc.Pairs {
			rc.Pairs[i].WallClass, rc.Pairs[i].OverheadClass = changes[i].WallClass, changes[i].OverheadClass
		}
	}
	rc.GeomeanWall, rc.GeomeanOverhead = geoOrZero(wr), geoOrZero(or)
	return rc
}

// isMixed reports whether a competitor of the cell ran another release than its workload.
func isMixed(c *Cell) bool {
	return slices.ContainsFunc(c.Competitors, func(cr history.CompetitorRelease) bool {
		return cr.DuckDB != "" && c.DuckDB != "" && cr.DuckDB != c.DuckDB
	})
}

// competitorSignature lists the cell's competitors with their releases: two mixed cells that
// differ only in the pipeline's release are the same arrangement when their competitors ran the
// same releases.
func competitorSignature(c *Cell) string {
	parts := make([]string, len(c.Competitors))
	for i, cr := range c.Competitors {
		parts[i] = cr.Kind + "@" + cr.DuckDB
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// trialsByCell returns every run's trials by cell key, in canonical run order.
func trialsByCell(runs []history.Run) map[string][]history.Trial {
	out := map[string][]history.Trial{}
	for _, run := range runs {
		for _, t := range run.Trials {
			out[t.Cell] = append(out[t.Cell], t)
		}
	}
	return out
}

// pairData compares the fingerprints of two cells' trials, data seed by data seed.
func pairData(base, next []history.Trial) string {
	fps := func(ts []history.Trial) map[int64]map[string]bool {
		out := map[int64]map[string]bool{}
		for _, t := range ts {
			if fingerprinted(t) {
				if out[t.Seed] == nil {
					out[t.Seed] = map[string]bool{}
				}
				out[t.Seed][t.Fingerprint] = true
			}
		}
		return out
	}
	b, n := fps(base), fps(next)
	compared := false
	for seed, bs := range b {
		ns, ok := n[seed]
		if !ok {
			continue
		}
		compared = true
		all := maps.Clone(bs)
		maps.Copy(all, ns)
		if len(all) > 1 {
			return DataDiffers
		}
	}
	if !compared {
		return DataUnknown
	}
	return DataIdentical
}

// releaseData groups every cell's fingerprinted trials by data set and release, and returns
// the data sets that more than one release fingerprinted, in the order of their first cell.
func releaseData(cells []*Cell, trials map[string][]history.Trial) []ReleaseData {
	var order []dataSetKey
	byData := map[dataSetKey][]*ReleaseFingerprint{}
	for _, c := range cells {
		if c.DuckDB == "" {
			continue
		}
		for _, t := range trials[c.Key] {
			if !fingerprinted(t) {
				continue
			}
			k := dataSetOf(t, c.Params)
			if _, ok := byData[k]; !ok {
				order = append(order, k)
			}
			i := slices.IndexFunc(byData[k], func(f *ReleaseFingerprint) bool {
				return f.Release == c.DuckDB && f.Fingerprint == t.Fingerprint
			})
			if i < 0 {
				byData[k] = append(byData[k], &ReleaseFingerprint{Release: c.DuckDB, Fingerprint: t.Fingerprint})
				i = len(byData[k]) - 1
			}
			f := byData[k][i]
			f.Trials++
			if !slices.Contains(f.Cells, c.Key) {
				f.Cells = append(f.Cells, c.Key)
			}
		}
	}
	labels := map[string]int{}
	for _, k := range order {
		labels[k.label]++
	}
	var out []ReleaseData
	for _, k := range order {
		fs := byData[k]
		rels, distinct := map[string]bool{}, map[string]bool{}
		for _, f := range fs {
			rels[f.Release], distinct[f.Fingerprint] = true, true
		}
		if len(rels) < 2 {
			continue
		}
		d := ReleaseData{Data: k.label, Status: DataIdentical}
		if labels[k.label] > 1 {
			d.Data += fmt.Sprintf(" (data seed %d)", k.seed)
		}
		if len(distinct) > 1 {
			d.Status = DataDiffers
		}
		slices.SortStableFunc(fs, func(a, b *ReleaseFingerprint) int {
			return cmp.Or(release.Compare(a.Release, b.Release), cmp.Compare(b.Trials, a.Trials), strings.Compare(a.Fingerprint, b.Fingerprint))
		})
		for _, f := range fs {
			d.Fingerprints = append(d.Fingerprints, *f)
		}
		out = append(out, d)
	}
	return out
}

// releaseWarnings returns a loud report-wide warning for every data set whose releases
// disagree.
func releaseWarnings(rc *ReleaseComparison) []Warning {
	if rc == nil {
		return nil
	}
	var ws []Warning
	for _, d := range rc.Data {
		if d.Status == DataDiffers {
			ws = append(ws, Warning{Code: "release-data", Message: "DATA DIFFERS ACROSS DUCKDB RELEASES: " + dataDiffText(d)})
		}
	}
	return ws
}

// dataDiffText says which release gave which fingerprint of a data set.
func dataDiffText(d ReleaseData) string {
	parts := make([]string, len(d.Fingerprints))
	for i, f := range d.Fingerprints {
		parts[i] = fmt.Sprintf("%s gave %s (%d %s)", f.Release, f.Fingerprint, f.Trials, plural(f.Trials, "trial", "trials"))
	}
	return d.Data + ": " + strings.Join(parts, ", ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
