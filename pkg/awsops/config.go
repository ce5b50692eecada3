package awsops

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// Roles of the two stacks, as the Role parameter names them. After a
// failover the writer may sit in the "secondary" stack: the role is where
// a stack started, not where the writer is now.
const (
	RolePrimary   = "primary"
	RoleSecondary = "secondary"
)

// Target is one regional deployment as samconfig.toml describes it.
type Target struct {
	// Env is the samconfig environment (and the stack's role).
	Env       string
	Region    string
	StackName string
	// Overrides are the environment's parameter_overrides.
	Overrides map[string]string
}

// Config is what the targets take from samconfig.toml.
type Config struct {
	Primary, Secondary Target
}

// AppName is the AppName parameter (default todomgmt).
func (c Config) AppName() string {
	if n := c.Primary.Overrides["AppName"]; n != "" {
		return n
	}
	return "todomgmt"
}

// Targets returns both, primary first.
func (c Config) Targets() []Target { return []Target{c.Primary, c.Secondary} }

// Regions returns both targets' regions, primary first: the regions a
// failover target may name (failover.ParseTarget).
func (c Config) Regions() []string { return []string{c.Primary.Region, c.Secondary.Region} }

// Target returns the target of role (RolePrimary or RoleSecondary); false
// for any other name.
func (c Config) Target(role string) (Target, bool) {
	switch role {
	case RolePrimary:
		return c.Primary, true
	case RoleSecondary:
		return c.Secondary, true
	}
	return Target{}, false
}

// ConfigFrom reads the [primary] and [secondary] deploy parameters.
func ConfigFrom(sc *samconfig.Config) (Config, error) {
	var c Config
	for _, x := range []struct {
		env string
		t   *Target
	}{{RolePrimary, &c.Primary}, {RoleSecondary, &c.Secondary}} {
		e, err := sc.Env(x.env)
		if err != nil {
			return Config{}, err
		}
		p := e.Params("deploy")
		o, err := p.ParameterOverrides()
		if err != nil {
			return Config{}, fmt.Errorf("samconfig [%s] parameter_overrides: %w", x.env, err)
		}
		*x.t = Target{Env: x.env, Region: p.Region(), StackName: p.StackName(), Overrides: o}
		if x.t.Region == "" || x.t.StackName == "" {
			return Config{}, fmt.Errorf("samconfig [%s.deploy.parameters] needs region and stack_name", x.env)
		}
	}
	if c.Primary.Region == c.Secondary.Region {
		return Config{}, fmt.Errorf("samconfig: primary and secondary are both in %s", c.Primary.Region)
	}
	return c, nil
}

// LoadSamconfig reads samconfig.toml at path.
func LoadSamconfig(path string) (Config, error) {
	sc, err := samconfig.Load(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, fmt.Errorf("%s not found: run mage from the repository root", path)
	}
	if err != nil {
		return Config{}, err
	}
	return ConfigFrom(sc)
}

// DeletionProtection is the DeletionProtection parameter of both
// stacks (the template's default: true): what the clusters should have.
func (c Config) DeletionProtection() bool {
	for _, t := range c.Targets() {
		if t.Overrides["DeletionProtection"] == "false" {
			return false
		}
	}
	return true
}

// ClusterIdentifier is the identifier template.yaml gives the cluster of
// target (DBClusterIdentifier: ${AppName}-${AWS::Region}), lowercase as
// RDS keeps it. It does not depend on the stack still existing.
func (c Config) ClusterIdentifier(t Target) string {
	app := t.Overrides["AppName"]
	if app == "" {
		app = c.AppName()
	}
	return strings.ToLower(app + "-" + t.Region)
}
