package doccheck

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// Doc is a Markdown file as the checks read it: its headings with their
// anchors and its links, each with its line number. Text inside fenced
// code blocks and code spans is neither a heading nor a link.
type Doc struct {
	Path     string // slash-separated, relative to the repository's root
	Lines    []string
	Headings []Heading
	Links    []Link
	anchors  map[string]bool
}

// Heading is an ATX heading (`## Text`).
type Heading struct {
	Line   int
	Level  int
	Text   string // as written, without the #s
	Anchor string // GitHub's id for it, with -1, -2, ... on repeats
}

// Link is the target of an inline link or image, or of a link reference
// definition, as written (not yet resolved).
type Link struct {
	Line   int
	Target string
}

// HasAnchor reports whether a fragment of the page's URL lands on a
// heading (or an explicit <a id|name="..."> anchor).
func (d *Doc) HasAnchor(fragment string) bool { return d.anchors[fragment] }

var (
	atxHeading   = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	fenceOpen    = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})")
	inlineLink   = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]*)>?(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)`)
	refDef       = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?`)
	htmlAnchor   = regexp.MustCompile(`<a\s+(?:id|name)="([^"]+)"`)
	linkText     = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	htmlTag      = regexp.MustCompile(`<[^>]+>`)
	backtickRuns = regexp.MustCompile("`+")
)

// Parse reads a Markdown file.
func Parse(path string, src []byte) *Doc {
	d := &Doc{Path: path, Lines: strings.Split(string(src), "\n"), anchors: map[string]bool{}}
	seen := map[string]int{}
	fence := ""
	for i, line := range d.Lines {
		n := i + 1
		if fence != "" {
			if m := fenceOpen.FindStringSubmatch(line); m != nil && m[1][0] == fence[0] && len(m[1]) >= len(fence) && strings.TrimSpace(line[len(m[0]):]) == "" {
				fence = ""
			}
			continue
		}
		if m := fenceOpen.FindStringSubmatch(line); m != nil {
			fence = m[1]
			continue
		}
		for _, m := range htmlAnchor.FindAllStringSubmatch(line, -1) {
			d.anchors[m[1]] = true
		}
		if m := atxHeading.FindStringSubmatch(line); m != nil {
			text := m[2]
			slug := Slug(text)
			anchor := slug
			if k := seen[slug]; k > 0 {
				anchor = slug + "-" + strconv.Itoa(k)
			}
			seen[slug]++
			d.anchors[anchor] = true
			d.Headings = append(d.Headings, Heading{Line: n, Level: len(m[1]), Text: text, Anchor: anchor})
		}
		if m := refDef.FindStringSubmatch(line); m != nil {
			d.Links = append(d.Links, Link{Line: n, Target: m[1]})
			continue
		}
		for _, m := range inlineLink.FindAllStringSubmatch(blankCodeSpans(line), -1) {
			d.Links = append(d.Links, Link{Line: n, Target: m[1]})
		}
	}
	return d
}

// blankCodeSpans replaces every code span of a line, backticks included,
// with spaces, so that what it quotes is not read as a link. A span opens
// with a run of backticks and closes with a run of the same length; an
// unmatched run is literal text.
func blankCodeSpans(line string) string {
	b := []byte(line)
	runs := backtickRuns.FindAllStringIndex(line, -1)
	for i := 0; i < len(runs); i++ {
		open := runs[i]
		for j := i + 1; j < len(runs); j++ {
			if runs[j][1]-runs[j][0] == open[1]-open[0] {
				for k := open[0]; k < runs[j][1]; k++ {
					b[k] = ' '
				}
				i = j
				break
			}
		}
	}
	return string(b)
}

// Slug is the anchor GitHub gives a heading: the rendered text (code
// spans keep what they quote, links keep their text, HTML tags go) in
// lower case, every letter, digit, mark, hyphen and underscore kept, every
// space a hyphen, everything else (punctuation, symbols) dropped. So
// "Game-day drill (`go tool mage drill`)" is game-day-drill-go-tool-mage-drill
// and "The Lambda binaries under AWS's emulator" is
// the-lambda-binaries-under-awss-emulator.
func Slug(heading string) string {
	text := linkText.ReplaceAllString(heading, "$1")
	text = htmlTag.ReplaceAllString(text, "")
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(text)) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Section returns the lines under the first heading whose text is title,
// up to the next heading of the same or a higher level, and the line
// number of the first of them; ok is false when there is no such heading.
func (d *Doc) Section(title string) (lines []string, first int, ok bool) {
	for i, h := range d.Headings {
		if h.Text != title {
			continue
		}
		end := len(d.Lines)
		for _, next := range d.Headings[i+1:] {
			if next.Level <= h.Level {
				end = next.Line - 1
				break
			}
		}
		return d.Lines[h.Line:end], h.Line + 1, true
	}
	return nil, 0, false
}

// tableCells splits a Markdown table row into its trimmed cells, honouring
// `\|` as a pipe inside a cell; ok is false when the line is not a row.
func tableCells(line string) (cells []string, ok bool) {
	line = strings.TrimSpace(line)
	if !strings.HasPrefix(line, "|") {
		return nil, false
	}
	var cur strings.Builder
	for i := 1; i < len(line); i++ {
		switch {
		case line[i] == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteByte('|')
			i++
		case line[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(line[i])
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		cells = append(cells, rest)
	}
	return cells, true
}

// isDelimiterRow reports whether cells are a table's |---|---| row.
func isDelimiterRow(cells []string) bool {
	for _, c := range cells {
		if strings.Trim(c, ":- ") != "" || !strings.Contains(c, "-") {
			return false
		}
	}
	return len(cells) > 0
}

var codeSpan = regexp.MustCompile("`([^`]+)`")

// codeSpans returns what each code span of s quotes.
func codeSpans(s string) []string {
	var out []string
	for _, m := range codeSpan.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}
