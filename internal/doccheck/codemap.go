package doccheck

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// ModulePath reads the module path from the go.mod at root.
func ModulePath(root string) (string, error) {
	src, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	sc := bufio.NewScanner(bytes.NewReader(src))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", errors.New("go.mod has no module line")
}

// Packages returns every package of the module at root but the root's own
// (the magefiles), keyed by its slash-separated directory, with the
// directories of the module's packages its non-test files import, sorted.
// Files of every build constraint count: an import behind one is an arrow
// all the same.
func Packages(root string) (map[string][]string, error) {
	module, err := ModulePath(root)
	if err != nil {
		return nil, err
	}
	pkgs := map[string][]string{}
	err = walkFiles(root, func(rel, p string) error {
		name := path.Base(rel)
		dir := path.Dir(rel)
		if dir == "." || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		imports := pkgs[dir]
		if imports == nil {
			imports = []string{}
		}
		for _, spec := range f.Imports {
			ip, err := strconv.Unquote(spec.Path.Value)
			if err != nil {
				return err
			}
			if own, ok := strings.CutPrefix(ip, module+"/"); ok && !slices.Contains(imports, own) {
				imports = append(imports, own)
			}
		}
		pkgs[dir] = imports
		return nil
	})
	for _, imports := range pkgs {
		sort.Strings(imports)
	}
	return pkgs, err
}

// MapRow is a row of the code map: a package and the imports the map
// says it has.
type MapRow struct {
	Line    int
	Package string
	Imports []string
}

var linkedPackage = regexp.MustCompile("^\\[`([^`]+)`\\]\\([^)]*\\)$")

// MapTable reads the table under the heading title of d: each row names a
// package in its first cell, as a link whose text is the package's
// directory in a code span ([`pkg/todo`](../pkg/todo)), and its imports in
// the last cell, each a code span, or "—" for none.
func MapTable(d *Doc, title string) ([]MapRow, error) {
	lines, first, ok := d.Section(title)
	if !ok {
		return nil, fmt.Errorf("%s has no heading %q", d.Path, title)
	}
	var rows []MapRow
	header := true
	for i, line := range lines {
		cells, ok := tableCells(line)
		if !ok {
			if len(rows) > 0 {
				break
			}
			continue
		}
		if header || isDelimiterRow(cells) {
			header = false
			continue
		}
		m := linkedPackage.FindStringSubmatch(cells[0])
		if m == nil || len(cells) < 2 {
			return nil, fmt.Errorf("%s:%d: a row of the code map must start with [`dir`](link) and end with its imports: %q", d.Path, first+i, line)
		}
		imports := codeSpans(cells[len(cells)-1])
		if len(imports) == 0 && cells[len(cells)-1] != "—" {
			return nil, fmt.Errorf("%s:%d: the imports of %s are neither code spans nor —", d.Path, first+i, m[1])
		}
		sort.Strings(imports)
		rows = append(rows, MapRow{Line: first + i, Package: m[1], Imports: imports})
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no table under %q", d.Path, title)
	}
	return rows, nil
}

// CheckCodeMap compares the code map's rows (of the file mapPath) with
// the packages: every package has exactly one row, every row is a
// package, and each row's imports are the package's.
func CheckCodeMap(mapPath string, rows []MapRow, pkgs map[string][]string) []Problem {
	var problems []Problem
	seen := map[string]bool{}
	for _, r := range rows {
		bad := func(format string, args ...any) {
			problems = append(problems, Problem{File: mapPath, Line: r.Line, Msg: fmt.Sprintf(format, args...)})
		}
		if seen[r.Package] {
			bad("%s has two rows", r.Package)
			continue
		}
		seen[r.Package] = true
		imports, ok := pkgs[r.Package]
		if !ok {
			bad("%s is no package of the module", r.Package)
			continue
		}
		if missing := minus(imports, r.Imports); len(missing) > 0 {
			bad("%s imports %s, which the map does not say", r.Package, strings.Join(missing, ", "))
		}
		if extra := minus(r.Imports, imports); len(extra) > 0 {
			bad("the map says %s imports %s, which it does not", r.Package, strings.Join(extra, ", "))
		}
	}
	var absent []string
	for p := range pkgs {
		if !seen[p] {
			absent = append(absent, p)
		}
	}
	sort.Strings(absent)
	for _, p := range absent {
		problems = append(problems, Problem{File: mapPath, Msg: fmt.Sprintf("package %s has no row in the code map", p)})
	}
	return sortProblems(problems)
}

// minus returns the elements of a that are not in b.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}
