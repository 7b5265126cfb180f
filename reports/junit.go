package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"lockbench/verdict"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

func junitCaseOf(class, name string, v verdict.Verdict, reason, evidence string) junitCase {
	c := junitCase{Name: name, Classname: class, SystemOut: evidence}
	switch v {
	case verdict.Fail:
		c.Failure = &junitMessage{Message: reason, Type: "fail", Body: evidence}
	case verdict.Unknown:
		c.Skipped = &junitMessage{Message: "unknown: " + reason}
	}
	return c
}

func (s *junitSuite) add(c junitCase) {
	s.Cases = append(s.Cases, c)
	s.Tests++
	if c.Failure != nil {
		s.Failures++
	}
	if c.Skipped != nil {
		s.Skipped++
	}
}

// WriteJUnit writes the verdicts as JUnit XML: one testcase per target (suite
// "lockbench.targets") and per expectation (suite "lockbench.expectations"), with a failure
// element on fail and a skipped element on unknown; the evidence is in system-out.
func WriteJUnit(w io.Writer, r *Report) error {
	targets := junitSuite{Name: "lockbench.targets"}
	for _, t := range r.Targets {
		ev := t.Evidence()
		if d := t.Decided(); d != "" {
			ev += "\n" + d
		}
		targets.add(junitCaseOf(targets.Name, t.Name, t.Verdict, t.Reason, ev))
	}
	exps := junitSuite{Name: "lockbench.expectations"}
	for _, e := range r.Expectations {
		ev := fmt.Sprintf("expected %s; outcomes: %s", e.Expected, outcomesText(e.Outcomes))
		if d := e.Decided(); d != "" {
			ev += "\n" + d
		}
		if len(e.Mismatches) > 0 {
			ev += "\n" + strings.Join(e.Mismatches, "\n")
		}
		for _, m := range e.Messages {
			ev += "\nmessage: " + m
		}
		exps.add(junitCaseOf(exps.Name, e.Name, e.Verdict, e.Reason, ev))
	}
	all := junitSuites{Name: "lockbench", Suites: []junitSuite{targets, exps}}
	for _, s := range all.Suites {
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("junit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return fmt.Errorf("junit report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("junit report: %w", err)
	}
	return nil
}
