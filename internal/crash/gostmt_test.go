package crash

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
