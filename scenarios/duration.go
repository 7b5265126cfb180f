package scenarios

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Bounds of the durations a scenario gives (a trial timeout, a competitor's start delay, a
// flapping competitor's period).
const (
	// MaxDuration is the longest duration a scenario may give: a day.
	MaxDuration = 24 * time.Hour
	// MinPeriod is the shortest open/close cycle of a flapping-process competitor: shorter
	// cycles only measure how fast DuckDB can open a file.
	MinPeriod = 10 * time.Millisecond
)

// DurationAllowed describes what ParseDuration accepts, for error messages.
const DurationAllowed = "a positive duration up to 24h such as 90s, 5m or 500ms (or whole seconds such as 90)"

// ParseDuration parses a duration as scenarios and flags write it: a Go duration ("90s",
// "1m30s", "500ms") or a whole number of seconds ("90"). The result is positive and at most
// MaxDuration; anything else is an error that says what was wrong (without the list of what is
// allowed, which is DurationAllowed).
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	tooLong := fmt.Errorf("duration %s is longer than 24h", s)
	notPositive := fmt.Errorf("duration %s is not positive", s)
	if s == "" {
		return 0, errors.New("empty duration")
	}
	if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
		switch {
		case sec <= 0:
			return 0, notPositive
		case sec > int64(MaxDuration/time.Second):
			return 0, fmt.Errorf("duration of %s seconds is longer than 24h", s)
		}
		return time.Duration(sec) * time.Second, nil
	} else if errors.Is(err, strconv.ErrRange) {
		if strings.HasPrefix(s, "-") {
			return 0, notPositive
		}
		return 0, fmt.Errorf("duration of %s seconds is longer than 24h", s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	switch {
	case d <= 0:
		return 0, notPositive
	case d > MaxDuration:
		return 0, tooLong
	}
	return d, nil
}
