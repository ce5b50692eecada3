package doccheck

import (
	"bytes"
	"fmt"
	"go/scanner"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// Comment is one line of a comment in a source file of the repository.
type Comment struct {
	File string // slash-separated, relative to the repository's root
	Line int
	Text string
}

// commentStyle is how a file's comments are written, by its name; "" for
// files whose comments are not read.
func commentStyle(name string, src []byte) string {
	switch path.Ext(name) {
	case ".go":
		return "go"
	case ".js", ".mjs", ".cjs":
		return "//"
	case ".yaml", ".yml", ".toml", ".py", ".sh":
		return "#"
	case "":
		if bytes.HasPrefix(src, []byte("#!")) {
			return "#" // a script such as .ci/run
		}
	}
	return ""
}

// Comments returns the comment lines of a source file: Go comments as the
// Go scanner finds them; in JavaScript, lines that start with //, /* or *
// and the tail of a line after " // "; in YAML, TOML, Python and shell,
// lines that start with # and the tail of a line after " # ". A tail is
// taken only when no quote is open before it. Other files have none.
func Comments(name string, src []byte) []Comment {
	switch style := commentStyle(name, src); style {
	case "go":
		return goComments(name, src)
	case "//", "#":
		return lineComments(name, src, style)
	}
	return nil
}

func goComments(name string, src []byte) []Comment {
	var out []Comment
	fset := token.NewFileSet()
	file := fset.AddFile(name, -1, len(src))
	var s scanner.Scanner
	s.Init(file, src, nil, scanner.ScanComments)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			return out
		}
		if tok != token.COMMENT {
			continue
		}
		line := fset.Position(pos).Line
		for i, text := range strings.Split(lit, "\n") {
			out = append(out, Comment{File: name, Line: line + i, Text: text})
		}
	}
}

func lineComments(name string, src []byte, marker string) []Comment {
	var out []Comment
	for i, line := range strings.Split(string(src), "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, marker),
			marker == "//" && (strings.HasPrefix(trimmed, "/*") || strings.HasPrefix(trimmed, "*")):
			out = append(out, Comment{File: name, Line: i + 1, Text: trimmed})
		default:
			for k, from := 0, 0; ; from = k + 1 {
				j := strings.Index(line[from:], " "+marker+" ")
				if j < 0 {
					break
				}
				if k = from + j; quotesClosed(line[:k]) {
					out = append(out, Comment{File: name, Line: i + 1, Text: line[k+1:]})
					break
				}
			}
		}
	}
	return out
}

// quotesClosed reports whether s leaves no ", ' or ` quote open.
func quotesClosed(s string) bool {
	var open rune
	for _, r := range s {
		switch {
		case open == 0 && (r == '"' || r == '\'' || r == '`'):
			open = r
		case r == open:
			open = 0
		}
	}
	return open == 0
}

// RepoComments returns the comment lines of every source file of the
// repository at root (fixtures under testdata and hidden directories other
// than .ci left out).
func RepoComments(root string) ([]Comment, error) {
	var out []Comment
	err := walkFiles(root, func(rel, p string) error {
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, Comments(rel, src)...)
		return nil
	})
	return out, err
}

var (
	// A Markdown file, with an optional anchor: docs/runbook.md#teardown.
	citedMarkdown = regexp.MustCompile(`(?:^|[^\w./-])((?:[\w.-]+/)*[\w.-]+\.md)(?:#([\w-]+))?\b`)
	// A README section by its name in double quotes, after README,
	// README's or README followed by an opening parenthesis.
	citedReadmeQuoted = regexp.MustCompile(`README(?:\.md)?(?:'s)?\s*[(,]?\s*"([^"]+)"`)
	// A README section after README and a comma, in parentheses.
	citedReadmeParen = regexp.MustCompile(`\(README(?:\.md)?, ([^)"]+)\)`)
	// A path of the repository: pkg/httpapi, internal/lab/globaldb/outage.go.
	citedPath = regexp.MustCompile(`(?:^|[^\w./-])((?:pkg|internal|handlers|events|frontdoor|integration|docs)/[\w./-]*\w)`)
	goIdent   = regexp.MustCompile(`^[A-Za-z_]\w*(?:\.\w+)*$`)
	// What starts a comment line: //, /*, */, * or #.
	commentMarker = regexp.MustCompile(`^\s*(?://+|/\*+|\*+/|\*+|#+)\s?`)
)

// block is a run of comment lines of one file on consecutive lines,
// joined with spaces and without their comment markers, so that a
// citation that wraps ("README (\"Capacity of" / "the passive region\")")
// reads whole.
type block struct {
	file   string
	text   string
	starts []int // offset in text where each line starts
	first  int   // the first line's number
}

// line returns the line number of an offset of the text.
func (b block) line(offset int) int {
	n := 0
	for i, s := range b.starts {
		if s <= offset {
			n = i
		}
	}
	return b.first + n
}

func blocks(comments []Comment) []block {
	var out []block
	for i, c := range comments {
		text := commentMarker.ReplaceAllString(c.Text, "")
		if i == 0 || c.File != comments[i-1].File || c.Line != comments[i-1].Line+1 {
			out = append(out, block{file: c.File, first: c.Line})
		}
		b := &out[len(out)-1]
		if b.text != "" {
			b.text += " "
		}
		b.starts = append(b.starts, len(b.text))
		b.text += strings.TrimSpace(text)
	}
	return out
}

// CheckCitations checks what comments cite: every Markdown file (relative
// to the root, or to the commenting file's directory) must exist and
// every anchor after it must be one of its headings; every README section
// named after README in double quotes, or after README and a comma in
// parentheses, must be a heading of README.md; every path under pkg/,
// internal/, handlers/, events/, frontdoor/, integration/ or docs/ must
// exist. A path may end in .Identifier (pkg/mysql.FenceIDs names FenceIDs
// in pkg/mysql), and a testdata directory of an existing package may not
// exist yet (Go's fuzzer creates testdata/fuzz when an input fails).
// Consecutive comment lines are read as one text, so a citation may wrap.
func CheckCitations(root string, comments []Comment, docs map[string]*Doc) []Problem {
	var problems []Problem
	exists := func(rel string) bool {
		_, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel)))
		return err == nil
	}
	parsed := map[string]*Doc{}
	for k, v := range docs {
		parsed[k] = v
	}
	doc := func(rel string) *Doc {
		if d, ok := parsed[rel]; ok {
			return d
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if err != nil {
			return nil
		}
		d := Parse(rel, src)
		parsed[rel] = d
		return d
	}
	readmeSections := map[string]bool{}
	if d := doc("README.md"); d != nil {
		for _, h := range d.Headings {
			readmeSections[strings.ReplaceAll(h.Text, "`", "")] = true
		}
	}
	for _, b := range blocks(comments) {
		bad := func(offset int, format string, args ...any) {
			problems = append(problems, Problem{File: b.file, Line: b.line(offset), Msg: fmt.Sprintf(format, args...)})
		}
		for _, m := range citedMarkdown.FindAllStringSubmatchIndex(b.text, -1) {
			cited := b.text[m[2]:m[3]]
			rel := cited
			if !exists(rel) {
				if local := path.Join(path.Dir(b.file), rel); exists(local) {
					rel = local
				} else {
					bad(m[2], "the comment cites %s, which is not in the repository", cited)
					continue
				}
			}
			if m[4] < 0 {
				continue
			}
			if d, anchor := doc(rel), b.text[m[4]:m[5]]; d == nil || !d.HasAnchor(anchor) {
				bad(m[2], "the comment cites %s#%s, but %s has no such heading", cited, anchor, rel)
			}
		}
		for _, re := range []*regexp.Regexp{citedReadmeQuoted, citedReadmeParen} {
			for _, m := range re.FindAllStringSubmatchIndex(b.text, -1) {
				if section := b.text[m[2]:m[3]]; !readmeSections[section] {
					bad(m[0], "the comment cites README's %q, which is no section of README.md (moved to docs/?)", section)
				}
			}
		}
		for _, m := range citedPath.FindAllStringSubmatchIndex(b.text, -1) {
			p := strings.TrimRight(b.text[m[2]:m[3]], ".")
			if exists(p) || citedIdentifier(p, exists) || futureTestdata(p, exists) {
				continue
			}
			bad(m[2], "the comment cites %s, which is not in the repository", p)
		}
	}
	return sortProblems(problems)
}

// citedIdentifier reports whether p is a package path followed by
// .Identifier, such as pkg/mysql.FenceIDs.
func citedIdentifier(p string, exists func(string) bool) bool {
	dir, ident := path.Split(p)
	pkg, name, ok := strings.Cut(ident, ".")
	return ok && goIdent.MatchString(name) && exists(dir+pkg)
}

// futureTestdata reports whether p lies under the testdata directory of
// an existing directory, which tools such as Go's fuzzer create on demand.
func futureTestdata(p string, exists func(string) bool) bool {
	dir, _, ok := strings.Cut(p, "/testdata/")
	return ok && exists(dir)
}
