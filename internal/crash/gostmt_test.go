package crash

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// moduleRoot returns the directory of lockbench's go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, dir, parent, "no go.mod above the test's directory")
		dir = parent
	}
}

// TestEveryGoroutineStartsThroughGo keeps the promise of the package: no non-test Go file of
// lockbench has a go statement, or calls a Go method (sync.WaitGroup's, errgroup's), except
// this package's own, and the simulation's scheduler, whose steps run under a recovery of
// their own (runRecovered). A goroutine started any other way would end the program with Go's
// exit code 2 when it panics.
func TestEveryGoroutineStartsThroughGo(t *testing.T) {
	root := moduleRoot(t)
	fset := token.NewFileSet()
	found := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || rel == filepath.Join("internal", "crash") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			text := func() string {
				return string(src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
			}
			switch n := n.(type) {
			case *ast.GoStmt:
				found++
				if filepath.ToSlash(rel) == "sim/exec.go" && strings.Contains(text(), "runRecovered(") {
					return true
				}
				t.Errorf("%s: %s\n\tstart the goroutine with crash.Go (lockbench/internal/crash), so that a panic in it exits 4", fset.Position(n.Pos()), text())
			case *ast.CallExpr:
				sel, ok := n.Fun.(*ast.SelectorExpr)
				if !ok || sel.Sel.Name != "Go" {
					return true
				}
				if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "crash" {
					return true
				}
				t.Errorf("%s: %s\n\tstart the goroutine with crash.GoGroup (lockbench/internal/crash), so that a panic in it exits 4", fset.Position(n.Pos()), text())
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	require.Positive(t, found, "the walk found the scheduler's go statement at least")
}

// TestRaceListsCoverGoroutines: every package whose code starts goroutines (a go statement,
// crash.Go or crash.GoGroup in a non-test file) runs its tests under the race detector in both
// the Makefile's test target and CI (.ci/run), and CI also runs the README's test command.
func TestRaceListsCoverGoroutines(t *testing.T) {
	root := moduleRoot(t)
	fset := token.NewFileSet()
	starts := map[string]bool{} // package directories, slash-separated from the root
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.GoStmt:
				starts[filepath.ToSlash(rel)] = true
			case *ast.SelectorExpr:
				if x, ok := n.X.(*ast.Ident); ok && x.Name == "crash" && (n.Sel.Name == "Go" || n.Sel.Name == "GoGroup") {
					starts[filepath.ToSlash(rel)] = true
				}
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	for _, dir := range []string{"internal/crash", "watch", "access", "history"} {
		require.True(t, starts[dir], "%s starts goroutines: the walk found it", dir)
	}

	for _, file := range []string{"Makefile", ".ci/run"} {
		b, err := os.ReadFile(filepath.Join(root, file))
		require.NoError(t, err)
		var patterns []string
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) > 3 && (f[0] == "go" || f[0] == "$(GO)") && f[1] == "test" && slices.Contains(f, "-race") {
				for _, a := range f[2:] {
					if strings.HasPrefix(a, "./") {
						patterns = append(patterns, strings.TrimPrefix(a, "./"))
					}
				}
			}
		}
		require.NotEmpty(t, patterns, "%s runs no go test -race", file)
		for dir := range starts {
			covered := slices.ContainsFunc(patterns, func(p string) bool {
				base, all := strings.CutSuffix(p, "/...")
				return p == dir || all && (dir == base || strings.HasPrefix(dir, base+"/"))
			})
			assert.True(t, covered, "%s starts goroutines but %s's -race list (%s) leaves it out", dir, file, strings.Join(patterns, " "))
		}
		if file == ".ci/run" {
			assert.Contains(t, strings.Split(string(b), "\n"), "go test ./...", "CI runs the README's test command")
		}
	}
}
