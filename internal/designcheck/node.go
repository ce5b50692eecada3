package designcheck

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Scalar, seq and mapping build nodes (used by Parse and by tests).
func Scalar(line int, v string) *yaml.Node {
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
			v = Scalar(line, fmt.Sprint(kv[i+1]))
		}
		m.Content = append(m.Content, Scalar(line, kv[i].(string)), v)
	}
	return m
}

// Get follows a path of mapping keys; nil when any step is missing.
func Get(n *yaml.Node, path ...string) *yaml.Node {
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

// Set puts key=v in mapping n, replacing an existing value.
func Set(n *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			n.Content[i+1] = v
			return
		}
	}
	n.Content = append(n.Content, Scalar(n.Line, key), v)
}

// Del removes key from mapping n and reports whether it was there.
func Del(n *yaml.Node, key string) bool {
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

// Keys returns the keys of mapping n in order.
func Keys(n *yaml.Node) []string {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var ks []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		ks = append(ks, n.Content[i].Value)
	}
	return ks
}

// Str returns the value of a scalar node.
func Str(n *yaml.Node) (string, bool) {
	if n == nil || n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

// StrValue returns the value of a scalar node, "" for any other.
func StrValue(n *yaml.Node) string {
	s, _ := Str(n)
	return s
}

// Items returns the elements of a sequence node, or n itself when it is a
// single value (CloudFormation accepts both for Action, Resource, ...).
func Items(n *yaml.Node) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}

// Intrinsic reports whether n is {Ref: x}, {Condition: x} or {Fn::*: x}
// and returns the function name and its argument.
func Intrinsic(n *yaml.Node) (string, *yaml.Node, bool) {
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		return "", nil, false
	}
	k := n.Content[0].Value
	if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
		return k, n.Content[1], true
	}
	return "", nil, false
}

// IsRef reports whether n is {Ref: name}.
func IsRef(n *yaml.Node, name string) bool {
	f, arg, ok := Intrinsic(n)
	v, _ := Str(arg)
	return ok && f == "Ref" && v == name
}

// RefTarget returns x for {Ref: x}.
func RefTarget(n *yaml.Node) (string, bool) {
	f, arg, ok := Intrinsic(n)
	if !ok || f != "Ref" {
		return "", false
	}
	return Str(arg)
}

// RefSet returns the targets of the Refs among the items of n (a list or
// a single value), such as a resource's security group ids.
func RefSet(n *yaml.Node) map[string]bool {
	m := map[string]bool{}
	for _, it := range Items(n) {
		if name, ok := RefTarget(it); ok {
			m[name] = true
		}
	}
	return m
}

// GetAttTarget returns resource and attribute of {Fn::GetAtt: [r, a]}.
func GetAttTarget(n *yaml.Node) (res, attr string, ok bool) {
	f, arg, isFn := Intrinsic(n)
	if !isFn || f != "Fn::GetAtt" || arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
		return "", "", false
	}
	res, ok1 := Str(arg.Content[0])
	attr, ok2 := Str(arg.Content[1])
	return res, attr, ok1 && ok2
}

// CloneNode deep-copies a node.
func CloneNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, x := range n.Content {
		c.Content[i] = CloneNode(x)
	}
	return &c
}

// EqualNodes reports whether two nodes have the same shape and scalar values.
func EqualNodes(a, b *yaml.Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind || a.Value != b.Value || len(a.Content) != len(b.Content) {
		return false
	}
	for i := range a.Content {
		if !EqualNodes(a.Content[i], b.Content[i]) {
			return false
		}
	}
	return true
}

// Walk calls fn for n and every node below it, depth first.
func Walk(n *yaml.Node, fn func(*yaml.Node)) {
	if n == nil {
		return
	}
	fn(n)
	for _, c := range n.Content {
		Walk(c, fn)
	}
}

// Render writes a node as compact YAML for a message.
func Render(n *yaml.Node) string {
	if n == nil {
		return "(none)"
	}
	c := CloneNode(n)
	Walk(c, func(x *yaml.Node) { x.Style = yaml.FlowStyle })
	b, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	return strings.TrimSpace(string(b))
}

// ContainsStar reports whether an Action or Resource value holds "*" (or,
// for actions, "*:*"). A service wildcard such as "s3:*" does not count.
func ContainsStar(n *yaml.Node, action bool) bool {
	for _, it := range Items(n) {
		if v, ok := Str(it); ok && (v == "*" || (action && v == "*:*")) {
			return true
		}
	}
	return false
}
