package scenarios

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lockbench/vocab"
)

// oneLine fails t when err is not a configuration error of one line, as every bad input must
// give.
func oneLine(t *testing.T, input string, err error) {
	t.Helper()
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("%q: error %T %v does not match ErrInvalid", input, err, err)
	}
	if strings.ContainsAny(err.Error(), "\n\r") {
		t.Fatalf("%q: error is not one line: %q", input, err.Error())
	}
}

// FuzzParse feeds arbitrary YAML to the scenario parser. It must never panic; a rejected file
// gives one *Error line; an accepted one has between 1 and MaxCells cells with unique keys,
// each of which, used as a --filter, selects exactly its own cell, and its effective JSON
// (the manifest's copy) encodes.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"quick", "full", "locks"} {
		b, _ := BuiltinYAML(name)
		f.Add(b)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "errors", "*.yaml"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("matrix: {mode: [threaded], threads: [1, 2]}\ntimeout: 90\n"))
	f.Add([]byte("matrix:\n  competitor: [{kind: readers, count: 3, start: delay 2s}, {kind: flapping-process, period: 20ms}]\n"))
	f.Add([]byte("matrix: {years: [2025-2027, 2025+2030, 2099]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err != nil {
			oneLine(t, string(data), err)
			var e *Error
			if !errors.As(err, &e) || e.File != "fuzz.yaml" {
				t.Fatalf("error %v does not name the file", err)
			}
			return
		}
		cells := s.Cells()
		if len(cells) < 1 || len(cells) > MaxCells {
			t.Fatalf("%d cells", len(cells))
		}
		if s.Trials < 1 || s.Warmup < 0 || s.Timeout <= 0 || s.Timeout > MaxDuration {
			t.Fatalf("settings out of range: trials %d, warmup %d, timeout %s", s.Trials, s.Warmup, s.Timeout)
		}
		seen := map[string]bool{}
		for _, c := range cells {
			if seen[c.Key] {
				t.Fatalf("duplicate key %s", c.Key)
			}
			seen[c.Key] = true
		}
		for _, c := range cells[:min(len(cells), 20)] {
			got, err := Filter(cells, c.Key)
			if err != nil {
				t.Fatalf("key %s is not a valid filter: %v", c.Key, err)
			}
			if len(got) != 1 || got[0].Key != c.Key {
				t.Fatalf("key %s as a filter selects %d cells", c.Key, len(got))
			}
		}
		if _, err := s.Effective(); err != nil {
			t.Fatalf("effective scenario: %v", err)
		}
	})
}

// FuzzYears checks the years axis parser: an accepted value is a strictly increasing list of
// years within the limits whose canonical text parses back to itself.
func FuzzYears(f *testing.F) {
	for _, s := range []string{"2025", "2025-2027", "2025+2027+2030", "2027-2025", "1999-2001", "2025+", "-", "2000-9223372036854775807", " 2025 - 2026 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, verr := parseScalar(axYears, s)
		if verr != nil {
			if strings.ContainsAny(verr.Error(), "\n\r") && !strings.ContainsAny(s, "\n\r") {
				t.Fatalf("%q: error is not one line: %q", s, verr.Error())
			}
			return
		}
		years := v.v.([]int)
		if len(years) == 0 {
			t.Fatalf("%q: no years", s)
		}
		for i, y := range years {
			if y < vocab.MinYear || y > vocab.MaxYear || (i > 0 && y <= years[i-1]) {
				t.Fatalf("%q: bad years %v", s, years)
			}
		}
		if FormatYears(years) != v.canon {
			t.Fatalf("%q: canon %q differs from FormatYears %q", s, v.canon, FormatYears(years))
		}
		back, verr := parseScalar(axYears, v.canon)
		if verr != nil || back.canon != v.canon || !slices.Equal(back.v.([]int), years) {
			t.Fatalf("%q: canon %q does not parse back (%v)", s, v.canon, verr)
		}
	})
}

// FuzzParseFilter checks the --filter parser: a rejected expression gives one *Error line
// naming --filter; an accepted one gives selectors on known axes whose text parses back to
// the same selector.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"mode=threaded", "mode=threaded,sequential/threads=4", "competitor=readers(count=3;start=delay-2s)",
		"years=2025-2027/coordination=true", "mode=", "=x", "bogus=1", "competitor=readers(,)", "mode=threaded/mode=sequential", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		sels, err := ParseFilter(expr)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.File != "--filter" {
				t.Fatalf("%q: error %v does not name --filter", expr, err)
			}
			if !strings.ContainsAny(expr, "\n\r") {
				oneLine(t, expr, err)
			}
			return
		}
		for _, sel := range sels {
			for axis := range sel {
				if !slices.Contains(vocab.Axes, axis) {
					t.Fatalf("%q: unknown axis %q accepted", expr, axis)
				}
			}
			back, err := ParseFilter(sel.String())
			if err != nil {
				t.Fatalf("%q: selector %s does not parse back: %v", expr, sel, err)
			}
			if len(back) != 1 || back[0].String() != sel.String() {
				t.Fatalf("%q: selector %s parses back as %v", expr, sel, back)
			}
		}
	})
}

// FuzzParseShard checks the --shard parser: an accepted K/N has 1 ≤ K ≤ N, formats back to
// itself, and deals every cell to exactly one of the N shards when N is small.
func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"1/1", "2/4", "0/3", "4/3", "1/0", "-1/2", "+1/2", " 1/2 ", "1/9223372036854775807", "a/b", "1/2/3"} {
		f.Add(s)
	}
	quick, err := Load("quick")
	if err != nil {
		f.Fatal(err)
	}
	cells := quick.Cells()
	f.Fuzz(func(t *testing.T, s string) {
		k, n, err := ParseShard(s)
		if err != nil {
			if !strings.ContainsAny(s, "\n\r") {
				oneLine(t, s, err)
			}
			return
		}
		if k < 1 || k > n {
			t.Fatalf("%q: accepted %d/%d", s, k, n)
		}
		k2, n2, err := ParseShard(fmt.Sprintf("%d/%d", k, n))
		if err != nil || k2 != k || n2 != n {
			t.Fatalf("%q: %d/%d does not parse back", s, k, n)
		}
		if n > 16 {
			return
		}
		total := 0
		for i := 1; i <= n; i++ {
			part, err := Shard(cells, i, n)
			if err != nil {
				t.Fatal(err)
			}
			total += len(part)
		}
		if total != len(cells) {
			t.Fatalf("%d shards hold %d of %d cells", n, total, len(cells))
		}
	})
}

// FuzzParseDuration checks the duration parser shared by timeouts, start delays and periods:
// an accepted duration is positive, at most MaxDuration, and its text parses back to itself.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"90s", "5m", "500ms", "90", "0", "-1s", "25h", "24h", "1.5h", "9223372037", "99999999999999999999", "-99999999999999999999", "1e3s", ".5s", "+3s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") && !strings.ContainsAny(s, "\n\r") {
				t.Fatalf("%q: error is not one line: %q", s, err.Error())
			}
			return
		}
		if d <= 0 || d > MaxDuration {
			t.Fatalf("%q: accepted %s", s, d)
		}
		back, err := ParseDuration(d.String())
		if err != nil || back != d {
			t.Fatalf("%q: %s does not parse back (%v)", s, d, err)
		}
		// A start delay takes the same durations.
		st, err := ParseStart("delay " + d.String())
		if err != nil || st.Delay != d {
			t.Fatalf("delay %s: %v", d, err)
		}
		if _, err := ParseStart("delay " + (MaxDuration + time.Nanosecond).String()); err == nil {
			t.Fatal("a delay beyond MaxDuration was accepted")
		}
	})
}
