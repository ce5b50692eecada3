// Package designcheck checks template.yaml, samconfig.toml and env.json
// against this project's own design: what no AWS tool knows. AWS's tools
// judge whether the template is valid CloudFormation and SAM
// (internal/samcheck runs the SAM translator and cfn-lint); these checks
// judge whether it is the design docs/architecture.md describes:
// least-privilege IAM, the Cognito authorizer on every route but health,
// no NAT and no route off the VPC, the primary's and the secondary's
// contracts, the Rules refusing the parameter combinations that would
// fail mid-deployment, samconfig.toml consistent with the template, the
// front-door function equal to frontdoor/router.js, and the other
// invariants of docs/development.md#checking-the-template-without-aws.
//
// This package is their frame: it reads a template (Template, Parse,
// ParseJSON), evaluates it for a parameter set as CloudFormation would
// (Deployment: its Rules, its conditions, each Fn::If, the values), and
// runs a named Check over an Input, the files the checks read, into
// Findings. The checks live in one package per topic, each with its
// tests and the mutations that show every check can fail:
//
//   - contract: the stack's interface (parameters, Rules, outputs,
//     mappings, every parameter set deploying) and the files that set
//     it, samconfig.toml and env.json;
//   - api: the REST API with its routes and authorizer, the functions
//     behind it, their build and IAM, the Cognito user pool;
//   - database: the Aurora global cluster, in-region HA, RDS Proxy,
//     encryption and key policies, secrets, retention, the migration;
//   - network: the VPC with no way out, and who reaches the database;
//   - frontdoor: the CloudFront and the Route 53 front doors;
//   - monitoring: log retention, alarms, the dashboard, the readiness
//     function.
//
// Package checktest loads the repository's files for their tests.
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
// {"Fn::GetAtt": [R, A]}, ...), so the checks see one shape for the
// template as written and for the translator's JSON.
package designcheck

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Template is a parsed template. Root is its top-level mapping; the tree
// may be edited in place (the tests build broken copies that way).
type Template struct {
	Root *yaml.Node
}

// Section returns a top-level section (Parameters, Resources, ...) or nil.
func (t *Template) Section(name string) *yaml.Node {
	return Get(t.Root, name)
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

// Resource returns the named resource or nil.
func (t *Template) Resource(name string) *Resource {
	n := Get(t.Section("Resources"), name)
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

// Parameters returns the parameters in template order.
func (t *Template) Parameters() []*Parameter {
	sec := t.Section("Parameters")
	var ps []*Parameter
	for i := 0; sec != nil && i+1 < len(sec.Content); i += 2 {
		n := sec.Content[i+1]
		p := &Parameter{Name: sec.Content[i].Value, Node: n}
		p.Type, _ = Str(Get(n, "Type"))
		if d, ok := Str(Get(n, "Default")); ok {
			p.Default = &d
		}
		for _, v := range Items(Get(n, "AllowedValues")) {
			if s, ok := Str(v); ok {
				p.AllowedValues = append(p.AllowedValues, s)
			}
		}
		p.AllowedPattern, _ = Str(Get(n, "AllowedPattern"))
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

// Clone returns a deep copy of the template.
func (t *Template) Clone() *Template {
	return &Template{Root: CloneNode(t.Root)}
}

// Marshal writes the template as YAML (intrinsics in long form), which the
// SAM translator reads as it reads the original.
func (t *Template) Marshal() ([]byte, error) {
	return yaml.Marshal(t.Root)
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
					n.Content = append(n.Content, Scalar(lineAt(), tok.(string)))
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
		arg = seq(n.Line, Scalar(n.Line, res), Scalar(n.Line, attr))
	}
	return mapping(n.Line, key, arg), nil
}
