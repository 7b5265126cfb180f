// Package lockstall starts a process that stops just before it takes a POSIX record lock on one
// file, and goes on when the caller says so. It makes races between processes that open a
// database file deterministic: whatever the process did before its lock call (DuckDB reads the
// file's headers there, for example) has happened, its lock has not, and the caller can let
// another process act in between.
//
// It uses a seccomp filter with a user-space listener (Linux 5.5 or later, amd64 or arm64):
// every fcntl(F_SETLK) of the child and its descendants waits for this process's answer. A call
// on the chosen file is held until Release; every other one continues at once. Nothing else of
// the child is traced or slowed down, and the filter needs no privilege.
//
// lockstall is a leaf: it imports only the standard library and golang.org/x/sys.
package lockstall

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"lockbench/internal/crash"
)

// ErrUnsupported is wrapped by Start's error when this machine cannot stall a process: another
// architecture than amd64 or arm64, a kernel without seccomp user notification, or a container
// that forbids seccomp filters.
var ErrUnsupported = errors.New("cannot stall lock calls here")

// auditArch is the seccomp architecture of each supported GOARCH (both little-endian, so the low
// half of an argument is its first four bytes).
var auditArch = map[string]uint32{"amd64": unix.AUDIT_ARCH_X86_64, "arm64": unix.AUDIT_ARCH_AARCH64}

// Offsets in struct seccomp_data: int nr; u32 arch; u64 instruction_pointer; u64 args[6].
const (
	offNr   = 0
	offArch = 4
	offArg1 = 16 + 8
)

// Stall is a process started by Start, whose lock calls on one file wait for Release.
type Stall struct {
	path     string
	listener int
	wakeR    int
	wakeW    int

	reached     chan struct{}
	reachedOnce sync.Once
	done        chan struct{} // closed by Close
	served      chan struct{} // closed when serve returns

	mu       sync.Mutex
	released bool
	err      error
}

// Start starts cmd (as cmd.Start does, with cmd's own SysProcAttr) so that its fcntl(F_SETLK)
// calls on path, the first and any later one, wait until Release. path need not exist yet; a
// call is on path when its descriptor is open on path's file (same device and inode).
//
// Close the Stall after waiting for cmd: the thread that started cmd lives until then, since
// its end would deliver cmd's parent-death signal if it has one.
func Start(cmd *exec.Cmd, path string) (*Stall, error) {
	arch, ok := auditArch[runtime.GOARCH]
	if !ok {
		return nil, fmt.Errorf("%w: seccomp filter for %s not written", ErrUnsupported, runtime.GOARCH)
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, fmt.Errorf("lockstall: %w", err)
	}
	s := &Stall{path: path, wakeR: p[0], wakeW: p[1], reached: make(chan struct{}), done: make(chan struct{}), served: make(chan struct{})}
	started := make(chan error, 1)
	crash.Go(func() {
		// The filter is installed on this thread only and inherited by the child it starts.
		// The thread is never unlocked: it ends with this goroutine instead of running other
		// goroutines under the filter.
		runtime.LockOSThread()
		fd, err := install(arch)
		if err != nil {
			started <- err
			return
		}
		s.listener = fd
		if err := cmd.Start(); err != nil {
			unix.Close(fd)
			started <- err
			return
		}
		started <- nil
		<-s.done
	})
	if err := <-started; err != nil {
		unix.Close(s.wakeR)
		unix.Close(s.wakeW)
		return nil, err
	}
	crash.Go(s.serve)
	return s, nil
}

// install sets no_new_privs on the calling thread and adds the filter, returning its listener.
func install(arch uint32) (int, error) {
	if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return -1, fmt.Errorf("%w: prctl(PR_SET_NO_NEW_PRIVS): %v", ErrUnsupported, err)
	}
	ld := func(off uint32) unix.SockFilter {
		return unix.SockFilter{Code: unix.BPF_LD | unix.BPF_W | unix.BPF_ABS, K: off}
	}
	jeq := func(k uint32, skipIfNot uint8) unix.SockFilter {
		return unix.SockFilter{Code: unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K, K: k, Jf: skipIfNot}
	}
	ret := func(k uint32) unix.SockFilter { return unix.SockFilter{Code: unix.BPF_RET | unix.BPF_K, K: k} }
	prog := []unix.SockFilter{
		ld(offArch), jeq(arch, 5),
		ld(offNr), jeq(uint32(unix.SYS_FCNTL), 3),
		ld(offArg1), jeq(unix.F_SETLK, 1),
		ret(unix.SECCOMP_RET_USER_NOTIF),
		ret(unix.SECCOMP_RET_ALLOW),
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	fd, _, errno := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_NEW_LISTENER, uintptr(unsafe.Pointer(&fprog)))
	runtime.KeepAlive(prog)
	if errno != 0 {
		return -1, fmt.Errorf("%w: seccomp with a listener: %v", ErrUnsupported, errno)
	}
	return int(fd), nil
}

// Reached returns a channel that is closed once the process has called fcntl(F_SETLK) on the
// file and is held there.
func (s *Stall) Reached() <-chan struct{} { return s.reached }

// Release lets the held lock call, and every later one, proceed. It returns the first error met
// in answering the process's calls, if any.
func (s *Stall) Release() error {
	s.mu.Lock()
	s.released = true
	s.mu.Unlock()
	s.wake()
	return s.Err()
}

// Err returns the first error met in answering the process's calls.
func (s *Stall) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close releases anything still held, stops answering and ends the thread that started the
// process. Call it after cmd has exited: a process still running then gets its parent-death
// signal if it has one, and otherwise sees its later lock calls fail with ENOSYS.
func (s *Stall) Close() {
	select {
	case <-s.done:
		return
	default:
	}
	s.Release()
	close(s.done)
	s.wake()
	<-s.served
	unix.Close(s.listener)
	unix.Close(s.wakeR)
	unix.Close(s.wakeW)
}

func (s *Stall) wake() { _, _ = unix.Write(s.wakeW, []byte{0}) }

func (s *Stall) fail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = err
	}
}

// notif is struct seccomp_notif; resp is struct seccomp_notif_resp.
type notif struct {
	ID    uint64
	PID   uint32
	Flags uint32
	Nr    int32
	Arch  uint32
	IP    uint64
	Args  [6]uint64
}

type resp struct {
	ID    uint64
	Val   int64
	Error int32
	Flags uint32
}

// serve answers the process's lock calls until Close, or until no process uses the filter.
func (s *Stall) serve() {
	defer close(s.served)
	var held []uint64
	fds := []unix.PollFd{{Fd: int32(s.listener), Events: unix.POLLIN}, {Fd: int32(s.wakeR), Events: unix.POLLIN}}
	for {
		s.mu.Lock()
		released := s.released
		s.mu.Unlock()
		if released {
			for _, id := range held {
				s.answer(id)
			}
			held = nil
		}
		select {
		case <-s.done:
			return
		default:
		}
		fds[0].Revents, fds[1].Revents = 0, 0
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			s.fail(fmt.Errorf("lockstall: poll: %w", err))
			return
		}
		if fds[1].Revents&unix.POLLIN != 0 {
			var b [64]byte
			_, _ = unix.Read(s.wakeR, b[:])
		}
		if fds[0].Revents&unix.POLLIN != 0 {
			var n notif
			if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(s.listener), unix.SECCOMP_IOCTL_NOTIF_RECV, uintptr(unsafe.Pointer(&n))); errno != 0 {
				// ENOENT: the caller was interrupted by a signal before we received it.
				if errno != unix.ENOENT && errno != unix.EINTR {
					s.fail(fmt.Errorf("lockstall: receive: %w", errno))
				}
				continue
			}
			s.mu.Lock()
			released = s.released
			s.mu.Unlock()
			if !released && s.onFile(n) {
				// A call interrupted by a signal is made again, so one lock call may arrive
				// more than once; each copy is held.
				held = append(held, n.ID)
				s.reachedOnce.Do(func() { close(s.reached) })
				continue
			}
			s.answer(n.ID)
		} else if fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0 {
			return
		}
	}
}

// onFile reports whether the call's descriptor (its first argument) is open on s.path's file.
func (s *Stall) onFile(n notif) bool {
	var want, got unix.Stat_t
	if unix.Stat(s.path, &want) != nil {
		return false
	}
	if unix.Stat(fmt.Sprintf("/proc/%d/fd/%d", n.PID, int32(n.Args[0])), &got) != nil {
		return false
	}
	return want.Dev == got.Dev && want.Ino == got.Ino
}

// answer lets call id proceed as if no filter were there.
func (s *Stall) answer(id uint64) {
	r := resp{ID: id, Flags: unix.SECCOMP_USER_NOTIF_FLAG_CONTINUE}
	_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(s.listener), unix.SECCOMP_IOCTL_NOTIF_SEND, uintptr(unsafe.Pointer(&r)))
	// ENOENT: the call is gone (interrupted by a signal, or its process died).
	if errno != 0 && errno != unix.ENOENT {
		s.fail(fmt.Errorf("lockstall: answer: %w", errno))
	}
}
