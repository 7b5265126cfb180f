package outcome

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"lockbench/vocab"
)

// EnvFacts are what the machine said about an environment failure: where it happened and the
// state of that file system at the time.
type EnvFacts struct {
	// Mount is the mount point of the file system that holds Path.
	Mount string `json:"mount,omitempty"`
	// FSType is that file system's type (ext4, tmpfs, overlay, ...).
	FSType string `json:"fs_type,omitempty"`
	// ReadOnly is whether it was mounted read-only.
	ReadOnly bool `json:"read_only,omitempty"`
	// FreeBytes and SizeBytes are its free space (for an unprivileged user) and size.
	FreeBytes int64 `json:"free_bytes"`
	SizeBytes int64 `json:"size_bytes"`
}

// envRules recognise the machine's failures in a message, whatever DuckDB error type leads it:
// `TransactionContext Error: Failed to commit: Could not write file "...": No space left on
// device` is a full disk, not a transaction conflict. Each names the path when the message does.
var envRules = []struct {
	re  *regexp.Regexp
	sub vocab.Sub
}{
	{regexp.MustCompile(`(?i)no space left on device|disk quota exceeded`), vocab.SubDiskFull},
	{regexp.MustCompile(`(?i)read-only file system`), vocab.SubReadOnlyFS},
	{regexp.MustCompile(`(?i)too many open files`), vocab.SubTooManyFiles},
	{regexp.MustCompile(`Out of Memory Error: |(?i)fatal error: runtime: out of memory|cannot allocate memory`), vocab.SubOutOfMemory},
	{regexp.MustCompile(`(?i)permission denied`), vocab.SubPermission},
}

// rePathInMessage finds the file a message is about: DuckDB quotes it (`file "/x/a.db"`), Go's
// errors name it before the errno (`mkdir /x/runs: read-only file system`).
var (
	reQuotedPath = regexp.MustCompile(`"(/[^"]+)"`)
	reGoPath     = regexp.MustCompile(`(?:open|mkdir|create|stat|rename|write|remove|fork/exec|lstat|openat) (/[^:\s]+):`)
)

// environment classifies msg as an environment failure when it is one.
func environment(msg string) (Outcome, bool) {
	for _, r := range envRules {
		loc := r.re.FindStringIndex(msg)
		if loc == nil {
			continue
		}
		o := Outcome{Kind: vocab.Environment, Sub: r.sub, Message: from(msg, loc[0])}
		if _, at := ErrorType(o.Message); at > 0 {
			o.Message = o.Message[at:]
		}
		o.Message = firstParagraph(o.Message)
		o.Path = pathIn(msg)
		return o, true
	}
	return Outcome{}, false
}

// envErrno classifies the errno of a Go error chain (a failed fork/exec, mkdir or write of the
// harness itself) as an environment failure.
func envErrno(err error) (Outcome, bool) {
	var sub vocab.Sub
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		sub = vocab.SubDiskFull
	case errors.Is(err, syscall.EROFS):
		sub = vocab.SubReadOnlyFS
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		sub = vocab.SubTooManyFiles
	case errors.Is(err, syscall.ENOMEM):
		sub = vocab.SubOutOfMemory
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		sub = vocab.SubPermission
	default:
		return Outcome{}, false
	}
	var pe *os.PathError
	o := Outcome{Kind: vocab.Environment, Sub: sub, Message: clean(err.Error())}
	if errors.As(err, &pe) && filepath.IsAbs(pe.Path) {
		o.Path = pe.Path
	} else {
		o.Path = pathIn(err.Error())
	}
	return o, true
}

// IsEnvironment reports whether err is a failure of the machine rather than of the code.
func IsEnvironment(err error) bool {
	return err != nil && Classify(err).Kind == vocab.Environment
}

func pathIn(msg string) string {
	if m := reQuotedPath.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	if m := reGoPath.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}

// firstParagraph keeps a message up to its first blank line (DuckDB's Out of Memory Error
// continues with a list of suggestions and a docs URL).
func firstParagraph(s string) string {
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// EnrichEnvironment adds the file system facts of an environment failure's path (or of dir when
// the message names none): mount point, type, whether read-only, free space and size now.
func EnrichEnvironment(o *Outcome, dir string) {
	if o == nil || o.Kind != vocab.Environment || o.Env != nil {
		return
	}
	p := o.Path
	if p == "" {
		p = dir
	}
	if p == "" {
		return
	}
	if f, ok := FileSystemOf(p); ok {
		o.Env = &f
	}
}

// FileSystemOf returns the facts of the file system that holds path (or its nearest existing
// parent): from statfs(2) and /proc/self/mountinfo. Nothing is opened.
func FileSystemOf(path string) (EnvFacts, bool) {
	p := path
	var st syscall.Statfs_t
	for {
		if err := syscall.Statfs(p, &st); err == nil {
			break
		}
		parent := filepath.Dir(p)
		if parent == p {
			return EnvFacts{}, false
		}
		p = parent
	}
	f := EnvFacts{FreeBytes: int64(st.Bavail) * st.Bsize, SizeBytes: int64(st.Blocks) * st.Bsize}
	f.Mount, f.FSType, f.ReadOnly = mountOf(p)
	return f, true
}

// mountOf finds the mount that holds path in /proc/self/mountinfo: the longest mount point that
// is a prefix of the path.
func mountOf(path string) (mount, fstype string, readOnly bool) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", "", false
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	fh, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", "", false
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		// id parent major:minor root mountpoint options ... - fstype source superoptions
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if len(fields) < 6 || sep < 0 || sep+1 >= len(fields) {
			continue
		}
		mp := unescapeMount(fields[4])
		if !within(abs, mp) || len(mp) < len(mount) {
			continue
		}
		mount, fstype = mp, fields[sep+1]
		readOnly = strings.HasPrefix(fields[5], "ro")
	}
	return mount, fstype, readOnly
}

func within(path, dir string) bool {
	return dir == "/" || path == dir || strings.HasPrefix(path, dir+"/")
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// OOMKills returns the number of OOM kills the kernel has counted in this process's memory
// cgroup and the cgroups below it (cgroup v2: the oom_kill line of memory.events, which counts
// the subtree; cgroup v1: the oom_kill line of memory.oom_control, summed over the subtree),
// and false when the machine does not say. A trial or worker killed by SIGKILL while this number
// rose was killed for memory.
func OOMKills() (int, bool) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return 0, false
	}
	var v1, v2 string
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[0] == "0" && parts[1] == "":
			v2 = parts[2]
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			v1 = parts[2]
		}
	}
	if v1 != "" {
		total, found := 0, false
		_ = filepath.WalkDir(filepath.Join("/sys/fs/cgroup/memory", v1), func(p string, d os.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if n, ok := counter(filepath.Join(p, "memory.oom_control"), "oom_kill"); ok {
				total, found = total+n, true
			}
			return nil
		})
		if found {
			return total, true
		}
	}
	if v2 != "" {
		return counter(filepath.Join("/sys/fs/cgroup", v2, "memory.events"), "oom_kill")
	}
	return 0, false
}

// counter reads the value of the line "key N" of a cgroup file.
func counter(path, key string) (int, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			return n, err == nil
		}
	}
	return 0, false
}

// OOMKilled turns a crash by SIGKILL into an environment failure (oom-kill) when the cgroup's
// OOM-kill counter rose since before (as OOMKills read it before the process started). It
// leaves any other outcome alone.
func OOMKilled(o *Outcome, before int, known bool) {
	if o == nil || o.Kind != vocab.Crash || o.Sub != "SIGKILL" || !known {
		return
	}
	if after, ok := OOMKills(); ok && after > before {
		o.Kind, o.Sub = vocab.Environment, vocab.SubOOMKill
		o.Message = fmt.Sprintf("killed by the kernel's OOM killer (the cgroup's oom_kill counter rose from %d to %d): %s", before, after, o.Message)
	}
}

// envAdvice says what to do about an environment failure.
func envAdvice(o Outcome) string {
	where := o.Path
	if o.Env != nil {
		fs := o.Env.FSType
		if o.Env.Mount != "" {
			fs += " at " + o.Env.Mount
		}
		where = fmt.Sprintf("%s (on %s, %s free of %s)", cmpOr(where, o.Env.Mount), fs, bytesText(o.Env.FreeBytes), bytesText(o.Env.SizeBytes))
	}
	if where == "" {
		where = "the run's files"
	}
	switch o.Sub {
	case vocab.SubDiskFull:
		return fmt.Sprintf("the disk is full: %s. Free space there or put the runs on a larger disk (--runs DIR), then resume; this says nothing about locking.", where)
	case vocab.SubReadOnlyFS:
		return fmt.Sprintf("the file system is read-only: %s. Give a writable directory (--runs DIR) or remount it read-write, then resume.", where)
	case vocab.SubPermission:
		return fmt.Sprintf("permission denied: %s. Give this user write access to it, or choose another directory, then resume.", where)
	case vocab.SubTooManyFiles:
		return "the process ran out of file descriptors (ulimit -n): raise the limit (ulimit -n 4096, or the service's LimitNOFILE), then resume."
	case vocab.SubOutOfMemory:
		return "memory ran out: give the machine or container more memory, lower --employees, or set DuckDB's memory_limit and threads lower, then resume."
	case vocab.SubOOMKill:
		return "the kernel killed the process for memory (OOM): raise the container's or cgroup's memory limit, or lower --employees, then resume."
	case vocab.SubVanished:
		return fmt.Sprintf("a directory lockbench writes to disappeared: %s. Recreate it (or give another --runs), then resume.", where)
	}
	return ""
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// bytesText renders a size in binary units (4.0 MiB).
func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
