// Package doccheck checks the repository's documentation against the
// repository itself, so that the docs cannot quietly point nowhere:
//
//   - every relative link and anchor in README.md and docs/*.md leads to a
//     file that exists and, for a Markdown file, to a heading it has
//     (CheckLinks; anchors are GitHub's, see Slug);
//   - the user documentation names no path that exists only on this
//     project's CI machines (CheckForbidden with CIOnlyPaths);
//   - the code map in docs/architecture.md names every package with exactly
//     the imports the code has (Packages, MapTable, CheckCodeMap);
//   - README's target table names every mage target and nothing else
//     (MageTargets, TargetTable, CheckTargets);
//   - every Markdown file, anchor, README section and repository path a
//     comment cites exists (Comments, CheckCitations).
//
// Each check returns Problems rather than failing, so that its tests can
// feed it broken input and see it complain; the repository's own test runs
// every check over the working tree.
package doccheck

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Problem is one thing a check found wrong, at a line of a file of the
// repository (File is slash-separated and relative to the root).
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// sortProblems orders problems by file and line, so reports are stable.
func sortProblems(ps []Problem) []Problem {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
	return ps
}

// Root returns the repository's root: the nearest directory at or above dir
// that holds go.mod.
func Root(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod at or above the directory")
		}
		dir = parent
	}
}

// skipDir reports whether a walk of the repository leaves out the
// directory: version control, build output, fixtures and hidden tooling
// state. .ci is walked: it holds what CI runs.
func skipDir(rel, name string) bool {
	if rel == "." {
		return false
	}
	switch name {
	case "testdata", "bin", "node_modules", "vendor":
		return true
	}
	return strings.HasPrefix(name, ".") && name != ".ci"
}

// walkFiles calls fn for every regular file of the repository at root
// (directories skipDir names left out) with its slash-separated path
// relative to root and its full path.
func walkFiles(root string, fn func(rel, path string) error) error {
	return filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if skipDir(rel, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return fn(rel, p)
	})
}

// Docs reads README.md and every Markdown file under docs/ of the
// repository at root, keyed by their slash-separated relative path.
func Docs(root string) (map[string]*Doc, error) {
	docs := map[string]*Doc{}
	add := func(rel string) error {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return err
		}
		docs[rel] = Parse(rel, src)
		return nil
	}
	if err := add("README.md"); err != nil {
		return nil, err
	}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".md") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		return add(filepath.ToSlash(rel))
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return docs, nil
}
