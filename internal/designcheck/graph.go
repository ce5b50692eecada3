package designcheck

import (
	"slices"
	"strings"
)

// ---------------------------------------------------------------- cycles

// Dependencies returns, for each resource of the deployment, the resources
// CloudFormation must create before it: those it names by Ref, Fn::GetAtt
// or a Fn::Sub variable, and its DependsOn. A SAM function's Api event is
// the exception: SAM writes the function into the API's definition, so the
// API depends on the function, not the function on the API.
func (d *Deployment) Dependencies() map[string][]string {
	deps := map[string][]string{}
	add := func(from, to string) {
		if d.Resource(to) != nil && !slices.Contains(deps[from], to) {
			deps[from] = append(deps[from], to)
		}
	}
	type edge struct{ from, to string }
	var apiEvents []edge
	for _, res := range d.Resources {
		deps[res.Name] = nil
	}
	for _, res := range d.Resources {
		props := res.Properties
		if res.Type == "AWS::Serverless::Function" && get(props, "Events") != nil {
			props = clone(props)
			events := get(props, "Events")
			for _, ev := range keys(events) {
				p := get(events, ev, "Properties")
				api, ok := refTarget(get(p, "RestApiId"))
				if typ, _ := str(get(events, ev, "Type")); typ == "Api" && ok {
					del(p, "RestApiId")
					apiEvents = append(apiEvents, edge{api, res.Name})
				}
			}
		}
		refs, _ := references(props)
		for _, ref := range refs {
			add(res.Name, ref.Target)
		}
		for _, dep := range res.DependsOn {
			add(res.Name, dep)
		}
	}
	for _, e := range apiEvents {
		add(e.from, e.to)
	}
	for _, v := range deps {
		slices.Sort(v)
	}
	return deps
}

// Cycles returns the dependency cycles of the deployment, each as the
// resource names along it with the first repeated at the end. CloudFormation
// rejects a template with a cycle before it creates anything.
func (d *Deployment) Cycles() [][]string {
	deps := d.Dependencies()
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var cycles [][]string
	var visit func(string)
	visit = func(n string) {
		color[n] = grey
		stack = append(stack, n)
		for _, m := range deps[n] {
			switch color[m] {
			case white:
				visit(m)
			case grey:
				i := slices.Index(stack, m)
				cycles = append(cycles, append(slices.Clone(stack[i:]), m))
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
	}
	for _, res := range d.Resources {
		if color[res.Name] == white {
			visit(res.Name)
		}
	}
	return cycles
}

func checkCycles(in *Input, r *report) {
	seen := map[string]bool{}
	for _, d := range in.Deployments() {
		for _, c := range d.Cycles() {
			members := slices.Clone(c[:len(c)-1])
			slices.Sort(members)
			key := strings.Join(members, ",")
			if seen[key] {
				continue
			}
			seen[key] = true
			r.add(d.Scenario.Name, "dependency cycle %s", strings.Join(c, " -> "))
		}
	}
}
