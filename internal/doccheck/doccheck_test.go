package doccheck

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// repo returns the repository's root and its documentation.
func repo(tb testing.TB) (string, map[string]*Doc) {
	tb.Helper()
	root, err := Root(".")
	if err != nil {
		tb.Fatal(err)
	}
	docs, err := Docs(root)
	if err != nil {
		tb.Fatal(err)
	}
	return root, docs
}

func report(t *testing.T, problems []Problem) {
	t.Helper()
	for _, p := range problems {
		t.Error(p)
	}
}

// TestDocsExist pins the pages the documentation is split into: a front
// page short enough to be one, and a page for each reader.
func TestDocsExist(t *testing.T) {
	_, docs := repo(t)
	for _, page := range []string{"README.md", "docs/api.md", "docs/architecture.md", "docs/runbook.md", "docs/lab.md", "docs/development.md", "docs/known-limits.md"} {
		if docs[page] == nil {
			t.Errorf("%s is missing", page)
		}
	}
	if readme := docs["README.md"]; readme != nil && len(readme.Lines) > 220 {
		t.Errorf("README.md has %d lines: the front page is meant to stay at about 200; move the detail to docs/", len(readme.Lines))
	}
}

func TestLinksAndAnchors(t *testing.T) {
	root, docs := repo(t)
	report(t, CheckLinks(root, docs))
}

func TestNoCIOnlyPaths(t *testing.T) {
	_, docs := repo(t)
	report(t, CheckForbidden(docs, CIOnlyPaths))
}

func TestCommentsCiteWhatExists(t *testing.T) {
	root, docs := repo(t)
	comments, err := RepoComments(root)
	if err != nil {
		t.Fatal(err)
	}
	report(t, CheckCitations(root, comments, docs))
}

func TestCodeMap(t *testing.T) {
	root, docs := repo(t)
	pkgs, err := Packages(root)
	if err != nil {
		t.Fatal(err)
	}
	const page = "docs/architecture.md"
	rows, err := MapTable(docs[page], "Every package")
	if err != nil {
		t.Fatal(err)
	}
	report(t, CheckCodeMap(page, rows, pkgs))
}

func TestTargetTable(t *testing.T) {
	root, docs := repo(t)
	targets, err := MageTargets(root)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := TargetTable(docs["README.md"], "Targets")
	if err != nil {
		t.Fatal(err)
	}
	report(t, CheckTargets("README.md", rows, targets))
}

// The checks themselves, on broken input.

func TestSlug(t *testing.T) {
	for _, tt := range []struct{ heading, want string }{
		{"The API", "the-api"},
		{"Game-day drill (`go tool mage drill`)", "game-day-drill-go-tool-mage-drill"},
		{"The Lambda binaries under AWS's emulator", "the-lambda-binaries-under-awss-emulator"},
		{"The loss bound: lag history around the fault", "the-loss-bound-lag-history-around-the-fault"},
		{"`sam local start-api`", "sam-local-start-api"},
		{"Unplanned failover (the writer's region is down)", "unplanned-failover-the-writers-region-is-down"},
		{"Ids and ETags across a failover", "ids-and-etags-across-a-failover"},
		{"TODOMGMT_REGION & friends", "todomgmt_region--friends"},
		{"A [link](x.md) in it", "a-link-in-it"},
		{"Coût café", "coût-café"},
	} {
		t.Run(tt.heading, func(t *testing.T) {
			if got := Slug(tt.heading); got != tt.want {
				t.Errorf("Slug(%q) = %q, want %q", tt.heading, got, tt.want)
			}
		})
	}
}

const sample = "# Title\n" +
	"\n" +
	"A [link](other.md#part) and `[not a link](nowhere.md)` and ``a `[code](x)` span``.\n" +
	"\n" +
	"```sh\n" +
	"# not a heading\n" +
	"[not a link](nowhere.md)\n" +
	"```\n" +
	"\n" +
	"## Part\n" +
	"## Part\n" +
	"<a id=\"custom\"></a>\n" +
	"[ref]: ../up.md\n" +
	"![image](pic.png \"title\")\n"

func TestParse(t *testing.T) {
	d := Parse("docs/x.md", []byte(sample))
	var anchors []string
	for _, h := range d.Headings {
		anchors = append(anchors, h.Anchor)
	}
	if want := []string{"title", "part", "part-1"}; !slices.Equal(anchors, want) {
		t.Errorf("anchors %v, want %v", anchors, want)
	}
	if !d.HasAnchor("custom") {
		t.Error("the <a id> anchor is not found")
	}
	var targets []string
	for _, l := range d.Links {
		targets = append(targets, l.Target)
	}
	if want := []string{"other.md#part", "../up.md", "pic.png"}; !slices.Equal(targets, want) {
		t.Errorf("links %v, want %v (none from code)", targets, want)
	}
}

// writeTree creates files under a temporary root and returns it.
func writeTree(tb testing.TB, files map[string]string) string {
	tb.Helper()
	root := tb.TempDir()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return root
}

// wantProblems fails unless each problem contains the matching substring,
// in order, and there are no others.
func wantProblems(t *testing.T, got []Problem, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(got), len(want), got)
	}
	for i, w := range want {
		if !strings.Contains(got[i].String(), w) {
			t.Errorf("problem %d: got %q, want it to contain %q", i, got[i], w)
		}
	}
}

func TestCheckLinks(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.mod":    "module example.com/m\n",
		"README.md": "# Top\n\n[ok](docs/a.md#one) [dir](pkg) [self](#top) [web](https://example.com/x#y)\n[gone](docs/gone.md) [anchor](docs/a.md#two) [self](#nope)\n",
		"docs/a.md": "# One\n\n[up](../README.md#top) [out](../../elsewhere.md) [code](../pkg/x.go#L3) [abs](/README.md)\n",
		"pkg/x.go":  "package x\n",
	})
	docs, err := Docs(root)
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, CheckLinks(root, docs),
		`README.md:4: link "docs/gone.md": no such file`,
		`README.md:4: link "docs/a.md#two": docs/a.md has no heading with the anchor #two`,
		`README.md:4: link "#nope": README.md has no heading`,
		`docs/a.md:3: link "../../elsewhere.md": points outside the repository`,
		`docs/a.md:3: link "../pkg/x.go#L3": a fragment on pkg/x.go, which is not Markdown`,
		`docs/a.md:3: link "/README.md": an absolute path`,
	)
}

func TestCheckForbidden(t *testing.T) {
	docs := map[string]*Doc{"README.md": Parse("README.md", []byte("# X\n\n```sh\neval \"$(../shared/ci/docker-env)\"\n```\n"))}
	got := CheckForbidden(docs, CIOnlyPaths)
	if len(got) == 0 || got[0].Line != 4 {
		t.Errorf("got %v, want problems on line 4", got)
	}
}

func TestComments(t *testing.T) {
	for _, tt := range []struct {
		name, src string
		want      []string
	}{
		{"x.go", "// Package x, see a.md.\npackage x\n\nvar s = \"// not a comment\" /* b.md\nc.md */\n", []string{"// Package x, see a.md.", "/* b.md", "c.md */"}},
		{"t.yaml", "# a.md\nkey: value # b.md\nurl: \"http://x # not\"\n", []string{"# a.md", "# b.md"}},
		{"r.js", "// a.md\nconst u = 'x // not'; // b.md\n/*\n * c.md\n */\n", []string{"// a.md", "// b.md", "/*", "* c.md", "*/"}},
		{"run", "#!/bin/sh\n# a.md\necho x\n", []string{"#!/bin/sh", "# a.md"}},
		{"notes.txt", "# a.md\n", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, c := range Comments(tt.name, []byte(tt.src)) {
				got = append(got, c.Text)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckCitations(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.mod":          "module example.com/m\n",
		"README.md":       "# Top\n\n## The API\n",
		"docs/runbook.md": "# Runbook\n\n## Teardown\n",
		"pkg/a/a.go":      "package a\n",
	})
	docs, err := Docs(root)
	if err != nil {
		t.Fatal(err)
	}
	src := `// Fine: docs/runbook.md#teardown, README.md, README's "The API",
// (README, The API), pkg/a, pkg/a/a.go, pkg/a.Func, pkg/a/testdata/fuzz,
// github.com/x/internal/v4a, hashlib.md5.
// Broken: ARCHITECTURE.md §3, docs/runbook.md#deploy,
// README's "Benchmarks", (README, Round trips), pkg/lab/globaldb.
package a
`
	wantProblems(t, CheckCitations(root, Comments("pkg/a/a.go", []byte(src)), docs),
		"pkg/a/a.go:4: the comment cites ARCHITECTURE.md, which is not in the repository",
		"pkg/a/a.go:4: the comment cites docs/runbook.md#deploy, but docs/runbook.md has no such heading",
		`pkg/a/a.go:5: the comment cites README's "Benchmarks"`,
		`pkg/a/a.go:5: the comment cites README's "Round trips"`,
		"pkg/a/a.go:5: the comment cites pkg/lab/globaldb, which is not in the repository",
	)
}

func TestCheckCodeMap(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.mod":              "module example.com/m\n",
		"README.md":           "# M\n",
		"magefile.go":         "//go:build mage\n\npackage main\n\nimport _ \"example.com/m/pkg/b\"\n",
		"pkg/a/a.go":          "package a\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/m/pkg/b\"\n)\n\nvar _ = fmt.Sprint\n",
		"pkg/a/a_test.go":     "package a\n\nimport _ \"example.com/m/pkg/c\"\n",
		"pkg/b/b.go":          "package b\n",
		"pkg/c/c.go":          "package c\n",
		"pkg/c/testdata/x.go": "package ignored\n",
		"docs/architecture.md": "# Map\n\n## Every package\n\n| Package | Job | Imports |\n|---|---|---|\n" +
			"| [`pkg/a`](../pkg/a) | a | `pkg/c` |\n" +
			"| [`pkg/b`](../pkg/b) | b | — |\n" +
			"| [`pkg/z`](../pkg/z) | z | — |\n",
	})
	pkgs, err := Packages(root)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"pkg/a": {"pkg/b"}, "pkg/b": {}, "pkg/c": {}}
	if len(pkgs) != len(want) {
		t.Fatalf("Packages = %v, want %v", pkgs, want)
	}
	for p, imports := range want {
		if !slices.Equal(pkgs[p], imports) {
			t.Errorf("Packages[%s] = %v, want %v", p, pkgs[p], imports)
		}
	}
	docs, err := Docs(root)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := MapTable(docs["docs/architecture.md"], "Every package")
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, CheckCodeMap("docs/architecture.md", rows, pkgs),
		"docs/architecture.md: package pkg/c has no row",
		"docs/architecture.md:7: pkg/a imports pkg/b, which the map does not say",
		"docs/architecture.md:7: the map says pkg/a imports pkg/c, which it does not",
		"docs/architecture.md:9: pkg/z is no package",
	)
}

func TestCheckTargets(t *testing.T) {
	root := writeTree(t, map[string]string{
		"go.mod": "module example.com/m\n",
		"magefile.go": "//go:build mage\n\npackage main\n\nimport \"github.com/magefile/mage/mg\"\n\n" +
			"var Aliases = map[string]interface{}{\"deploy\": DeployAll, \"lab:failover:unplanned\": Lab.FailoverUnplanned}\n\n" +
			"type Lab mg.Namespace\n\n" +
			"// Build builds.\nfunc Build() error { return nil }\n\n" +
			"func DeployAll() error { return nil }\n\n" +
			"func helper() {}\n\n" +
			"func (Lab) Up() error { return nil }\n\n" +
			"func (Lab) FailoverUnplanned() error { return nil }\n",
		"other.go": "package main\n\nfunc NotATarget() {}\n",
	})
	targets, err := MageTargets(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"build", "deployAll", "lab:failoverUnplanned", "lab:up"}; !slices.Equal(targets.Names, want) {
		t.Errorf("targets %v, want %v", targets.Names, want)
	}
	if got := targets.Aliases["lab:failover:unplanned"]; got != "lab:failoverUnplanned" {
		t.Errorf("alias lab:failover:unplanned names %q", got)
	}
	readme := Parse("README.md", []byte("# X\n\n## Targets\n\n| Target | Does |\n|---|---|\n"+
		"| `deploy` | d |\n| `go tool mage lab:failover:unplanned` | u |\n| `lab:down` | gone |\n\n"+
		"| Target | Does |\n|---|---|\n| `Build <arg>` | b |\n\n## Next\n\n| `lab:up` | not in the section |\n"))
	rows, err := TargetTable(readme, "Targets")
	if err != nil {
		t.Fatal(err)
	}
	wantProblems(t, CheckTargets("README.md", rows, targets),
		"README.md: the target table lacks lab:up",
		"README.md:9: lab:down is no mage target",
	)
}
