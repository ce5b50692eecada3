package designcheck

import (
	"fmt"
	"strings"

	"github.com/todomgmt/todomgmt/internal/samcheck"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// Input is what the checks read.
type Input struct {
	// Source is template.yaml as written.
	Source    *Template
	SamConfig *samconfig.Config
	// Sets are the parameter sets the template is deployed with, and
	// Translated the SAM translator's output for each, by set name. The
	// checks that read Deployments need them.
	Sets       []samcheck.ParameterSet
	Translated map[string]*Template
	// RouterJS is frontdoor/router.js; the front-door check compares it
	// with the CloudFront Function's code. Empty skips that comparison.
	RouterJS string
	// Handlers are the Go main packages the template must build, relative
	// to the module root (handlers/api, handlers/migrate).
	Handlers []string
	// EnvJSON is env.json, the variables of `sam local start-api --env-vars`.
	EnvJSON map[string]map[string]string

	deployments []*Deployment
	deployErrs  []error
	deployed    bool
}

// Deployments evaluates each set's translated template for that set.
// Sets that do not evaluate are left out (the deployments check reports
// them).
func (in *Input) Deployments() []*Deployment {
	if !in.deployed {
		in.deployed = true
		for _, s := range in.Sets {
			t := in.Translated[s.Name]
			if t == nil {
				in.deployErrs = append(in.deployErrs, fmt.Errorf("set %s: not translated", s.Name))
				continue
			}
			d, err := Deploy(t, s)
			if err != nil {
				in.deployErrs = append(in.deployErrs, err)
				continue
			}
			in.deployments = append(in.deployments, d)
		}
	}
	return in.deployments
}

// DeploymentErrors says why each set that Deployments leaves out does not
// evaluate.
func (in *Input) DeploymentErrors() []error {
	in.Deployments()
	return in.deployErrs
}

// PackageOf is the Go main package the function name builds: the CodeUri
// of the AWS::Serverless::Function of that logical id (the translator
// keeps it for the AWS::Lambda::Function it makes), "" for none.
func (in *Input) PackageOf(name string) string {
	fn := in.Source.Resource(name)
	if fn == nil || fn.Type != "AWS::Serverless::Function" {
		return ""
	}
	return FunctionPackage(fn)
}

// FunctionPackage is the Go main package a function builds: its CodeUri,
// without a leading "./" or trailing "/".
func FunctionPackage(fn *Resource) string {
	v, _ := Str(fn.Prop("CodeUri"))
	return strings.TrimSuffix(strings.TrimPrefix(v, "./"), "/")
}
