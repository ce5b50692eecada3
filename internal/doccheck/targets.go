package doccheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Targets are the mage targets of the magefiles, named as `mage -l` names
// them (deployAll, lab:failoverUnplanned), and their aliases. Mage matches
// names without regard to case; so do the checks.
type Targets struct {
	Names   []string
	Aliases map[string]string // alias → target
}

// MageTargets reads the targets from the magefiles at root (the files
// with the mage build constraint): every exported function is a target,
// every exported method of a type declared as mg.Namespace is
// namespace:method, and the Aliases map names aliases.
func MageTargets(root string) (Targets, error) {
	t := Targets{Aliases: map[string]string{}}
	files, err := filepath.Glob(filepath.Join(root, "*.go"))
	if err != nil {
		return t, err
	}
	fset := token.NewFileSet()
	var parsed []*ast.File
	namespaces := map[string]bool{}
	for _, name := range files {
		src, err := os.ReadFile(name)
		if err != nil {
			return t, err
		}
		if !strings.Contains(string(src), "//go:build mage") {
			continue
		}
		f, err := parser.ParseFile(fset, name, src, 0)
		if err != nil {
			return t, err
		}
		parsed = append(parsed, f)
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				if sel, ok := ts.Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Namespace" {
					namespaces[ts.Name.Name] = true
				}
			}
		}
	}
	if len(parsed) == 0 {
		return t, fmt.Errorf("no magefile (//go:build mage) in %s", root)
	}
	name := func(ns, fn string) string {
		if ns == "" {
			return lowerFirst(fn)
		}
		return lowerFirst(ns) + ":" + lowerFirst(fn)
	}
	for _, f := range parsed {
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if !d.Name.IsExported() {
					continue
				}
				if d.Recv == nil {
					t.Names = append(t.Names, name("", d.Name.Name))
					continue
				}
				if recv, ok := d.Recv.List[0].Type.(*ast.Ident); ok && namespaces[recv.Name] {
					t.Names = append(t.Names, name(recv.Name, d.Name.Name))
				}
			case *ast.GenDecl:
				if d.Tok != token.VAR {
					continue
				}
				for _, spec := range d.Specs {
					vs := spec.(*ast.ValueSpec)
					for i, id := range vs.Names {
						if id.Name != "Aliases" || i >= len(vs.Values) {
							continue
						}
						lit, ok := vs.Values[i].(*ast.CompositeLit)
						if !ok {
							return t, fmt.Errorf("Aliases is not a map literal")
						}
						for _, elt := range lit.Elts {
							kv := elt.(*ast.KeyValueExpr)
							key, ok := kv.Key.(*ast.BasicLit)
							if !ok {
								return t, fmt.Errorf("an alias that is not a string literal")
							}
							alias, err := strconv.Unquote(key.Value)
							if err != nil {
								return t, err
							}
							switch v := kv.Value.(type) {
							case *ast.Ident:
								t.Aliases[alias] = name("", v.Name)
							case *ast.SelectorExpr:
								t.Aliases[alias] = name(fmt.Sprint(v.X), v.Sel.Name)
							default:
								return t, fmt.Errorf("alias %q: the target is neither F nor Namespace.F", alias)
							}
						}
					}
				}
			}
		}
	}
	sort.Strings(t.Names)
	return t, nil
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

// TargetRow is a row of a target table: the names its first cell gives
// (each a code span, `go tool mage ` optional, arguments left out).
type TargetRow struct {
	Line  int
	Names []string
}

// TargetTable reads every table under the heading title of d.
func TargetTable(d *Doc, title string) ([]TargetRow, error) {
	lines, first, ok := d.Section(title)
	if !ok {
		return nil, fmt.Errorf("%s has no heading %q", d.Path, title)
	}
	var rows []TargetRow
	inTable := false
	for i, line := range lines {
		cells, ok := tableCells(line)
		if !ok {
			inTable = false
			continue
		}
		if !inTable || isDelimiterRow(cells) { // a header, or the row under it
			inTable = true
			continue
		}
		var names []string
		for _, span := range codeSpans(cells[0]) {
			span = strings.TrimPrefix(span, "go tool mage ")
			if f := strings.Fields(span); len(f) > 0 {
				names = append(names, f[0])
			}
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("%s:%d: a target row without a `target`: %q", d.Path, first+i, line)
		}
		rows = append(rows, TargetRow{Line: first + i, Names: names})
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no target table under %q", d.Path, title)
	}
	return rows, nil
}

// CheckTargets compares the target table of the file docPath with the
// magefiles' targets: every name in the table is a target or an alias,
// and every target is in the table, by its name or an alias.
func CheckTargets(docPath string, rows []TargetRow, t Targets) []Problem {
	var problems []Problem
	targets := map[string]string{} // lower-case name or alias → target
	for _, n := range t.Names {
		targets[strings.ToLower(n)] = n
	}
	for a, n := range t.Aliases {
		targets[strings.ToLower(a)] = n
	}
	listed := map[string]bool{}
	for _, r := range rows {
		for _, n := range r.Names {
			target, ok := targets[strings.ToLower(n)]
			if !ok {
				problems = append(problems, Problem{File: docPath, Line: r.Line, Msg: fmt.Sprintf("%s is no mage target", n)})
				continue
			}
			listed[target] = true
		}
	}
	for _, n := range t.Names {
		if !listed[n] {
			problems = append(problems, Problem{File: docPath, Msg: fmt.Sprintf("the target table lacks %s (go tool mage -l lists it)", n)})
		}
	}
	return sortProblems(problems)
}
