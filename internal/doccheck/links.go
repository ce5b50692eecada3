package doccheck

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// scheme matches a link that leaves the repository (https:, mailto:, ...).
var scheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)

// CheckLinks checks every relative link of docs, files of the repository
// at root: the file or directory it names must exist inside the
// repository, and a fragment must be an anchor of the Markdown file it
// points into (the same file for a bare #fragment). Links with a scheme
// (https:, mailto:) are not followed. A fragment on a file that is not
// Markdown cannot be checked, and is a problem too.
func CheckLinks(root string, docs map[string]*Doc) []Problem {
	var problems []Problem
	other := map[string]*Doc{} // Markdown files outside docs, read when linked
	for _, d := range docs {
		for _, l := range d.Links {
			if l.Target == "" || scheme.MatchString(l.Target) || strings.HasPrefix(l.Target, "//") {
				continue
			}
			bad := func(format string, args ...any) {
				problems = append(problems, Problem{File: d.Path, Line: l.Line, Msg: fmt.Sprintf("link %q: ", l.Target) + fmt.Sprintf(format, args...)})
			}
			target, fragment, _ := strings.Cut(l.Target, "#")
			target, err := url.PathUnescape(target)
			if err != nil {
				bad("%v", err)
				continue
			}
			rel := d.Path
			if target != "" {
				if strings.HasPrefix(target, "/") {
					bad("an absolute path: write it relative to %s", d.Path)
					continue
				}
				rel = path.Join(path.Dir(d.Path), target)
				if rel == ".." || strings.HasPrefix(rel, "../") {
					bad("points outside the repository")
					continue
				}
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
					bad("no such file or directory %s", rel)
					continue
				}
			}
			if fragment == "" {
				continue
			}
			if !strings.HasSuffix(rel, ".md") {
				bad("a fragment on %s, which is not Markdown: it cannot be checked", rel)
				continue
			}
			doc := docs[rel]
			if doc == nil {
				doc = other[rel]
			}
			if doc == nil {
				src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
				if err != nil {
					bad("%v", err)
					continue
				}
				doc = Parse(rel, src)
				other[rel] = doc
			}
			if !doc.HasAnchor(fragment) {
				bad("%s has no heading with the anchor #%s", rel, fragment)
			}
		}
	}
	return sortProblems(problems)
}

// CIOnlyPaths are the paths that exist only on this project's CI machines
// (the shared directory beside the clone and its Docker helper): user
// documentation must say how to get Docker and MySQL instead.
var CIOnlyPaths = []string{"../shared", "/work/shared", "shared/ci/", "docker-env"}

// CheckForbidden reports every line of docs, code blocks included, that
// contains one of the strings.
func CheckForbidden(docs map[string]*Doc, forbidden []string) []Problem {
	var problems []Problem
	for _, d := range docs {
		for i, line := range d.Lines {
			for _, f := range forbidden {
				if strings.Contains(line, f) {
					problems = append(problems, Problem{File: d.Path, Line: i + 1, Msg: fmt.Sprintf("names %q, a path only CI machines have: say how a user gets it instead", f)})
				}
			}
		}
	}
	return sortProblems(problems)
}
