package vocab

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vocabTypes are the types whose values are spelled only in this package.
var vocabTypes = []string{"WorkloadKind", "Mode", "Strategy", "CompetitorKind", "Kind", "Sub", "Role", "Metric"}

// sameWord lists the string literals outside vocab that spell a vocabulary value without
// meaning it: another vocabulary that happens to use the same word. Each entry is a file
// (slash-separated, from the module root), the word, and why it is not the vocabulary's.
var sameWord = []struct{ file, word, why string }{
	{"harness/competitor/competitor.go", "dropped", "a competitor event's action (ActionDropped), not the txn-conflict sub-kind"},
	{"harness/repro/inprocess.go", "update", "the repro case's own log of its UPDATE statement"},
	{"harness/repro/inprocess.go", "delete", "the repro case's own log of its DELETE statement"},
	{"harness/repro/repro.go", "worker", "the `lockbench worker` subcommand, not the holder role"},
	{"sim/worker.go", "worker", "the `lockbench worker` subcommand, not the holder role"},
	{"outcome/badpath.go", "permission", "a reason of BadPathError (PathPermission), its own vocabulary"},
	{"outcome/badpath.go", "read-only-fs", "a reason of BadPathError (PathReadOnlyFS), its own vocabulary"},
	{"reports/strategies.go", "competitor", "the scenario axis named competitor, not the holder role"},
	{"reports/svg.go", "competitor", "the label of the timeline row of competitor spans"},
	{"reports/releases.go", "competitor", "the scenario axis named competitor, not the holder role"},
	{"reports/upgrade.go", "competitor", "a word of the upgrade answer's prose (\"a 1.5.6 competitor\")"},
	{"reports/upgrade.go", "readers", "a word of the upgrade answer's prose (\"upgrade the readers\")"},
	{"reports/upgrade.go", "viewers", "a word of the upgrade answer's prose (\"upgrade the viewers\")"},
	{"reports/tables.go", "wall", "a column header, a word for readers"},
	{"reports/tables.go", "overhead", "a column header, a word for readers"},
	{"reports/tables.go", "sql", "a column header, a word for readers"},
	{"scenarios/yamlpos.go", "timeout", "the scenario file's timeout key, not the outcome kind"},
	{"sim/plan.go", "checkpoint", "the name of a built-in simulation step"},
	{"sim/steps.go", "none", "how a data-quality error prints a missing number"},
	{"trace/trace.go", "checkpoint", "a span kind (trace.Checkpoint), the spans' own vocabulary"},
	{"trace/trace.go", "competitor", "a span kind (trace.Competitor), the spans' own vocabulary"},
}

// vocabularyValues returns every value of vocabTypes declared in this package's non-test files,
// with the constant that declares it.
func vocabularyValues(t *testing.T, fset *token.FileSet) map[string]string {
	t.Helper()
	names, err := filepath.Glob("*.go")
	require.NoError(t, err)
	values := map[string]string{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				typ, ok := vs.Type.(*ast.Ident)
				if !ok || !slices.Contains(vocabTypes, typ.Name) {
					continue
				}
				for i, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					s, err := strconv.Unquote(lit.Value)
					require.NoError(t, err)
					values[s] = typ.Name + " " + vs.Names[i].Name
				}
			}
		}
	}
	return values
}

// TestVocabularyIsSpelledOnlyHere walks every non-test Go file of the module outside vocab and
// fails on a string literal that spells a mode, strategy, competitor kind, workload kind,
// outcome kind, sub-kind, holder role or metric: other packages write string(vocab.Threaded),
// never "threaded", so that a value is changed in one place. The words in sameWord are the
// known coincidences; an entry that no longer occurs fails too, so the list stays true.
func TestVocabularyIsSpelledOnlyHere(t *testing.T) {
	fset := token.NewFileSet()
	values := vocabularyValues(t, fset)
	for _, v := range []string{"threaded", "publish", "reader-process", "exec", "lock-conflict", "oom-kill", "outside-namespace", "overhead"} {
		require.Contains(t, values, v, "the vocabulary was read")
	}

	root, err := filepath.Abs("..")
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(root, "go.mod"))
	require.NoError(t, err, "vocab sits at the module root")
	used := map[[2]string]bool{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "vocab" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ImportSpec:
				return false
			case *ast.BasicLit:
				if n.Kind != token.STRING {
					return true
				}
				s, err := strconv.Unquote(n.Value)
				if err != nil {
					return true
				}
				decl, ok := values[s]
				if !ok {
					return true
				}
				if slices.ContainsFunc(sameWord, func(w struct{ file, word, why string }) bool { return w.file == rel && w.word == s }) {
					used[[2]string{rel, s}] = true
					return true
				}
				t.Errorf("%s: %q spells %s: use the constant (string(vocab.%s) where a string is needed)",
					fset.Position(n.Pos()), s, decl, strings.Fields(decl)[1])
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	for _, w := range sameWord {
		assert.True(t, used[[2]string{w.file, w.word}], "sameWord lists %q in %s, which no longer spells it: drop the entry", w.word, w.file)
	}
}
