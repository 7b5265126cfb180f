// Command capture records the exact messages a DuckDB release gives for the events lockbench
// classifies, as the fixtures of internal/outcome. Build it against the release to record (the
// module file selects the duckdb-go version) and run it in an empty directory:
//
//	go build -modfile=ALT/go.mod -o /tmp/capture ./internal/outcome/testdata/capture
//	/tmp/capture [-newer FILE] > internal/outcome/testdata/messages/RELEASE.txtar
//
// -newer names a database file in a storage format this release cannot read (one made by a
// later release). Paths, PIDs and the executable are replaced by fixed values (/data, 4242,
// /usr/bin/holder) so that the fixtures of two releases line up; everything else, the driver's
// prefix included, is verbatim.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	if len(os.Args) == 3 && (os.Args[1] == "hold-rw" || os.Args[1] == "hold-ro") {
		hold(os.Args[1] == "hold-ro", os.Args[2])
		return
	}
	newer := flag.String("newer", "", "a database file in a storage format this release cannot read")
	flag.Parse()
	dir, err := os.MkdirTemp("", "capture")
	check(err)
	defer os.RemoveAll(dir)
	var version string
	mem, err := sql.Open("duckdb", "")
	check(err)
	check(mem.QueryRow("SELECT version()").Scan(&version))
	mem.Close()
	exe, _ := os.Executable()
	norm := func(msg string, pid int) string {
		msg = strings.ReplaceAll(msg, dir, "/data")
		if pid > 0 {
			msg = strings.ReplaceAll(msg, "(PID "+strconv.Itoa(pid)+")", "(PID 4242)")
		}
		msg = strings.ReplaceAll(msg, exe, "/usr/bin/holder")
		return msg
	}
	fmt.Printf("Messages of DuckDB %s, recorded by internal/outcome/testdata/capture.\n", version)
	emit := func(name, msg string) { fmt.Printf("-- %s --\n%s\n", name, msg) }

	// Lock conflicts between processes.
	for _, c := range []struct {
		name         string
		holderRO, ro bool
	}{
		{"lock-writer-holds-rw-open", false, false},
		{"lock-readers-hold-rw-open", true, false},
		{"lock-writer-holds-ro-open", false, true},
	} {
		path := filepath.Join(dir, c.name+".db")
		create(path)
		pid, stop := startHolder(exe, c.holderRO, path)
		dsn := path
		if c.ro {
			dsn += "?access_mode=read_only"
		}
		emit(c.name, norm(openErr(dsn), pid))
		stop()
	}

	// Transaction conflicts between two connections of one process.
	txn := func(name string, file bool, steps func(c1, c2 *sql.Conn) error) {
		path := ""
		if file {
			path = filepath.Join(dir, name+".db")
		}
		db, err := sql.Open("duckdb", path)
		check(err)
		defer db.Close()
		ctx := context.Background()
		_, err = db.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER); INSERT INTO t SELECT range, 0 FROM range(1, 11)`)
		check(err)
		c1, _ := db.Conn(ctx)
		c2, _ := db.Conn(ctx)
		err = steps(c1, c2)
		for _, c := range []*sql.Conn{c1, c2} {
			c.ExecContext(ctx, "ROLLBACK")
			c.Close()
		}
		if err == nil {
			emit(name, "(no error)")
			return
		}
		emit(name, norm(err.Error(), 0))
	}
	ex := func(c *sql.Conn, q ...string) error {
		for _, s := range q {
			if _, err := c.ExecContext(context.Background(), s); err != nil {
				return err
			}
		}
		return nil
	}
	txn("txn-update", false, func(c1, c2 *sql.Conn) error {
		check(ex(c1, "BEGIN", "UPDATE t SET v = 1 WHERE id = 1"))
		check(ex(c2, "BEGIN"))
		return ex(c2, "UPDATE t SET v = 2 WHERE id = 1")
	})
	txn("txn-delete", false, func(c1, c2 *sql.Conn) error {
		check(ex(c1, "BEGIN", "DELETE FROM t WHERE id = 2"))
		check(ex(c2, "BEGIN"))
		return ex(c2, "DELETE FROM t WHERE id = 2")
	})
	txn("txn-aborted", false, func(c1, c2 *sql.Conn) error {
		check(ex(c1, "BEGIN", "UPDATE t SET v = 1 WHERE id = 1"))
		check(ex(c2, "BEGIN"))
		_ = ex(c2, "UPDATE t SET v = 2 WHERE id = 1")
		return ex(c2, "SELECT 1")
	})
	txn("txn-catalog-create", false, func(c1, c2 *sql.Conn) error {
		check(ex(c1, "BEGIN", "CREATE TABLE x (a INTEGER)"))
		check(ex(c2, "BEGIN"))
		return ex(c2, "CREATE TABLE x (a INTEGER)")
	})
	txn("txn-dropped", false, func(c1, c2 *sql.Conn) error {
		check(ex(c2, "BEGIN", "INSERT INTO t VALUES (100, 0)"))
		check(ex(c1, "CREATE OR REPLACE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)"))
		return ex(c2, "INSERT INTO t VALUES (101, 0)")
	})
	txn("txn-altered", false, func(c1, c2 *sql.Conn) error {
		check(ex(c1, "BEGIN", "SELECT count(*) FROM t"))
		check(ex(c2, "ALTER TABLE t ADD COLUMN w INTEGER"))
		return ex(c1, "INSERT INTO t (id, v) VALUES (200, 0)")
	})
	txn("txn-checkpoint", true, func(c1, c2 *sql.Conn) error {
		check(ex(c1, "BEGIN", "UPDATE t SET v = 3 WHERE id = 3"))
		return ex(c2, "CHECKPOINT")
	})
	txn("constraint-primary-key", false, func(c1, _ *sql.Conn) error {
		return ex(c1, "INSERT INTO t VALUES (1, 0)")
	})
	txn("constraint-primary-key-at-commit", false, func(c1, c2 *sql.Conn) error {
		check(ex(c1, "BEGIN", "INSERT INTO t VALUES (100, 0)"))
		check(ex(c2, "BEGIN", "INSERT INTO t VALUES (100, 0)"))
		check(ex(c1, "COMMIT"))
		return ex(c2, "COMMIT")
	})

	// The same file attached twice by one instance.
	{
		path := filepath.Join(dir, "handle.db")
		db, err := sql.Open("duckdb", path)
		check(err)
		_, err = db.Exec(fmt.Sprintf("ATTACH '%s' AS self", path))
		emit("handle-conflict-attach-self", norm(fmt.Sprint(err), 0))
		db.Close()
	}

	// Paths that cannot be a database.
	check(os.Mkdir(filepath.Join(dir, "adir"), 0o755))
	emit("bad-path-directory", norm(openErr(filepath.Join(dir, "adir")), 0))
	check(os.WriteFile(filepath.Join(dir, "text.db"), []byte("not a database, just some text that is long enough to have a header\n"), 0o644))
	emit("bad-path-not-duckdb", norm(openErr(filepath.Join(dir, "text.db")), 0))
	emit("bad-path-missing-read-only", norm(openErr(filepath.Join(dir, "missing.db")+"?access_mode=read_only"), 0))
	emit("bad-path-missing-parent", norm(openErr(filepath.Join(dir, "nodir", "x.db")), 0))

	// The machine, not the code: a full disk, a read-only file system, too little memory. The
	// file-system cases need root (a small tmpfs).
	if os.Geteuid() == 0 {
		small := filepath.Join(dir, "small")
		check(os.Mkdir(small, 0o755))
		if exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", small).Run() == nil {
			path := filepath.Join(small, "full.db")
			db, err := sql.Open("duckdb", path)
			check(err)
			_, err = db.Exec("CREATE TABLE t AS SELECT range AS a, md5(range::VARCHAR) AS b FROM range(1000000)")
			emit("env-disk-full-create", norm(fmt.Sprint(err), 0))
			_, err = db.Exec("CREATE TABLE u (a INTEGER); INSERT INTO u SELECT range FROM range(10); CHECKPOINT")
			if err == nil {
				_, err = db.Exec("INSERT INTO u SELECT range FROM range(1000000)")
			}
			emit("env-disk-full-insert", norm(fmt.Sprint(err), 0))
			db.Close()
			exec.Command("umount", small).Run()
		}
		ro := filepath.Join(dir, "ro")
		check(os.Mkdir(ro, 0o755))
		if exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", ro).Run() == nil {
			path := filepath.Join(ro, "a.db")
			create(path)
			check(exec.Command("mount", "-o", "remount,ro", ro).Run())
			emit("env-read-only-fs-rw-open", norm(openErr(path), 0))
			exec.Command("umount", ro).Run()
		}
	}
	{
		db, err := sql.Open("duckdb", "")
		check(err)
		_, err = db.Exec("SET memory_limit = '16MB'; SET threads = 1; CREATE TABLE big AS SELECT range AS a, repeat('x', 100) AS b FROM range(3000000) ORDER BY b DESC, a DESC")
		emit("env-out-of-memory", norm(fmt.Sprint(err), 0))
		db.Close()
	}

	// A storage format from a later release.
	if *newer != "" {
		abs, _ := filepath.Abs(*newer)
		cp := filepath.Join(dir, "newer.db")
		b, err := os.ReadFile(abs)
		check(err)
		check(os.WriteFile(cp, b, 0o644))
		emit("storage-too-new-rw-open", norm(openErr(cp), 0))
		emit("storage-too-new-ro-open", norm(openErr(cp+"?access_mode=read_only"), 0))
	}
}

// openErr opens dsn and returns the error's text ("(no error)" when it opened).
func openErr(dsn string) string {
	db, err := sql.Open("duckdb", dsn)
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		return err.Error()
	}
	return "(no error)"
}

func create(path string) {
	db, err := sql.Open("duckdb", path)
	check(err)
	_, err = db.Exec("CREATE TABLE IF NOT EXISTS t (a INTEGER)")
	check(err)
	db.Close()
}

// startHolder starts a copy of this program that holds path and waits for its ready line.
func startHolder(exe string, readOnly bool, path string) (int, func()) {
	role := "hold-rw"
	if readOnly {
		role = "hold-ro"
	}
	cmd := exec.Command(exe, role, path)
	out, err := cmd.StdoutPipe()
	check(err)
	check(cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	check(err)
	if !regexp.MustCompile(`^ready`).MatchString(line) {
		panic("holder: " + line)
	}
	return cmd.Process.Pid, func() { cmd.Process.Kill(); cmd.Wait() }
}

// hold opens path and keeps it open until killed.
func hold(readOnly bool, path string) {
	dsn := path
	if readOnly {
		dsn += "?access_mode=read_only"
	}
	db, err := sql.Open("duckdb", dsn)
	check(err)
	check(db.Ping())
	fmt.Println("ready")
	select {}
}

func check(err error) {
	if err != nil {
		panic(err)
	}
}
