package holders

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestWrite(t *testing.T) {
	outside := Holder{Mode: ModeWrite, Type: "POSIX", File: "/r/a.db", OutsideNamespace: true, Device: "fe:00", Inode: 42}
	tests := []struct {
		name     string
		hs       []Holder
		probeErr error
		want     string
	}{
		{"nobody", nil, nil, "nobody holds a lock on a.db\n"},
		{"nobody listed, probe failed", nil, &ProbeError{Errs: []error{errors.New("x")}}, "no lock on a.db is listed in /proc/locks, and F_GETLK could not check it\n"},
		{"a holder", []Holder{{PID: 7, Mode: ModeRead, Type: "POSIX", File: "/r/a.db", Cmdline: "x"}}, nil, "pid 7 holds a read lock on /r/a.db (x)\n"},
		{"outside the namespace, twice on one file", []Holder{outside, outside}, nil,
			strings.Repeat("a process outside this PID namespace holds a write lock on /r/a.db (device fe:00, inode 42; F_GETLK says PID 0, /proc/locks here does not list it)\n", 2) +
				"to name it, run `lockbench who a.db` on the host or in the holder's container (the path may differ there; look for fe:00:42 in the host's /proc/locks)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			Write(&b, "a.db", tt.hs, tt.probeErr)
			assert.Equal(t, tt.want, b.String())
		})
	}
}
