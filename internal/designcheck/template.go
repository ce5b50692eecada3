// Package designcheck checks template.yaml, samconfig.toml and env.json
// against this project's own design: what no AWS tool knows. AWS's tools
// judge whether the template is valid CloudFormation and SAM
// (internal/samcheck runs the SAM translator and cfn-lint); these checks
// judge whether it is the design README describes: least-privilege IAM,
// the Cognito authorizer on every route but health, no NAT and no route
// off the VPC, the primary's and the secondary's contracts, the Rules
// refusing the parameter combinations that would fail mid-deployment,
// samconfig.toml consistent with the template, the front-door function
// equal to frontdoor/router.js, and the other invariants of README's
// "Checking the template without AWS".
//
// Checks whose meaning depends on SAM (functions, their events, policies
// and generated roles, the API's OpenAPI) read the SAM translator's output
// for every parameter set of samcheck.ParameterSets, evaluated as
// CloudFormation would evaluate it for that set (Deployments), so they
// can never disagree with the translator. The others read the template as
// written (Source).
//
// The tree is made of go.yaml.in/yaml/v3 nodes. Parse rewrites every short
// form into the long form CloudFormation's JSON uses ({"Ref": X},
// {"Fn::GetAtt": [R, A]}, ...), so the rest of the package sees one shape
// for the template as written and for the translator's JSON.
package designcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/samcheck"
)

// Template is a parsed template. Root is its top-level mapping; the tree
// may be edited in place (the tests build broken copies that way).
type Template struct {
	Root *yaml.Node
}

// shortForms maps each short-form tag to its long-form key.
var shortForms = map[string]string{
	"!Ref":          "Ref",
	"!Condition":    "Condition",
	"!Base64":       "Fn::Base64",
	"!Cidr":         "Fn::Cidr",
	"!FindInMap":    "Fn::FindInMap",
	"!GetAtt":       "Fn::GetAtt",
	"!GetAZs":       "Fn::GetAZs",
	"!ImportValue":  "Fn::ImportValue",
	"!Join":         "Fn::Join",
	"!Select":       "Fn::Select",
	"!Split":        "Fn::Split",
	"!Sub":          "Fn::Sub",
	"!Transform":    "Fn::Transform",
	"!Length":       "Fn::Length",
	"!ToJsonString": "Fn::ToJsonString",
	"!And":          "Fn::And",
	"!Equals":       "Fn::Equals",
	"!If":           "Fn::If",
	"!Not":          "Fn::Not",
	"!Or":           "Fn::Or",
	// Rules-only functions.
	"!Contains":         "Fn::Contains",
	"!EachMemberEquals": "Fn::EachMemberEquals",
	"!EachMemberIn":     "Fn::EachMemberIn",
	"!RefAll":           "Fn::RefAll",
	"!ValueOf":          "Fn::ValueOf",
	"!ValueOfAll":       "Fn::ValueOfAll",
}

// Parse reads a YAML template. Unknown "!" tags, anchors and aliases (which
// CloudFormation does not accept) are errors.
func Parse(data []byte) (*Template, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse template: the document is not a mapping")
	}
	root, err := normalize(doc.Content[0])
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	return &Template{Root: root}, nil
}

// ParseJSON reads a template in JSON, such as the SAM translator's output,
// into the same tree as Parse; it is several times faster than Parse on
// JSON, which matters for the thousands of lines each translation has.
func ParseJSON(data []byte) (*Template, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	line, seen := 1, int64(0)
	// lineAt returns the line of the token that ends at the decoder's
	// offset.
	lineAt := func() int {
		off := dec.InputOffset()
		line += bytes.Count(data[seen:off], []byte("\n"))
		seen = off
		return line
	}
	var value func(tok json.Token) (*yaml.Node, error)
	value = func(tok json.Token) (*yaml.Node, error) {
		n := &yaml.Node{Line: lineAt()}
		switch t := tok.(type) {
		case json.Delim:
			end := json.Delim(']')
			n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
			if t == '{' {
				end = '}'
				n.Kind, n.Tag = yaml.MappingNode, "!!map"
			}
			for {
				tok, err := dec.Token()
				if err != nil {
					return nil, err
				}
				if tok == end {
					return n, nil
				}
				if n.Kind == yaml.MappingNode {
					n.Content = append(n.Content, scalar(lineAt(), tok.(string)))
					if tok, err = dec.Token(); err != nil {
						return nil, err
					}
				}
				c, err := value(tok)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, c)
			}
		case string:
			n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!str", t
		case json.Number:
			n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!int", t.String()
			if strings.ContainsAny(n.Value, ".eE") {
				n.Tag = "!!float"
			}
		case bool:
			n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!bool", strconv.FormatBool(t)
		case nil:
			n.Kind, n.Tag, n.Value = yaml.ScalarNode, "!!null", "null"
		}
		return n, nil
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	root, err := value(tok)
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse template: the document is not a mapping")
	}
	return &Template{Root: root}, nil
}

// normalize returns n with every short-form tag rewritten to long form.
func normalize(n *yaml.Node) (*yaml.Node, error) {
	if n.Kind == yaml.AliasNode || n.Anchor != "" {
		return nil, fmt.Errorf("line %d: YAML anchors and aliases are not supported by CloudFormation", n.Line)
	}
	out := *n
	out.Content = nil
	for _, c := range n.Content {
		nc, err := normalize(c)
		if err != nil {
			return nil, err
		}
		out.Content = append(out.Content, nc)
	}
	if !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return &out, nil
	}
	key, ok := shortForms[n.Tag]
	if !ok {
		return nil, fmt.Errorf("line %d: unknown tag %s", n.Line, n.Tag)
	}
	switch out.Kind {
	case yaml.ScalarNode:
		out.Tag = "!!str"
		out.Style = 0
	case yaml.SequenceNode:
		out.Tag = "!!seq"
		out.Style = 0
	case yaml.MappingNode:
		out.Tag = "!!map"
		out.Style = 0
	}
	arg := &out
	if key == "Fn::GetAtt" && out.Kind == yaml.ScalarNode {
		// !GetAtt Res.Attr.Path is the list [Res, "Attr.Path"].
		res, attr, found := strings.Cut(out.Value, ".")
		if !found {
			return nil, fmt.Errorf("line %d: !GetAtt %q has no attribute", n.Line, out.Value)
		}
		arg = seq(n.Line, scalar(n.Line, res), scalar(n.Line, attr))
	}
	return mapping(n.Line, key, arg), nil
}

// scalar, seq and mapping build nodes (used by Parse and by tests).
func scalar(line int, v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Line: line}
}

func seq(line int, items ...*yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: items, Line: line}
}

func mapping(line int, kv ...any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: line}
	for i := 0; i+1 < len(kv); i += 2 {
		v, ok := kv[i+1].(*yaml.Node)
		if !ok {
			v = scalar(line, fmt.Sprint(kv[i+1]))
		}
		m.Content = append(m.Content, scalar(line, kv[i].(string)), v)
	}
	return m
}

// get follows a path of mapping keys; nil when any step is missing.
func get(n *yaml.Node, path ...string) *yaml.Node {
	for _, key := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
				break
			}
		}
		n = next
	}
	return n
}

// set puts key=v in mapping n, replacing an existing value.
func set(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, scalar(n.Line, key), v)
}

// del removes key from mapping n and reports whether it was there.
func del(n *yaml.Node, key string) bool {
	if n == nil {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content = slices.Delete(n.Content, i, i+2)
			return true
		}
	}
	return false
}

// keys returns the keys of mapping n in order.
func keys(n *yaml.Node) []string {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var ks []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		ks = append(ks, n.Content[i].Value)
	}
	return ks
}

// str returns the value of a scalar node.
func str(n *yaml.Node) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

// items returns the elements of a sequence node, or n itself when it is a
// single value (CloudFormation accepts both for Action, Resource, ...).
func items(n *yaml.Node) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}

// intrinsic reports whether n is {Ref: x}, {Condition: x} or {Fn::*: x}
// and returns the function name and its argument.
func intrinsic(n *yaml.Node) (string, *yaml.Node, bool) {
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		return "", nil, false
	}
	k := n.Content[0].Value
	if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
		return k, n.Content[1], true
	}
	return "", nil, false
}

// isRef reports whether n is {Ref: name}.
func isRef(n *yaml.Node, name string) bool {
	f, arg, ok := intrinsic(n)
	v, _ := str(arg)
	return ok && f == "Ref" && v == name
}

// refTarget returns x for {Ref: x}.
func refTarget(n *yaml.Node) (string, bool) {
	f, arg, ok := intrinsic(n)
	if !ok || f != "Ref" {
		return "", false
	}
	return str(arg)
}

// refSet returns the targets of the Refs among the items of n (a list or
// a single value), such as a resource's security group ids.
func refSet(n *yaml.Node) map[string]bool {
	m := map[string]bool{}
	for _, it := range items(n) {
		if name, ok := refTarget(it); ok {
			m[name] = true
		}
	}
	return m
}

// getAttTarget returns resource and attribute of {Fn::GetAtt: [r, a]}.
func getAttTarget(n *yaml.Node) (res, attr string, ok bool) {
	f, arg, isFn := intrinsic(n)
	if !isFn || f != "Fn::GetAtt" || arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
		return "", "", false
	}
	res, ok1 := str(arg.Content[0])
	attr, ok2 := str(arg.Content[1])
	return res, attr, ok1 && ok2
}

// clone deep-copies a node.
func clone(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, x := range n.Content {
		c.Content[i] = clone(x)
	}
	return &c
}

// equal reports whether two nodes have the same shape and scalar values.
func equal(a, b *yaml.Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || a.Value != b.Value || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !equal(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

// walk calls fn for n and every node below it, depth first.
func walk(n *yaml.Node, fn func(*yaml.Node)) {
	if n == nil {
		return
	}
	fn(n)
	for _, c := range n.Content {
		walk(c, fn)
	}
}

// Section returns a top-level section (Parameters, Resources, ...) or nil.
func (t *Template) Section(name string) *yaml.Node {
	return get(t.Root, name)
}

// Resource is one entry of the Resources section.
type Resource struct {
	Name      string
	Type      string
	Condition string
	DependsOn []string
	// Node is the resource's mapping (Type, Properties, DeletionPolicy...).
	Node *yaml.Node
	// Properties is its Properties mapping, or nil.
	Properties *yaml.Node
	Line       int
}

// Prop returns a property by path.
func (r *Resource) Prop(path ...string) *yaml.Node {
	return get(r.Properties, path...)
}

// Attr returns a resource attribute such as DeletionPolicy.
func (r *Resource) Attr(name string) string {
	v, _ := str(get(r.Node, name))
	return v
}

// Resources returns the resources in template order.
func (t *Template) Resources() []*Resource {
	sec := t.Section("Resources")
	var rs []*Resource
	for i := 0; sec != nil && i+1 < len(sec.Content); i += 2 {
		rs = append(rs, newResource(sec.Content[i].Value, sec.Content[i+1]))
	}
	return rs
}

func newResource(name string, n *yaml.Node) *Resource {
	r := &Resource{Name: name, Node: n, Properties: get(n, "Properties"), Line: n.Line}
	r.Type, _ = str(get(n, "Type"))
	r.Condition, _ = str(get(n, "Condition"))
	for _, d := range items(get(n, "DependsOn")) {
		if s, ok := str(d); ok {
			r.DependsOn = append(r.DependsOn, s)
		}
	}
	return r
}

// Resource returns the named resource or nil.
func (t *Template) Resource(name string) *Resource {
	n := get(t.Section("Resources"), name)
	if n == nil {
		return nil
	}
	return newResource(name, n)
}

// ResourcesOfType returns the resources of one type, in template order.
func (t *Template) ResourcesOfType(typ string) []*Resource {
	var rs []*Resource
	for _, r := range t.Resources() {
		if r.Type == typ {
			rs = append(rs, r)
		}
	}
	return rs
}

// Parameter is one entry of the Parameters section.
type Parameter struct {
	Name           string
	Type           string
	Default        *string
	AllowedValues  []string
	AllowedPattern string
	Node           *yaml.Node
}

// Parameters returns the parameters in template order.
func (t *Template) Parameters() []*Parameter {
	sec := t.Section("Parameters")
	var ps []*Parameter
	for i := 0; sec != nil && i+1 < len(sec.Content); i += 2 {
		n := sec.Content[i+1]
		p := &Parameter{Name: sec.Content[i].Value, Node: n}
		p.Type, _ = str(get(n, "Type"))
		if d, ok := str(get(n, "Default")); ok {
			p.Default = &d
		}
		for _, v := range items(get(n, "AllowedValues")) {
			if s, ok := str(v); ok {
				p.AllowedValues = append(p.AllowedValues, s)
			}
		}
		p.AllowedPattern, _ = str(get(n, "AllowedPattern"))
		ps = append(ps, p)
	}
	return ps
}

// Parameter returns the named parameter or nil.
func (t *Template) Parameter(name string) *Parameter {
	for _, p := range t.Parameters() {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Deploy evaluates the template for a parameter set, as CloudFormation
// would: its Rules, its conditions, and what exists then.
func (t *Template) Deploy(s samcheck.ParameterSet) (*Deployment, error) {
	return newDeployment(t, s)
}

// Clone returns a deep copy of the template.
func (t *Template) Clone() *Template {
	return &Template{Root: clone(t.Root)}
}

// Marshal writes the template as YAML (intrinsics in long form), which the
// SAM translator reads as it reads the original.
func (t *Template) Marshal() ([]byte, error) {
	return yaml.Marshal(t.Root)
}
