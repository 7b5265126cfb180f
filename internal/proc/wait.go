package proc

import "time"

// WaitUntil calls cond every step until it returns true, and then returns true. It returns
// false once d has passed, and cond's last value once stop is closed (a nil stop never is;
// pass ctx.Done() to stop with a context).
//
// It is for waiting on something the caller caused (a process reaped, a lock taken, a file
// written), never in place of synchronisation.
func WaitUntil(stop <-chan struct{}, d, step time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		t := time.NewTimer(step)
		select {
		case <-stop:
			t.Stop()
			return cond()
		case <-t.C:
		}
	}
}
