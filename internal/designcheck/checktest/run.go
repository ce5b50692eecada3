package checktest

import (
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/samcheck"
)

// PassesEveryCheck runs each of checks on the repository's files (through
// the translator for a check that reads it) and fails the subtest named
// after the check with each finding: the template as it is must pass.
func PassesEveryCheck(t *testing.T, checks []designcheck.Check) {
	src := Source(t)
	for _, c := range checks {
		t.Run(c.Name, func(t *testing.T) {
			in := src
			if c.Translated {
				in = Translated(t)
			}
			for _, f := range designcheck.RunCheck(c, in) {
				t.Errorf("%s", f)
			}
		})
	}
}

// CatchesEveryMutation breaks a copy of the template (or of
// samconfig.toml, env.json, router.js) in each way of mutations and
// requires the check each names, one of checks, to report it, in a
// subtest named check/mutation. The checks that read the translator's
// output see the broken template through the translator, all of them in
// one run of it. Every one of checks must have a mutation: together with
// PassesEveryCheck this shows each check can fail.
func CatchesEveryMutation(t *testing.T, checks []designcheck.Check, mutations []Mutation) {
	byName := map[string]designcheck.Check{}
	for _, c := range checks {
		byName[c.Name] = c
	}
	var ts []*translation
	tByCase := map[int]*translation{}
	inputs := make([]*designcheck.Input, len(mutations))
	for i, m := range mutations {
		c, ok := byName[m.Check]
		if !ok {
			t.Fatalf("%s: no check %q", m.Name, m.Check)
		}
		in := Source(t)
		m.Mutate(t, in)
		inputs[i] = in
		if c.Translated {
			sets := m.Sets
			if sets == nil {
				sets = defaultSets
			}
			tr := &translation{in: in, sets: sets}
			ts = append(ts, tr)
			tByCase[i] = tr
		}
	}
	translateErr := translateAll(t, t.TempDir(), ts)
	if translateErr != nil && !errors.Is(translateErr, samcheck.ErrToolsMissing) {
		t.Fatal(translateErr)
	}
	checked := map[string]bool{}
	for i, m := range mutations {
		checked[m.Check] = true
		t.Run(m.Check+"/"+m.Name, func(t *testing.T) {
			in := inputs[i]
			if tr := tByCase[i]; tr != nil {
				SkipWithoutTools(t, translateErr)
				for set, errs := range tr.errs {
					t.Fatalf("the SAM translator refuses the broken template for %s: %s", set, strings.Join(errs, "; "))
				}
			}
			got := designcheck.RunCheck(byName[m.Check], in)
			for _, f := range got {
				if strings.Contains(f.String(), m.Want) && (m.Sets == nil || containsAll(f.Sets, m.Sets)) {
					return
				}
			}
			var msgs []string
			for _, f := range got {
				msgs = append(msgs, f.String())
			}
			sort.Strings(msgs)
			t.Errorf("check %s: got %d findings %q, want one containing %q in sets %v", m.Check, len(got), msgs, m.Want, m.Sets)
		})
	}
	for _, c := range checks {
		if !checked[c.Name] {
			t.Errorf("check %s has no mutation showing it can fail", c.Name)
		}
	}
}
