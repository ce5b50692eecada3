package designcheck

import (
	"errors"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/samcheck"
)

// Deployment is a template as CloudFormation would see it with one
// parameter set: conditions evaluated, only the resources and outputs that
// would exist, and every Fn::If replaced by its chosen branch (with
// AWS::NoValue removed). The template is the SAM translator's output for
// that set, except where a check evaluates the template as written.
type Deployment struct {
	Set        samcheck.ParameterSet
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

// FunctionRole returns the role a function runs with.
func (d *Deployment) FunctionRole(fn *Resource) *Resource {
	name, attr, ok := GetAttTarget(fn.Prop("Role"))
	if role := d.Resource(name); ok && attr == "Arn" && role != nil && role.Type == "AWS::IAM::Role" {
		return role
	}
	return nil
}

// InvokedFunction returns the AWS::Lambda::Function an ARN expression
// names: !GetAtt F.Arn, or !Ref of one of F's versions or aliases.
func (d *Deployment) InvokedFunction(n *yaml.Node) string {
	if name, attr, ok := GetAttTarget(n); ok && attr == "Arn" {
		return name
	}
	name, _ := RefTarget(n)
	res := d.Resource(name)
	if res == nil {
		return ""
	}
	switch res.Type {
	case "AWS::Lambda::Function":
		return name
	case "AWS::Lambda::Alias", "AWS::Lambda::Version":
		fn, _ := RefTarget(res.Prop("FunctionName"))
		return fn
	}
	return ""
}

// APIFunctions are the functions the deployment's REST APIs invoke.
func (d *Deployment) APIFunctions() map[string]bool {
	fns := map[string]bool{}
	for _, api := range d.OfType("AWS::ApiGateway::RestApi") {
		paths := api.Prop("Body", "paths")
		for _, p := range Keys(paths) {
			for _, m := range Keys(Get(paths, p)) {
				if fn := IntegrationTarget(Get(paths, p, m)); fn != "" {
					fns[fn] = true
				}
			}
		}
	}
	return fns
}

// Value evaluates a node to a string where the deployment determines it:
// scalars, Ref to a parameter or pseudo parameter, Fn::FindInMap with
// such keys, and Fn::Sub over parameters and pseudo parameters.
func (d *Deployment) Value(n *yaml.Node) (string, error) {
	if s, ok := Str(n); ok {
		return s, nil
	}
	f, arg, ok := Intrinsic(n)
	if !ok {
		return "", fmt.Errorf("line %d: not a value", n.Line)
	}
	switch f {
	case "Ref":
		name, _ := Str(arg)
		return d.Named(name, n.Line)
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
		v, found := Str(Get(d.Template.Section("Mappings"), ks...))
		if !found {
			return "", fmt.Errorf("line %d: no mapping value %s", n.Line, strings.Join(ks, "/"))
		}
		return v, nil
	case "Fn::Sub":
		s, isStr := Str(arg)
		if !isStr {
			return "", fmt.Errorf("line %d: only the string form of Fn::Sub has a value here", n.Line)
		}
		vars, err := SubVariables(s)
		if err != nil {
			return "", err
		}
		for _, v := range vars {
			val, err := d.Named(v, n.Line)
			if err != nil {
				return "", err
			}
			s = strings.ReplaceAll(s, "${"+v+"}", val)
		}
		return strings.ReplaceAll(s, "${!", "${"), nil
	}
	return "", fmt.Errorf("line %d: %s has no value before deployment", n.Line, f)
}

// Named is the value of a pseudo parameter (AWS::Region, AWS::StackName,
// ...) or a parameter in the deployment; line places the error of a name
// that has no value before deployment.
func (d *Deployment) Named(name string, line int) (string, error) {
	switch name {
	case "AWS::Region":
		return d.Set.Region, nil
	case "AWS::AccountId":
		return samcheck.ExampleAccount, nil
	case "AWS::Partition":
		return "aws", nil
	case "AWS::URLSuffix":
		return "amazonaws.com", nil
	case "AWS::StackName":
		return d.Set.Name, nil
	}
	if v, ok := d.Params[name]; ok {
		return v, nil
	}
	return "", fmt.Errorf("line %d: %s is not a parameter", line, name)
}

// evalRules applies the Rules section: for each rule whose RuleCondition
// holds (or that has none) every assertion must hold.
func (d *Deployment) evalRules() error {
	rules := d.Template.Section("Rules")
	var errs []error
	for _, name := range Keys(rules) {
		rule := Get(rules, name)
		if c := Get(rule, "RuleCondition"); c != nil {
			on, err := d.ruleValue(c)
			if err != nil {
				errs = append(errs, fmt.Errorf("rule %s: RuleCondition: %w", name, err))
				continue
			}
			if !on {
				continue
			}
		}
		asserts := Items(Get(rule, "Assertions"))
		if len(asserts) == 0 {
			errs = append(errs, fmt.Errorf("rule %s: no Assertions", name))
		}
		for i, a := range asserts {
			ok, err := d.ruleValue(Get(a, "Assert"))
			if err != nil {
				errs = append(errs, fmt.Errorf("rule %s: assertion %d: %w", name, i, err))
				continue
			}
			if !ok {
				desc, _ := Str(Get(a, "AssertDescription"))
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
	f, arg, ok := Intrinsic(n)
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
	if IsRef(n, "AWS::NoValue") {
		return nil, false, nil
	}
	if f, arg, ok := Intrinsic(n); ok && f == "Fn::If" {
		if arg.Kind != yaml.SequenceNode || len(arg.Content) != 3 {
			return nil, false, fmt.Errorf("line %d: Fn::If needs [Condition, IfTrue, IfFalse]", n.Line)
		}
		name, _ := Str(arg.Content[0])
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
				c.Content = append(c.Content, CloneNode(n.Content[i]), v)
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

// Deploy evaluates the template t for the parameter set s, as
// CloudFormation would: its Rules refuse the set (ErrRuleFailed) or its
// conditions decide what exists.
func Deploy(t *Template, s samcheck.ParameterSet) (*Deployment, error) {
	d := &Deployment{
		Set:        s,
		Template:   t,
		Params:     map[string]string{},
		Conditions: map[string]bool{},
		Outputs:    map[string]*yaml.Node{},
		byName:     map[string]*Resource{},
	}
	for name := range s.Params {
		if t.Parameter(name) == nil {
			return nil, fmt.Errorf("set %s: no parameter %s in the template", s.Name, name)
		}
	}
	for _, p := range t.Parameters() {
		switch v, given := s.Params[p.Name]; {
		case given:
			d.Params[p.Name] = v
		case p.Default != nil:
			d.Params[p.Name] = *p.Default
		default:
			return nil, fmt.Errorf("set %s: parameter %s has no value and no default", s.Name, p.Name)
		}
	}
	// CloudFormation applies the Rules to the parameter values before it
	// changes anything.
	if err := d.evalRules(); err != nil {
		return nil, fmt.Errorf("set %s: %w", s.Name, err)
	}
	conds := t.Section("Conditions")
	visiting := map[string]bool{}
	var evalNamed func(name string) (bool, error)
	var eval func(n *yaml.Node) (bool, error)
	evalNamed = func(name string) (bool, error) {
		if v, done := d.Conditions[name]; done {
			return v, nil
		}
		def := Get(conds, name)
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
		f, arg, ok := Intrinsic(n)
		if !ok {
			return false, fmt.Errorf("line %d: not a condition expression", n.Line)
		}
		switch f {
		case "Condition":
			name, _ := Str(arg)
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
	for _, name := range Keys(conds) {
		if _, err := evalNamed(name); err != nil {
			return nil, fmt.Errorf("set %s: %w", s.Name, err)
		}
	}
	active := func(cond string) (bool, error) {
		if cond == "" {
			return true, nil
		}
		v, known := d.Conditions[cond]
		if !known {
			return false, fmt.Errorf("set %s: no condition %s", s.Name, cond)
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
			return nil, fmt.Errorf("set %s: resource %s: %w", s.Name, r.Name, err)
		}
		rr := newResource(r.Name, node)
		d.Resources = append(d.Resources, rr)
		d.byName[r.Name] = rr
	}
	outs := t.Section("Outputs")
	for _, name := range Keys(outs) {
		o := Get(outs, name)
		cond, _ := Str(Get(o, "Condition"))
		on, err := active(cond)
		if err != nil {
			return nil, err
		}
		if !on {
			continue
		}
		node, err := d.resolveIfs(o)
		if err != nil {
			return nil, fmt.Errorf("set %s: output %s: %w", s.Name, name, err)
		}
		d.Outputs[name] = node
	}
	return d, nil
}

// ErrRuleFailed marks a deployment the template's Rules refuse.
var ErrRuleFailed = errors.New("refused by Rules")

// IntegrationTarget returns the function an OpenAPI operation's
// integration invokes: F of "...:lambda:path/.../functions/${F.Arn}/invocations".
func IntegrationTarget(op *yaml.Node) string {
	f, arg, ok := Intrinsic(Get(op, "x-amazon-apigateway-integration", "uri"))
	if !ok || f != "Fn::Sub" {
		return ""
	}
	if arg.Kind == yaml.SequenceNode && len(arg.Content) > 0 {
		arg = arg.Content[0]
	}
	text, _ := Str(arg)
	vars, _ := SubVariables(text)
	for _, v := range vars {
		if name, found := strings.CutSuffix(v, ".Arn"); found && strings.Contains(text, "functions/${"+v+"}/invocations") {
			return name
		}
	}
	return ""
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
