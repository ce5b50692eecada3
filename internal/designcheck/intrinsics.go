package designcheck

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// pseudoParameters are the AWS:: names Ref and Fn::Sub accept.
var pseudoParameters = map[string]bool{
	"AWS::AccountId":        true,
	"AWS::NotificationARNs": true,
	"AWS::NoValue":          true,
	"AWS::Partition":        true,
	"AWS::Region":           true,
	"AWS::StackId":          true,
	"AWS::StackName":        true,
	"AWS::URLSuffix":        true,
}

// Reference is one use of a name: a Ref, a GetAtt, a Fn::Sub variable, a
// DependsOn entry or a condition name.
type Reference struct {
	Kind   string // Ref, GetAtt, Sub, DependsOn, Condition, FindInMap
	Target string
	Attr   string // GetAtt attribute, or the SAM property of Ref X.Stage
	Line   int
}

func (r Reference) String() string {
	if r.Attr != "" {
		return fmt.Sprintf("%s %s.%s (line %d)", r.Kind, r.Target, r.Attr, r.Line)
	}
	return fmt.Sprintf("%s %s (line %d)", r.Kind, r.Target, r.Line)
}

// SubVariables returns the variable names of a Fn::Sub string: ${Name},
// ${Resource.Attribute}, ${AWS::Region}. ${!Literal} is not a variable.
func SubVariables(s string) ([]string, error) {
	var vars []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return vars, nil
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return vars, fmt.Errorf("unterminated ${ in %q", s)
		}
		name := s[i+2 : i+j]
		s = s[i+j+1:]
		if strings.HasPrefix(name, "!") {
			continue
		}
		if strings.TrimSpace(name) == "" || strings.TrimSpace(name) != name {
			return vars, fmt.Errorf("bad Fn::Sub variable ${%s}", name)
		}
		vars = append(vars, name)
	}
}

// references returns the Ref, GetAtt and Fn::Sub references in n. Names
// defined by a Fn::Sub variable map are local and not returned; the map's
// values are searched like any other node.
func references(n *yaml.Node) ([]Reference, []error) {
	var refs []Reference
	var errs []error
	var visit func(*yaml.Node)
	visit = func(n *yaml.Node) {
		if n == nil {
			return
		}
		f, arg, ok := intrinsic(n)
		if !ok {
			for _, c := range n.Content {
				visit(c)
			}
			return
		}
		switch f {
		case "Ref":
			name, isStr := str(arg)
			if !isStr {
				errs = append(errs, fmt.Errorf("line %d: Ref needs a name", n.Line))
				return
			}
			ref := Reference{Kind: "Ref", Target: name, Line: arg.Line}
			if base, prop, dotted := strings.Cut(name, "."); dotted {
				ref.Target, ref.Attr = base, prop
			}
			refs = append(refs, ref)
		case "Fn::GetAtt":
			res, attr, isGetAtt := getAttTarget(n)
			if !isGetAtt {
				errs = append(errs, fmt.Errorf("line %d: Fn::GetAtt needs [Resource, Attribute]", n.Line))
				return
			}
			refs = append(refs, Reference{Kind: "GetAtt", Target: res, Attr: attr, Line: arg.Line})
		case "Fn::Sub":
			text := arg
			local := map[string]bool{}
			if arg.Kind == yaml.SequenceNode {
				if len(arg.Content) != 2 || arg.Content[1].Kind != yaml.MappingNode {
					errs = append(errs, fmt.Errorf("line %d: Fn::Sub list form is [String, {Var: Value}]", n.Line))
					return
				}
				text = arg.Content[0]
				for _, k := range keys(arg.Content[1]) {
					local[k] = true
				}
				visit(arg.Content[1])
			}
			s, isStr := str(text)
			if !isStr {
				errs = append(errs, fmt.Errorf("line %d: Fn::Sub needs a string", n.Line))
				return
			}
			vars, err := SubVariables(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("line %d: %w", text.Line, err))
			}
			for _, v := range vars {
				if local[v] {
					continue
				}
				ref := Reference{Kind: "Sub", Target: v, Line: text.Line}
				if !strings.HasPrefix(v, "AWS::") {
					if res, attr, dotted := strings.Cut(v, "."); dotted {
						ref.Target, ref.Attr = res, attr
					}
				}
				refs = append(refs, ref)
			}
		default:
			visit(arg)
		}
	}
	visit(n)
	return refs, errs
}

// conditionNames returns the condition names used in n: the first argument
// of every Fn::If, and every {Condition: name} (condition expressions).
func conditionNames(n *yaml.Node) []Reference {
	var refs []Reference
	walk(n, func(x *yaml.Node) {
		f, arg, ok := intrinsic(x)
		if !ok {
			return
		}
		switch f {
		case "Fn::If":
			if arg.Kind == yaml.SequenceNode && len(arg.Content) == 3 {
				if s, isStr := str(arg.Content[0]); isStr {
					refs = append(refs, Reference{Kind: "Condition", Target: s, Line: arg.Content[0].Line})
				}
			}
		case "Condition":
			if s, isStr := str(arg); isStr {
				refs = append(refs, Reference{Kind: "Condition", Target: s, Line: arg.Line})
			}
		}
	})
	return refs
}

// Scenario is one deployment of the template: a region and the parameter
// values given to it (the others take their defaults).
type Scenario struct {
	Name   string
	Role   string // primary or secondary
	Pass   string // FirstPass, SecondPass or Route53
	Region string
	Params map[string]string
}

// Deployment is the template as CloudFormation would see it in one
// scenario: conditions evaluated, only the resources and outputs that
// would exist, and every Fn::If replaced by its chosen branch (with
// AWS::NoValue removed).
type Deployment struct {
	Scenario   Scenario
	Template   *Template
	Params     map[string]string
	Conditions map[string]bool
	Resources  []*Resource
	Outputs    map[string]*yaml.Node
	byName     map[string]*Resource
}

// Resource returns the named resource if it exists in the deployment.
func (d *Deployment) Resource(name string) *Resource {
	return d.byName[name]
}

// OfType returns the deployment's resources of one type.
func (d *Deployment) OfType(typ string) []*Resource {
	var rs []*Resource
	for _, r := range d.Resources {
		if r.Type == typ {
			rs = append(rs, r)
		}
	}
	return rs
}

// Deploy evaluates the template for a scenario.
func (t *Template) Deploy(s Scenario) (*Deployment, error) {
	d := &Deployment{
		Scenario:   s,
		Template:   t,
		Params:     map[string]string{},
		Conditions: map[string]bool{},
		Outputs:    map[string]*yaml.Node{},
		byName:     map[string]*Resource{},
	}
	for name := range s.Params {
		if t.Parameter(name) == nil {
			return nil, fmt.Errorf("scenario %s: no parameter %s in the template", s.Name, name)
		}
	}
	for _, p := range t.Parameters() {
		switch v, given := s.Params[p.Name]; {
		case given:
			d.Params[p.Name] = v
		case p.Default != nil:
			d.Params[p.Name] = *p.Default
		default:
			return nil, fmt.Errorf("scenario %s: parameter %s has no value and no default", s.Name, p.Name)
		}
	}
	// CloudFormation applies the Rules to the parameter values before it
	// changes anything.
	if err := d.evalRules(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	conds := t.Section("Conditions")
	visiting := map[string]bool{}
	var evalNamed func(name string) (bool, error)
	var eval func(n *yaml.Node) (bool, error)
	evalNamed = func(name string) (bool, error) {
		if v, done := d.Conditions[name]; done {
			return v, nil
		}
		def := get(conds, name)
		if def == nil {
			return false, fmt.Errorf("no condition %s", name)
		}
		if visiting[name] {
			return false, fmt.Errorf("condition %s refers to itself", name)
		}
		visiting[name] = true
		v, err := eval(def)
		if err != nil {
			return false, fmt.Errorf("condition %s: %w", name, err)
		}
		d.Conditions[name] = v
		return v, nil
	}
	eval = func(n *yaml.Node) (bool, error) {
		f, arg, ok := intrinsic(n)
		if !ok {
			return false, fmt.Errorf("line %d: not a condition expression", n.Line)
		}
		switch f {
		case "Condition":
			name, _ := str(arg)
			return evalNamed(name)
		case "Fn::Equals":
			if arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
				return false, fmt.Errorf("line %d: Fn::Equals needs two values", n.Line)
			}
			a, err := d.Value(arg.Content[0])
			if err != nil {
				return false, err
			}
			b, err := d.Value(arg.Content[1])
			if err != nil {
				return false, err
			}
			return a == b, nil
		case "Fn::Not":
			if arg.Kind != yaml.SequenceNode || len(arg.Content) != 1 {
				return false, fmt.Errorf("line %d: Fn::Not needs one condition", n.Line)
			}
			v, err := eval(arg.Content[0])
			return !v, err
		case "Fn::And", "Fn::Or":
			if arg.Kind != yaml.SequenceNode || len(arg.Content) < 2 {
				return false, fmt.Errorf("line %d: %s needs at least two conditions", n.Line, f)
			}
			and := f == "Fn::And"
			for _, c := range arg.Content {
				v, err := eval(c)
				if err != nil {
					return false, err
				}
				if v != and {
					return v, nil
				}
			}
			return and, nil
		}
		return false, fmt.Errorf("line %d: %s is not a condition function", n.Line, f)
	}
	for _, name := range keys(conds) {
		if _, err := evalNamed(name); err != nil {
			return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
		}
	}
	active := func(cond string) (bool, error) {
		if cond == "" {
			return true, nil
		}
		v, known := d.Conditions[cond]
		if !known {
			return false, fmt.Errorf("scenario %s: no condition %s", s.Name, cond)
		}
		return v, nil
	}
	for _, r := range t.Resources() {
		on, err := active(r.Condition)
		if err != nil {
			return nil, err
		}
		if !on {
			continue
		}
		node, err := d.resolveIfs(r.Node)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: resource %s: %w", s.Name, r.Name, err)
		}
		rr := newResource(r.Name, node)
		d.Resources = append(d.Resources, rr)
		d.byName[r.Name] = rr
	}
	outs := t.Section("Outputs")
	for _, name := range keys(outs) {
		o := get(outs, name)
		cond, _ := str(get(o, "Condition"))
		on, err := active(cond)
		if err != nil {
			return nil, err
		}
		if !on {
			continue
		}
		node, err := d.resolveIfs(o)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: output %s: %w", s.Name, name, err)
		}
		d.Outputs[name] = node
	}
	return d, nil
}

// ErrRuleFailed marks a deployment the template's Rules refuse.
var ErrRuleFailed = errors.New("refused by Rules")

// evalRules applies the Rules section: for each rule whose RuleCondition
// holds (or that has none) every assertion must hold.
func (d *Deployment) evalRules() error {
	rules := d.Template.Section("Rules")
	var errs []error
	for _, name := range keys(rules) {
		rule := get(rules, name)
		if c := get(rule, "RuleCondition"); c != nil {
			on, err := d.ruleValue(c)
			if err != nil {
				errs = append(errs, fmt.Errorf("rule %s: RuleCondition: %w", name, err))
				continue
			}
			if !on {
				continue
			}
		}
		asserts := items(get(rule, "Assertions"))
		if len(asserts) == 0 {
			errs = append(errs, fmt.Errorf("rule %s: no Assertions", name))
		}
		for i, a := range asserts {
			ok, err := d.ruleValue(get(a, "Assert"))
			if err != nil {
				errs = append(errs, fmt.Errorf("rule %s: assertion %d: %w", name, i, err))
				continue
			}
			if !ok {
				desc, _ := str(get(a, "AssertDescription"))
				errs = append(errs, fmt.Errorf("%w: rule %s: %s", ErrRuleFailed, name, desc))
			}
		}
	}
	return errors.Join(errs...)
}

// ruleValue evaluates a rule condition or assertion: Fn::And, Fn::Or,
// Fn::Not, Fn::Equals and Fn::Contains over parameter values. The rule
// functions over list parameters (Fn::EachMember*, Fn::ValueOf*, Fn::RefAll)
// are not supported: the template has no list parameters.
func (d *Deployment) ruleValue(n *yaml.Node) (bool, error) {
	f, arg, ok := intrinsic(n)
	if !ok {
		return false, fmt.Errorf("line %d: not a rule function", n.Line)
	}
	switch f {
	case "Fn::And", "Fn::Or":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) < 2 || len(arg.Content) > 10 {
			return false, fmt.Errorf("line %d: %s takes 2 to 10 conditions", n.Line, f)
		}
		and := f == "Fn::And"
		for _, c := range arg.Content {
			v, err := d.ruleValue(c)
			if err != nil {
				return false, err
			}
			if v != and {
				return v, nil
			}
		}
		return and, nil
	case "Fn::Not":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 1 {
			return false, fmt.Errorf("line %d: Fn::Not takes one condition", n.Line)
		}
		v, err := d.ruleValue(arg.Content[0])
		return !v, err
	case "Fn::Equals":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
			return false, fmt.Errorf("line %d: Fn::Equals takes two values", n.Line)
		}
		a, err := d.Value(arg.Content[0])
		if err != nil {
			return false, err
		}
		b, err := d.Value(arg.Content[1])
		return a == b, err
	case "Fn::Contains":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 || arg.Content[0].Kind != yaml.SequenceNode {
			return false, fmt.Errorf("line %d: Fn::Contains takes [[list of strings], string]", n.Line)
		}
		v, err := d.Value(arg.Content[1])
		if err != nil {
			return false, err
		}
		for _, it := range arg.Content[0].Content {
			s, err := d.Value(it)
			if err != nil {
				return false, err
			}
			if s == v {
				return true, nil
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("line %d: rule function %s is not supported here", n.Line, f)
}

// resolveIfs returns a copy of n with every Fn::If replaced by the branch
// its condition selects and every AWS::NoValue removed.
func (d *Deployment) resolveIfs(n *yaml.Node) (*yaml.Node, error) {
	out, keep, err := d.resolve(n)
	if err != nil {
		return nil, err
	}
	if !keep {
		return nil, fmt.Errorf("line %d: the whole value is AWS::NoValue", n.Line)
	}
	return out, nil
}

func (d *Deployment) resolve(n *yaml.Node) (*yaml.Node, bool, error) {
	if isRef(n, "AWS::NoValue") {
		return nil, false, nil
	}
	if f, arg, ok := intrinsic(n); ok && f == "Fn::If" {
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 3 {
			return nil, false, fmt.Errorf("line %d: Fn::If needs [Condition, IfTrue, IfFalse]", n.Line)
		}
		name, _ := str(arg.Content[0])
		v, known := d.Conditions[name]
		if !known {
			return nil, false, fmt.Errorf("line %d: no condition %s", n.Line, name)
		}
		if v {
			return d.resolve(arg.Content[1])
		}
		return d.resolve(arg.Content[2])
	}
	c := *n
	c.Content = nil
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, keep, err := d.resolve(n.Content[i+1])
			if err != nil {
				return nil, false, err
			}
			if keep {
				c.Content = append(c.Content, clone(n.Content[i]), v)
			}
		}
	default:
		for _, x := range n.Content {
			v, keep, err := d.resolve(x)
			if err != nil {
				return nil, false, err
			}
			if keep {
				c.Content = append(c.Content, v)
			}
		}
	}
	return &c, true, nil
}

// fakeAccount is the account id scenarios use for AWS::AccountId.
const fakeAccount = "123456789012"

// Value evaluates a node to a string where the deployment determines it:
// scalars, Ref to a parameter or pseudo parameter, Fn::FindInMap with
// such keys, and Fn::Sub over parameters and pseudo parameters.
func (d *Deployment) Value(n *yaml.Node) (string, error) {
	if s, ok := str(n); ok {
		return s, nil
	}
	f, arg, ok := intrinsic(n)
	if !ok {
		return "", fmt.Errorf("line %d: not a value", n.Line)
	}
	switch f {
	case "Ref":
		name, _ := str(arg)
		return d.named(name, n.Line)
	case "Fn::FindInMap":
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 3 {
			return "", fmt.Errorf("line %d: Fn::FindInMap needs three keys", n.Line)
		}
		var ks []string
		for _, k := range arg.Content {
			v, err := d.Value(k)
			if err != nil {
				return "", err
			}
			ks = append(ks, v)
		}
		v, found := str(get(d.Template.Section("Mappings"), ks...))
		if !found {
			return "", fmt.Errorf("line %d: no mapping value %s", n.Line, strings.Join(ks, "/"))
		}
		return v, nil
	case "Fn::Sub":
		s, isStr := str(arg)
		if !isStr {
			return "", fmt.Errorf("line %d: only the string form of Fn::Sub has a value here", n.Line)
		}
		vars, err := SubVariables(s)
		if err != nil {
			return "", err
		}
		for _, v := range vars {
			val, err := d.named(v, n.Line)
			if err != nil {
				return "", err
			}
			s = strings.ReplaceAll(s, "${"+v+"}", val)
		}
		return strings.ReplaceAll(s, "${!", "${"), nil
	}
	return "", fmt.Errorf("line %d: %s has no value before deployment", n.Line, f)
}

func (d *Deployment) named(name string, line int) (string, error) {
	switch name {
	case "AWS::Region":
		return d.Scenario.Region, nil
	case "AWS::AccountId":
		return fakeAccount, nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::StackName":
		return d.Scenario.Name, nil
	}
	if v, ok := d.Params[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("line %d: %s is not a parameter", line, name)
}
