package repro

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"lockbench/harness/competitor"
	"lockbench/holders"
	"lockbench/internal/crash"
	"lockbench/internal/proc"
)

// unshareArgs run a program as PID 1 of a new PID namespace with its own /proc, as a container
// does; --kill-child ends the program if unshare dies (unshare itself ignores SIGTERM).
var unshareArgs = []string{"--pid", "--fork", "--mount-proc", "--kill-child"}

// PIDNamespaceSupport reports whether this process can start programs in new PID namespaces with
// unshare(1) (util-linux), as the PID-namespace cases do: it returns unshare's path, or an error
// that says why not (no unshare, not root, a sandbox that forbids it). It tries once per process.
func PIDNamespaceSupport() (string, error) { return pidNamespaces() }

var pidNamespaces = sync.OnceValues(findUnshare)

// findUnshare looks for unshare on PATH and tries it once.
func findUnshare() (string, error) {
	path, err := exec.LookPath("unshare")
	if err != nil {
		return "", fmt.Errorf("no unshare command (util-linux) on PATH to create PID namespaces with")
	}
	out, err := exec.Command(path, "--pid", "--fork", "--mount-proc", "true").CombinedOutput()
	if err != nil {
		who := "root"
		if uid := os.Geteuid(); uid != 0 {
			who = fmt.Sprintf("uid %d, not root", uid)
		}
		return "", fmt.Errorf("cannot create PID namespaces here (running as %s): unshare --pid --fork --mount-proc: %v: %s",
			who, err, strings.TrimSpace(string(out)))
	}
	return path, nil
}

// nsProc is a program running as PID 1 of a new PID namespace, under unshare.
type nsProc struct {
	label  string
	cmd    *exec.Cmd // unshare
	stderr lockedBuffer
	ready  chan string   // the program's first stdout line
	done   chan struct{} // closed once unshare is reaped
	err    error         // unshare's exit, set before done is closed
	pid    int           // the program's PID on the host, once known
	once   sync.Once
}

// inNamespace wraps cmd in unshare so that it runs as PID 1 of a new PID namespace.
func inNamespace(cmd *exec.Cmd) (*exec.Cmd, error) {
	unshare, err := pidNamespaces()
	if err != nil {
		return nil, skipf("%v", err)
	}
	args := append(append([]string{}, unshareArgs...), "--")
	args = append(args, cmd.Path)
	args = append(args, cmd.Args[1:]...)
	ns := exec.Command(unshare, args...)
	ns.Env = cmd.Env
	return ns, nil
}

// startInNamespace starts cmd as PID 1 of a new PID namespace and waits for its first stdout
// line (a holder's ready line); it is stopped when the case ends. It returns a skipError when
// this machine cannot create PID namespaces.
func (r *caseRun) startInNamespace(ctx context.Context, label string, cmd *exec.Cmd) (*nsProc, string, error) {
	ns, err := inNamespace(cmd)
	if err != nil {
		return nil, "", err
	}
	p := &nsProc{label: label, cmd: ns, ready: make(chan string, 1), done: make(chan struct{})}
	ns.Stderr = &p.stderr
	out, err := ns.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	// Its own process group, killed with this process (a case killed at its timeout).
	if err := proc.StartGroup(ns); err != nil {
		return nil, "", fmt.Errorf("%s: start %s: %w", label, ns.Path, err)
	}
	r.later(p.stop)
	crash.Go(func() {
		br := bufio.NewReader(out)
		if line, err := br.ReadString('\n'); err == nil {
			p.ready <- strings.TrimSpace(line)
		}
		_, _ = io.Copy(io.Discard, br)
	})
	crash.Go(func() {
		p.err = ns.Wait()
		close(p.done)
	})
	var line string
	select {
	case line = <-p.ready:
	case <-p.done:
		select {
		case line = <-p.ready:
		default:
			return p, "", fmt.Errorf("%s exited before its ready line: %v: %s", label, p.err, strings.TrimSpace(p.stderr.String()))
		}
	case <-time.After(competitor.DefaultReadyTimeout):
		return p, "", fmt.Errorf("%s: no ready line within %s: %s", label, competitor.DefaultReadyTimeout, strings.TrimSpace(p.stderr.String()))
	case <-ctx.Done():
		return p, "", ctx.Err()
	}
	if !proc.WaitUntil(ctx.Done(), 5*time.Second, 2*time.Millisecond, func() bool { p.pid = proc.FirstChild(ns.Process.Pid); return p.pid > 0 }) {
		return p, line, fmt.Errorf("%s: no child of unshare (pid %d) found", label, ns.Process.Pid)
	}
	return p, line, nil
}

// stop ends the program (SIGTERM to it: as PID 1 it only gets the signals it handles, and
// `lockbench hold` handles SIGTERM) and reaps unshare; SIGKILL to the group after 10s.
func (p *nsProc) stop() {
	p.once.Do(func() {
		if p.pid > 0 {
			_ = syscall.Kill(p.pid, syscall.SIGTERM)
			select {
			case <-p.done:
				return
			case <-time.After(10 * time.Second):
			}
		}
		proc.KillGroup(p.cmd.Process.Pid)
		<-p.done
	})
}

// runInNamespace runs cmd as PID 1 of a new PID namespace to completion and returns its stdout
// and stderr, and its exit error. It returns a skipError when this machine cannot create PID
// namespaces.
func runInNamespace(ctx context.Context, cmd *exec.Cmd) (stdout, stderr string, err error) {
	ns, err := inNamespace(cmd)
	if err != nil {
		return "", "", err
	}
	return runCmd(ctx, ns)
}

// runCmd runs cmd to completion in its own process group (killed when ctx ends or this process
// dies) and returns its stdout, stderr and exit error.
func runCmd(ctx context.Context, cmd *exec.Cmd) (stdout, stderr string, err error) {
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := proc.StartGroup(cmd); err != nil {
		return "", "", err
	}
	_, err = proc.Wait(ctx, cmd)
	return o.String(), e.String(), err
}

// who runs `lockbench who --json db`, in a new PID namespace when ns, and returns the holders
// it lists.
func (r *caseRun) who(ctx context.Context, db string, ns bool) ([]holders.Holder, error) {
	cmd := r.env.Who.command("--json", db)
	where := "on the host"
	var out, errOut string
	var err error
	if ns {
		where = "in a new PID namespace"
		out, errOut, err = runInNamespace(ctx, cmd)
	} else {
		out, errOut, err = runCmd(ctx, cmd)
	}
	var skip *skipError
	if errors.As(err, &skip) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("lockbench who %s %s: %v: %s", db, where, err, strings.TrimSpace(errOut))
	}
	var listed struct {
		Holders []holders.Holder `json:"holders"`
	}
	if err := json.Unmarshal([]byte(out), &listed); err != nil {
		return nil, fmt.Errorf("lockbench who --json %s %s: %w: %q", db, where, err, out)
	}
	hs := listed.Holders
	var lines []string
	for _, h := range hs {
		lines = append(lines, holders.Describe(h))
	}
	if len(lines) == 0 {
		lines = []string{"nobody"}
	}
	r.step("`lockbench who %s` %s: %s", r.rel(db), where, strings.Join(lines, "; "))
	return hs, nil
}

// procLocksIDs returns the dev:ino column ("fe:00:9980526") of every /proc/locks line that pid
// owns, as this process sees /proc/locks.
func procLocksIDs(pid int) []string {
	b, err := os.ReadFile("/proc/locks")
	if err != nil {
		return nil
	}
	var ids []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 6 && f[1] != "->" && f[4] == strconv.Itoa(pid) {
			ids = append(ids, f[5])
		}
	}
	return ids
}

// lockedBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
