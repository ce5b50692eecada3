// Package checktest loads the repository's template.yaml (as written and
// through the SAM translator), samconfig.toml, env.json and
// frontdoor/router.js as a designcheck.Input for the checks' tests, and
// runs the two tests every topic package has: the template passes each
// check, and each check catches the copies of the files its mutations
// break.
package checktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/samcheck"
	"github.com/todomgmt/todomgmt/pkg/lambdabuild"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// Main runs a test binary of the checks: the translator's output for the
// repository's template is written once for the whole binary into a
// temporary directory, removed at the end. A package's TestMain calls
// os.Exit(checktest.Main(m)).
func Main(m *testing.M) int {
	dir, err := os.MkdirTemp("", "designcheck-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	testDir = dir
	defer os.RemoveAll(dir)
	return m.Run()
}

// testDir holds the translator's output for the whole test binary.
var testDir string

// repoRoot is the module's root: the nearest directory above the test's
// working directory (its package's) that holds go.mod.
var repoRoot = sync.OnceValues(func() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
})

// Path returns the absolute path of a file of the repository, such as
// "template.yaml" or "README.md".
func Path(tb testing.TB, name string) string {
	tb.Helper()
	root, err := repoRoot()
	if err != nil {
		tb.Fatal(err)
	}
	return filepath.Join(root, name)
}

// repoFiles are the repository's template.yaml (parsed), samconfig.toml,
// env.json and frontdoor/router.js.
type repoFiles struct {
	template                   *designcheck.Template
	samconfig, envJSON, router []byte
}

// readRepo reads and parses the files once for all tests.
var readRepo = sync.OnceValues(func() (*repoFiles, error) {
	var errs []error
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		errs = append(errs, err)
		return b
	}
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	tpl := read(filepath.Join(root, "template.yaml"))
	f := &repoFiles{samconfig: read(filepath.Join(root, "samconfig.toml")), envJSON: read(filepath.Join(root, "env.json")),
		router: read(filepath.Join(root, "frontdoor", "router.js"))}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	f.template, err = designcheck.Parse(tpl)
	return f, err
})

// Source returns the repository's files as an Input of the test's
// own, which it may break, with the parameter sets but no translation.
func Source(tb testing.TB) *designcheck.Input {
	tb.Helper()
	files, err := readRepo()
	if err != nil {
		tb.Fatal(err)
	}
	sc, err := samconfig.Parse(files.samconfig)
	if err != nil {
		tb.Fatal(err)
	}
	sets, err := samcheck.ParameterSets(sc)
	if err != nil {
		tb.Fatal(err)
	}
	var env map[string]map[string]string
	if err := json.Unmarshal(files.envJSON, &env); err != nil {
		tb.Fatalf("parse env.json: %v", err)
	}
	var handlers []string
	for _, f := range lambdabuild.Functions {
		handlers = append(handlers, strings.TrimPrefix(f.Package, "./"))
	}
	return &designcheck.Input{Source: files.template.Clone(), SamConfig: sc, Sets: sets, Translated: map[string]*designcheck.Template{},
		RouterJS: string(files.router), Handlers: handlers, EnvJSON: env}
}

// Translated returns Source's Input with the translator's output for
// every parameter set. It skips the test when the translator is missing.
func Translated(tb testing.TB) *designcheck.Input {
	tb.Helper()
	in := Source(tb)
	tpls, err := repoTranslations()
	SkipWithoutTools(tb, err)
	if err != nil {
		tb.Fatal(err)
	}
	for name, t := range tpls {
		in.Translated[name] = t.Clone()
	}
	return in
}

// SkipWithoutTools skips the test when err says the SAM translator is
// missing, and fails it when the tools are required (CI).
func SkipWithoutTools(tb testing.TB, err error) {
	tb.Helper()
	if !errors.Is(err, samcheck.ErrToolsMissing) {
		return
	}
	if samcheck.ToolsRequired() {
		tb.Fatalf("%v (CI or TODOMGMT_REQUIRE_DOCKER is set)", err)
	}
	tb.Skipf("SKIPPED: %v", err)
}

// repoTranslations translates template.yaml for every parameter set,
// once for all tests.
var repoTranslations = sync.OnceValues(func() (map[string]*designcheck.Template, error) {
	if testDir == "" {
		return nil, errors.New("the package's TestMain does not run checktest.Main, which makes the directory for the translations")
	}
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	sc, err := samconfig.Load(filepath.Join(root, "samconfig.toml"))
	if err != nil {
		return nil, err
	}
	sets, err := samcheck.ParameterSets(sc)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(root, "template.yaml")
	var jobs []samcheck.Job
	for _, s := range sets {
		jobs = append(jobs, samcheck.JobFor(s, path))
	}
	out := filepath.Join(testDir, "repo")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	_, trs, err := samcheck.Translator{Workers: runtime.NumCPU()}.Translate(context.Background(), out, jobs)
	if err != nil {
		return nil, err
	}
	tpls := map[string]*designcheck.Template{}
	for _, tr := range trs {
		if len(tr.Errors) > 0 {
			return nil, fmt.Errorf("the SAM translator refuses template.yaml for %s: %s", tr.Name, strings.Join(tr.Errors, "; "))
		}
		if tpls[tr.Name], err = parseFile(tr.File); err != nil {
			return nil, err
		}
	}
	return tpls, nil
})

func parseFile(file string) (*designcheck.Template, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	t, err := designcheck.ParseJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return t, nil
}

// JSON renders a node as compact JSON (scalars as strings).
func JSON(n *yaml.Node) string {
	var conv func(*yaml.Node) any
	conv = func(n *yaml.Node) any {
		switch n.Kind {
		case yaml.MappingNode:
			m := map[string]any{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				m[n.Content[i].Value] = conv(n.Content[i+1])
			}
			return m
		case yaml.SequenceNode:
			l := []any{}
			for _, c := range n.Content {
				l = append(l, conv(c))
			}
			return l
		}
		return n.Value
	}
	if n == nil {
		return "null"
	}
	b, _ := json.Marshal(conv(n))
	return string(b)
}
