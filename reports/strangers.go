package reports

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"lockbench/history"
)

// strangerWarning is the code of the warning that names a process lockbench did not start that
// held (or waited for) a trial's database file during a watched run (bench --watch).
const strangerWarning = "stranger"

// maxStrangerPIDs is how many PIDs a stranger warning lists.
const maxStrangerPIDs = 3

// addStrangerWarnings adds to each cell one warning per stranger program (the same executable
// and command line, whatever its PIDs) that its watched trials recorded: in how many of them it
// held or waited for the file, and in how many the trial's lock error named it. Trials that were
// not watched count for nothing.
func addStrangerWarnings(cells []*Cell, runs []history.Run) {
	type group struct {
		who        string
		pids       []int
		trials     int
		named      int
		held, wait bool
		outside    bool
		first      int // order of first appearance
	}
	for _, c := range cells {
		watched := 0
		groups := map[string]*group{}
		for _, r := range runs {
			for _, t := range r.Trials {
				if t.Cell != c.Key || t.Watch == nil {
					continue
				}
				watched++
				named := map[*group]bool{} // the groups of this trial: whether its lock error named them
				for _, s := range t.Watch.Strangers {
					k, who := strangerProgram(s)
					g := groups[k]
					if g == nil {
						g = &group{who: who, outside: s.OutsideNamespace, first: len(groups)}
						groups[k] = g
					}
					if !slices.Contains(g.pids, s.PID) {
						g.pids = append(g.pids, s.PID)
					}
					g.held = g.held || !s.Waiting
					g.wait = g.wait || s.Waiting
					named[g] = named[g] || s.Named
				}
				for g, n := range named {
					g.trials++
					if n {
						g.named++
					}
				}
			}
		}
		var gs []*group
		for _, g := range groups {
			gs = append(gs, g)
		}
		slices.SortFunc(gs, func(a, b *group) int { return cmp.Or(cmp.Compare(b.trials, a.trials), cmp.Compare(a.first, b.first)) })
		for _, g := range gs {
			verb := "held"
			switch {
			case g.held && g.wait:
				verb = "held or waited for"
			case g.wait:
				verb = "waited for the lock of"
			}
			var who string
			switch {
			case g.outside:
				who = ", in another PID namespace (a container: run lockbench watch on the host to name it)"
			case g.who == "":
				who = " (" + pidList(g.pids) + ", gone before it could be named)"
			default:
				who = ", " + g.who + " (" + pidList(g.pids) + ")"
			}
			msg := fmt.Sprintf("a process lockbench did not start%s, %s the trial's database file during %d of %d watched trials",
				who, verb, g.trials, watched)
			if g.named > 0 {
				msg += fmt.Sprintf("; the lock error of %d named it", g.named)
			}
			c.Warnings = append(c.Warnings, Warning{Cell: c.Key, Code: strangerWarning, Message: msg})
		}
	}
}

// strangerProgram returns the key that groups a stranger's locks (the processes in other PID
// namespaces, one program, or one PID) and how a reader knows the program: its command line,
// else its executable, else nothing.
func strangerProgram(s history.Stranger) (key, who string) {
	switch {
	case s.OutsideNamespace:
		return "outside", ""
	case s.Cmdline != "":
		return "prog\x00" + s.Exe + "\x00" + s.Cmdline, s.Cmdline
	case s.Exe != "":
		return "prog\x00" + s.Exe, s.Exe
	}
	return "pid\x00" + strconv.Itoa(s.PID), ""
}

// pidList names up to maxStrangerPIDs PIDs: "pid 4242", "pids 4242, 4250 and 2 more".
func pidList(pids []int) string {
	if len(pids) == 1 {
		return "pid " + strconv.Itoa(pids[0])
	}
	var s []string
	for _, p := range pids[:min(len(pids), maxStrangerPIDs)] {
		s = append(s, strconv.Itoa(p))
	}
	out := "pids " + strings.Join(s, ", ")
	if n := len(pids) - maxStrangerPIDs; n > 0 {
		out += fmt.Sprintf(" and %d more", n)
	}
	return out
}
