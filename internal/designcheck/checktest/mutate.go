package checktest

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/samcheck"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// Mutation breaks a copy of the files in one way; check must report it
// with a message containing want, in every set of sets (defaultSets for a
// translated check when nil).
type Mutation struct {
	Name   string
	Check  string
	Want   string
	Sets   []string
	Mutate func(tb testing.TB, in *designcheck.Input)
}

// defaultSets are the parameter sets a mutation is translated for when it
// names none: the first deploy pass of each role.
var defaultSets = []string{"primary", "secondary"}

// translation is a broken template to translate for some parameter sets.
type translation struct {
	in   *designcheck.Input
	sets []string
	// errs are the translator's refusals, by set.
	errs map[string][]string
}

// translateAll translates each input's template as written for its sets,
// in one run of the translator, and gives each input the translations and
// only those sets.
func translateAll(tb testing.TB, dir string, ts []*translation) error {
	tb.Helper()
	var jobs []samcheck.Job
	type ref struct {
		t   *translation
		set string
	}
	var refs []ref
	for i, t := range ts {
		data, err := t.in.Source.Marshal()
		if err != nil {
			return err
		}
		var keep []samcheck.ParameterSet
		for _, s := range t.in.Sets {
			if slices.Contains(t.sets, s.Name) {
				keep = append(keep, s)
				jobs = append(jobs, samcheck.Job{Name: fmt.Sprintf("m%03d-%s", i, s.Name), Template: data,
					Region: s.Region, Params: s.Params, ArtifactPrefix: s.ArtifactPrefix})
				refs = append(refs, ref{t, s.Name})
			}
		}
		if len(keep) != len(t.sets) {
			tb.Fatalf("sets %v: not all are parameter sets", t.sets)
		}
		t.in.Sets = keep
		t.errs = map[string][]string{}
	}
	_, trs, err := samcheck.Translator{Workers: runtime.NumCPU()}.Translate(context.Background(), dir, jobs)
	if err != nil {
		return err
	}
	for i, tr := range trs {
		r := refs[i]
		if len(tr.Errors) > 0 {
			r.t.errs[r.set] = tr.Errors
			continue
		}
		if r.t.in.Translated[r.set], err = parseFile(tr.File); err != nil {
			return err
		}
	}
	return nil
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// Node parses a YAML value (short-form tags allowed).
func Node(tb testing.TB, text string) *yaml.Node {
	tb.Helper()
	t, err := designcheck.Parse([]byte("v: " + text))
	if err != nil {
		tb.Fatalf("snippet %q: %v", text, err)
	}
	return designcheck.Get(t.Root, "v")
}

// At returns the node at a path of mapping keys and sequence indexes.
func At(tb testing.TB, n *yaml.Node, path ...string) *yaml.Node {
	tb.Helper()
	for _, p := range path {
		if n != nil && n.Kind == yaml.SequenceNode {
			i := 0
			for _, c := range p {
				i = i*10 + int(c-'0')
			}
			if i >= len(n.Content) {
				tb.Fatalf("index %s out of range", p)
			}
			n = n.Content[i]
			continue
		}
		next := designcheck.Get(n, p)
		if next == nil {
			tb.Fatalf("no %s in path %v", p, path)
		}
		n = next
	}
	return n
}

// ResNode returns a resource's mapping node in the template as written.
func ResNode(tb testing.TB, in *designcheck.Input, name string) *yaml.Node {
	tb.Helper()
	return At(tb, in.Source.Section("Resources"), name)
}

// SetAt sets path (the last element is the key) below a resource.
func SetAt(tb testing.TB, in *designcheck.Input, res string, path []string, value string) {
	tb.Helper()
	parent := At(tb, ResNode(tb, in, res), path[:len(path)-1]...)
	designcheck.Set(parent, path[len(path)-1], Node(tb, value))
}

// DelAt deletes path (the last element is the key) below a resource.
func DelAt(tb testing.TB, in *designcheck.Input, res string, path ...string) {
	tb.Helper()
	parent := At(tb, ResNode(tb, in, res), path[:len(path)-1]...)
	if !designcheck.Del(parent, path[len(path)-1]) {
		tb.Fatalf("%s: no %v to delete", res, path)
	}
}

// AddResource adds a resource, written as YAML, to the template.
func AddResource(tb testing.TB, in *designcheck.Input, name, value string) {
	tb.Helper()
	designcheck.Set(in.Source.Section("Resources"), name, Node(tb, value))
}

// DelResource deletes a resource from the template.
func DelResource(tb testing.TB, in *designcheck.Input, name string) {
	tb.Helper()
	if !designcheck.Del(in.Source.Section("Resources"), name) {
		tb.Fatalf("no resource %s", name)
	}
}

// RenameKey renames key from to to in mapping n, keeping value and place.
func RenameKey(tb testing.TB, n *yaml.Node, from, to string) {
	tb.Helper()
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == from {
			n.Content[i].Value = to
			return
		}
	}
	tb.Fatalf("no key %s to rename", from)
}

// SetOverride changes one parameter override of every command of an
// environment that has overrides ("" value with remove=true removes it).
func SetOverride(tb testing.TB, in *designcheck.Input, env, key, value string, remove bool) {
	tb.Helper()
	for _, cmd := range designcheck.SamCommands {
		if _, ok := in.SamConfig.Envs[env].Commands[cmd]["parameter_overrides"]; !ok {
			continue
		}
		EditOverrides(tb, in, env, cmd, func(ov map[string]string) {
			if remove {
				delete(ov, key)
			} else {
				ov[key] = value
			}
		})
	}
}

// EditOverrides rewrites the parameter_overrides of [env.cmd] with edit.
func EditOverrides(tb testing.TB, in *designcheck.Input, env, cmd string, edit func(map[string]string)) {
	tb.Helper()
	e := in.SamConfig.Envs[env]
	ov, err := e.Params(cmd).ParameterOverrides()
	if err != nil {
		tb.Fatal(err)
	}
	edit(ov)
	e.Commands[cmd]["parameter_overrides"] = strings.Join(samconfig.FormatOverrides(ov), " ")
}

// RenameOverride renames a parameter override of every command of an
// environment, keeping its value.
func RenameOverride(tb testing.TB, in *designcheck.Input, env, from, to string) {
	tb.Helper()
	ov, err := in.SamConfig.Envs[env].Params("deploy").ParameterOverrides()
	if err != nil {
		tb.Fatal(err)
	}
	v, ok := ov[from]
	if !ok {
		tb.Fatalf("[%s] has no override %s", env, from)
	}
	SetOverride(tb, in, env, from, "", true)
	SetOverride(tb, in, env, to, v, false)
}
