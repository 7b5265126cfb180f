package repro

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"lockbench/buildinfo"
	"lockbench/internal/proc"
	"lockbench/outcome"
	"lockbench/vocab"
)

// fileSystem makes the directory a file-system case keeps its database in: dir on the default
// file system, or a file system mounted at dir. It returns a skipError where mounting is not
// allowed.
type fileSystem struct {
	name  string // as /proc/self/mountinfo names the type ("tmpfs", "ext4"); empty for the default
	title string
	setup string
	make  func(ctx context.Context, r *caseRun, dir string) error
}

var fileSystems = []fileSystem{
	{
		name:  "",
		title: "the default file system",
		setup: "a directory on the default file system (where the case's temporary directory is)",
		make:  func(context.Context, *caseRun, string) error { return nil },
	},
	{
		name:  "tmpfs",
		title: "tmpfs",
		setup: "a tmpfs mounted by the case",
		make: func(_ context.Context, r *caseRun, dir string) error {
			if err := unix.Mount("lockbench", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size=64m,mode=0755"); err != nil {
				return skipf("cannot mount a tmpfs here (%s): mount: %v", privileges(), err)
			}
			r.later(func() { unmount(dir) })
			r.step("mounted a tmpfs at %s", filepath.Base(dir))
			return nil
		},
	},
	{
		name:  "ext4",
		title: "a loop-mounted ext4 image",
		setup: "a 32 MiB ext4 image made by the case and loop-mounted",
		make: func(ctx context.Context, r *caseRun, dir string) error {
			mkfs, err := exec.LookPath("mkfs.ext4")
			if err != nil {
				return skipf("no mkfs.ext4 (e2fsprogs) on PATH to make an ext4 image with")
			}
			mount, err := exec.LookPath("mount")
			if err != nil {
				return skipf("no mount command (util-linux) on PATH to loop-mount an image with")
			}
			img := r.path("ext4.img")
			f, err := os.Create(img)
			if err != nil {
				return err
			}
			err = f.Truncate(32 << 20)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("make %s: %w", img, err)
			}
			if _, stderr, err := runCmd(ctx, exec.Command(mkfs, "-q", "-F", img)); err != nil {
				return fmt.Errorf("mkfs.ext4 %s: %v: %s", img, err, strings.TrimSpace(stderr))
			}
			// mount(8) sets up the loop device with autoclear: unmounting frees it.
			if _, stderr, err := runCmd(ctx, exec.Command(mount, "-t", "ext4", "-o", "loop", img, dir)); err != nil {
				return skipf("cannot loop-mount an ext4 image here (%s): mount: %v: %s", privileges(), err, strings.TrimSpace(stderr))
			}
			r.later(func() { unmount(dir) })
			r.step("made a 32 MiB ext4 image and loop-mounted it at %s", filepath.Base(dir))
			return nil
		},
	},
}

// fileSystemCases hold a file on each file system and open it again through a bind mount that
// shows the same file under a second path (as a container's volume does). They skip where
// mounting is not allowed.
func fileSystemCases() []Case {
	var cs []Case
	for _, fs := range fileSystems {
		name := "fs-default-two-paths"
		if fs.name != "" {
			name = "fs-" + fs.name + "-two-paths"
		}
		cs = append(cs, Case{
			Name:      name,
			Title:     "on " + fs.title + ", a file held through one path is locked through a bind mount too, and `who` finds the holder from both paths",
			Reference: "docs/duckdb-locking.md#read-only-and-read-write (locks belong to the file, not the path), #finding-lock-holders (matching /proc/locks by device and inode); docker-compose volumes (sisig-ai/doctor#15)",
			Setup: "A writer-process holds data/a.db in " + fs.setup + "; data/ is bind-mounted at bind/; this process opens bind/a.db, then data/a.db, " +
				"read-write; `lockbench who` runs on both paths.",
			Expect: Expectation{Kind: vocab.LockConflict, Sub: vocab.SubDatabase, Message: lockMsg,
				Also: []string{"the two paths are the same file (same device and inode)", "DuckDB names the bind path, the holder's executable and its PID",
					"the open through the holder's own path fails the same way",
					"`who` on either path lists the holder with write locks on a.db and a.db.wal, with the device:inode /proc/locks shows and the device /proc/self/mountinfo gives the mount"}},
			run: func(ctx context.Context, r *caseRun) (Observation, error) { return twoPaths(ctx, r, fs) },
		})
	}
	return cs
}

func twoPaths(ctx context.Context, r *caseRun, fs fileSystem) (Observation, error) {
	var obs Observation
	data, bind := r.path("data"), r.path("bind")
	for _, d := range []string{data, bind} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return obs, err
		}
	}
	if err := fs.make(ctx, r, data); err != nil {
		return obs, err
	}
	if err := unix.Mount(data, bind, "", unix.MS_BIND, ""); err != nil {
		return obs, skipf("cannot bind-mount a directory here (%s): mount: %v", privileges(), err)
	}
	r.later(func() { unmount(bind) })
	mi, err := mountOf(data)
	if err != nil {
		return obs, err
	}
	r.step("bind-mounted data/ at bind/; data/ is on %s (device %s in /proc/self/mountinfo)", mi.fstype, mi.dev)
	if fs.name != "" && mi.fstype != fs.name {
		return obs, fmt.Errorf("data/ is on %s, not %s", mi.fstype, fs.name)
	}

	db, other := filepath.Join(data, "a.db"), filepath.Join(bind, "a.db")
	c, err := r.compete(ctx, idleWriter, db)
	if err != nil {
		return obs, err
	}
	pid := c.PIDs()[0]
	var st1, st2 unix.Stat_t
	err1, err2 := unix.Stat(db, &st1), unix.Stat(other, &st2)
	obs.check("the two paths are the same file (same device and inode)", err1 == nil && err2 == nil && st1.Dev == st2.Dev && st1.Ino == st2.Ino,
		"data/a.db %d:%d, bind/a.db %d:%d (errors %v, %v)", st1.Dev, st1.Ino, st2.Dev, st2.Ino, err1, err2)

	h, err := r.open(ctx, other, false)
	if err == nil {
		h.Close()
		obs.Outcome = outcome.Outcome{Kind: vocab.OK}
		return obs, nil
	}
	obs.Outcome = classify(err)
	outcome.Enrich(&obs.Outcome, buildinfo.LinkedRelease())
	want := lockFacts{Path: other, Exe: proc.Exe(pid), PID: pid}
	obs.check("DuckDB names the bind path, the holder's executable and its PID", isLockConflictWith(obs.Outcome, want),
		"got %+v; want %+v", factsOf(obs.Outcome), want)
	h, err = r.open(ctx, db, false)
	if err == nil {
		h.Close()
	}
	o2 := classify(err)
	obs.check("the open through the holder's own path fails the same way", isLockConflictWith(o2, lockFacts{Path: db, Exe: proc.Exe(pid), PID: pid}),
		"%s: %+v", o2.Kind, factsOf(o2))

	for _, p := range []string{db, other} {
		hs, err := r.who(ctx, p, false)
		if err != nil {
			return obs, err
		}
		ok, got := whoShows(hs, p, pid, false)
		devOK := len(hs) > 0
		for _, h := range hs {
			devOK = devOK && h.Device == mi.dev
		}
		obs.check(fmt.Sprintf("`who %s` lists the holder with write locks on a.db and a.db.wal, with the device:inode /proc/locks shows and the mount's device",
			strings.TrimPrefix(p, r.dir+"/")), ok && devOK, "%s; mount device %s", got, mi.dev)
	}
	// Let go of the file system before the clean-ups unmount it.
	if err := c.Stop(); err != nil {
		return obs, err
	}
	return obs, nil
}

// mountInfo is a line of /proc/self/mountinfo.
type mountInfo struct {
	point  string
	dev    string // major:minor in hex, as /proc/locks and holders.Holder.Device write it
	fstype string
}

// mountOf returns the mount that holds path: the last-mounted of the longest mount points that
// contain it.
func mountOf(path string) (mountInfo, error) {
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return mountInfo{}, err
	}
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return mountInfo{}, err
	}
	var best mountInfo
	for _, line := range strings.Split(string(b), "\n") {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
		pre, post, ok := strings.Cut(line, " - ")
		f, g := strings.Fields(pre), strings.Fields(post)
		if !ok || len(f) < 5 || len(g) < 1 {
			continue
		}
		point := unescapeMount(f[4])
		if point != resolved && point != "/" && !strings.HasPrefix(resolved, point+"/") {
			continue
		}
		if len(point) < len(best.point) {
			continue
		}
		maj, min, ok := strings.Cut(f[2], ":")
		ma, err1 := strconv.ParseUint(maj, 10, 32)
		mi, err2 := strconv.ParseUint(min, 10, 32)
		if !ok || err1 != nil || err2 != nil {
			continue
		}
		best = mountInfo{point: point, dev: fmt.Sprintf("%02x:%02x", ma, mi), fstype: g[0]}
	}
	if best.point == "" {
		return best, fmt.Errorf("no mount in /proc/self/mountinfo holds %s", resolved)
	}
	return best, nil
}

// unescapeMount undoes the octal escapes of /proc/self/mountinfo (\040 for a space, ...).
func unescapeMount(s string) string {
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

// unmount unmounts dir, lazily when it is still busy (a holder not yet stopped): the file
// system goes, with its loop device, once the last user lets go.
func unmount(dir string) {
	if err := unix.Unmount(dir, 0); err != nil {
		_ = unix.Unmount(dir, unix.MNT_DETACH)
	}
}

// privileges says how this process runs, for skip reasons.
func privileges() string {
	if uid := os.Geteuid(); uid != 0 {
		return fmt.Sprintf("mounting needs root or CAP_SYS_ADMIN; running as uid %d", uid)
	}
	return "running as root, but mounting is not allowed"
}
