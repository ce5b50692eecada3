package samcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// InformationalFile is the file, at the module root, that lists the
// informational cfn-lint findings that stay, each with its reason.
const InformationalFile = ".cfnlint-informational.yaml"

// Accepted is one entry of InformationalFile: informational findings of
// one rule at the listed template locations, and why they stay.
type Accepted struct {
	// Rule is an informational rule id (I3042). Errors and warnings are
	// fixed, never listed.
	Rule string `yaml:"rule"`
	// At are template locations: the first elements of a finding's path,
	// separated by "/", at least "<Section>/<LogicalId>" (Resources/Api),
	// and as deep as the finding's place is known
	// (Resources/Api/Properties/Body/paths/*/*/x-amazon-apigateway-integration/uri).
	// A location covers a finding whose path starts with its elements;
	// * in an element matches any run of characters of that element
	// (an OpenAPI path key such as /v1/todos included).
	At []string `yaml:"at"`
	// Sets limits the entry to these parameter sets; empty means all.
	Sets   []string `yaml:"sets,omitempty"`
	Reason string   `yaml:"reason"`
}

// ReadAccepted reads and validates InformationalFile; a missing file is
// an empty list.
func ReadAccepted(file string) ([]Accepted, error) {
	data, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseAccepted(data)
}

// ParseAccepted parses and validates the content of InformationalFile.
func ParseAccepted(data []byte) ([]Accepted, error) {
	var list []Accepted
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&list); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w", InformationalFile, err)
	}
	for i, a := range list {
		where := fmt.Sprintf("%s entry %d (%s)", InformationalFile, i+1, a.Rule)
		switch {
		case !strings.HasPrefix(a.Rule, "I"):
			return nil, fmt.Errorf("%s: rule %q is not informational; errors and warnings are fixed, not listed", where, a.Rule)
		case len(a.At) == 0:
			return nil, fmt.Errorf("%s: no locations (at)", where)
		case strings.TrimSpace(a.Reason) == "":
			return nil, fmt.Errorf("%s: no reason", where)
		}
		for _, at := range a.At {
			if elems := strings.Split(at, "/"); len(elems) < 2 || slices.Contains(elems, "") {
				return nil, fmt.Errorf("%s: location %q is not <Section>/<LogicalId glob>[/<element glob>...]", where, at)
			}
		}
	}
	return list, nil
}

// matches reports whether the entry's location at covers f: f's path
// starts with at's elements.
func (a Accepted) matches(at string, f Finding) bool {
	if f.Rule != a.Rule || (len(a.Sets) > 0 && !slices.Contains(a.Sets, f.Target)) {
		return false
	}
	want := strings.Split(at, "/")
	if len(want) > len(f.Path) {
		return false
	}
	for i, w := range want {
		if !globMatch(w, f.Path[i]) {
			return false
		}
	}
	return true
}

// globMatch reports whether s matches pattern, where * matches any run of
// characters ("/" included) and everything else itself.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return s == pattern
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}

// Review sorts findings into the ones that fail the check (every error and
// warning, and informational findings no entry accepts) and reports the
// entry locations that accept nothing any more (stale, to be removed).
func Review(findings []Finding, accepted []Accepted) (failing []Finding, listed int, stale []string) {
	used := map[string]bool{}
	for _, f := range findings {
		if f.Severity() != "informational" {
			failing = append(failing, f)
			continue
		}
		ok := false
		for i, a := range accepted {
			for _, at := range a.At {
				if a.matches(at, f) {
					ok = true
					used[fmt.Sprint(i, at)] = true
				}
			}
		}
		if ok {
			listed++
		} else {
			failing = append(failing, f)
		}
	}
	for i, a := range accepted {
		for _, at := range a.At {
			if !used[fmt.Sprint(i, at)] {
				stale = append(stale, fmt.Sprintf("%s %s (entry %d) matches no finding any more: remove it", a.Rule, at, i+1))
			}
		}
	}
	return failing, listed, stale
}
