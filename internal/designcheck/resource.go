package designcheck

import (
	"go.yaml.in/yaml/v3"
)

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
	return Get(r.Properties, path...)
}

// Attr returns a resource attribute such as DeletionPolicy.
func (r *Resource) Attr(name string) string {
	v, _ := Str(Get(r.Node, name))
	return v
}

func newResource(name string, n *yaml.Node) *Resource {
	r := &Resource{Name: name, Node: n, Properties: Get(n, "Properties"), Line: n.Line}
	r.Type, _ = Str(Get(n, "Type"))
	r.Condition, _ = Str(Get(n, "Condition"))
	for _, d := range Items(Get(n, "DependsOn")) {
		if s, ok := Str(d); ok {
			r.DependsOn = append(r.DependsOn, s)
		}
	}
	return r
}
