package contract

import (
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/pkg/samconfig"
)

// ------------------------------------------------------------ samconfig

// samEnvs are the config environments samconfig.toml must have.
var samEnvs = []string{"default", "primary", "secondary"}

func checkSamConfig(in *designcheck.Input, r *designcheck.Report) {
	sc := in.SamConfig
	if sc == nil {
		r.Add("samconfig.toml", "missing or unreadable")
		return
	}
	if sc.Version != 0.1 {
		r.Add("samconfig.toml", "version %v, want 0.1", sc.Version)
	}
	regions := map[string]string{}
	over := map[string]map[string]string{}
	cidrs := map[string]netip.Prefix{}
	for _, name := range samEnvs {
		env, ok := sc.Envs[name]
		if !ok {
			r.Add("samconfig.toml", "no [%s] environment", name)
			continue
		}
		over[name] = checkSamEnv(in, r, env)
		regions[name] = env.Params("deploy").Region()
		if pfx, err := netip.ParsePrefix(over[name]["VpcCidr"]); err == nil {
			cidrs[name] = pfx
		}
	}
	p, s := over["primary"], over["secondary"]
	if p == nil || s == nil {
		return
	}
	if p["Role"] != "primary" || s["Role"] != "secondary" {
		r.Add("samconfig.toml", "Role must be primary in [primary] and secondary in [secondary], got %q and %q", p["Role"], s["Role"])
	}
	if regions["primary"] == regions["secondary"] {
		r.Add("samconfig.toml", "[primary] and [secondary] deploy to the same region %s", regions["primary"])
	}
	if p["PeerRegion"] != regions["secondary"] || s["PeerRegion"] != regions["primary"] {
		r.Add("samconfig.toml", "PeerRegion must name the other environment's region: primary has %q (want %q), secondary has %q (want %q)",
			p["PeerRegion"], regions["secondary"], s["PeerRegion"], regions["primary"])
	}
	// Either region may hold the writer after a failover, and the passive
	// one's minimum capacity is what its new writer starts from: a
	// decision each environment states, not a default it inherits.
	for _, env := range designcheck.ReaderEnvs {
		if _, ok := over[env]["DbMinCapacity"]; !ok {
			r.Add("["+env+"]", "DbMinCapacity is not set: the passive region's minimum capacity is what a promoted writer starts from; set it deliberately")
		}
	}
	if p["GlobalClusterIdentifier"] != s["GlobalClusterIdentifier"] {
		r.Add("samconfig.toml", "GlobalClusterIdentifier differs between [primary] and [secondary]")
	}
	appName := func(env string) string {
		if v, ok := over[env]["AppName"]; ok {
			return v
		}
		if p := in.Source.Parameter("AppName"); p != nil && p.Default != nil {
			return *p.Default
		}
		return ""
	}
	if appName("primary") != appName("secondary") {
		r.Add("samconfig.toml", "AppName differs between [primary] and [secondary] (the routing alarm and secret names depend on it)")
	}
	for i, a := range samEnvs {
		for _, b := range samEnvs[i+1:] {
			if over[a] == nil || over[b] == nil {
				continue
			}
			if regions[a] == regions[b] && appName(a) == appName(b) {
				r.Add("samconfig.toml", "[%s] and [%s] deploy AppName %q to the same region %s: their physical names collide", a, b, appName(a), regions[a])
			}
			pa, oka := cidrs[a]
			pb, okb := cidrs[b]
			if oka && okb && pa.Overlaps(pb) {
				r.Add("samconfig.toml", "VpcCidr of [%s] %s overlaps [%s] %s", a, pa, b, pb)
			}
		}
	}
	for _, name := range samEnvs {
		if pfx, ok := cidrs[name]; ok && !pfx.Addr().IsPrivate() {
			r.Add("["+name+"]", "VpcCidr %s is not RFC 1918", pfx)
		}
	}
}

// checkSamEnv checks one environment's commands and returns the parameter
// overrides of its deploy command (nil when they are missing or unreadable).
func checkSamEnv(in *designcheck.Input, r *designcheck.Report, env samconfig.Env) map[string]string {
	name := env.Name
	deploy := env.Params("deploy")
	var deployOv map[string]string
	// deploy and sync deploy the stack; build and local start-api resolve
	// the template's parameters (conditions, mappings, !Sub) with the same
	// overrides, so a local API or a build sees the stack it would deploy.
	for _, cmd := range designcheck.SamCommands {
		where := "[" + name + "." + cmd + "]"
		if _, ok := env.Commands[cmd]; !ok {
			r.Add("["+name+"]", "no [%s.%s.parameters]", name, cmd)
			continue
		}
		params := env.Params(cmd)
		deploys := cmd == "deploy" || cmd == "sync"
		if deploys {
			if params.Region() == "" || params.StackName() == "" {
				r.Add(where, "region and stack_name must be set")
			}
			caps := strings.Fields(params.String("capabilities"))
			for _, c := range []string{"CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"} {
				if !slices.Contains(caps, c) {
					r.Add(where, "capabilities lack %s", c)
				}
			}
		}
		if _, ok := params["parameter_overrides"]; !ok && !deploys {
			r.Add(where, "no parameter_overrides: sam %s resolves the template's parameters with them", map[string]string{"build": "build", "local_start_api": "local start-api"}[cmd])
			continue
		}
		ov, err := params.ParameterOverrides()
		if err != nil {
			r.Add(where, "parameter_overrides: %v", err)
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(ov)) {
			p := in.Source.Parameter(k)
			if p == nil {
				r.Add(where, "parameter_overrides names %s, which is not a template parameter", k)
				continue
			}
			if msg := validateParameter(p, ov[k]); msg != "" {
				r.Add(where, "%s=%q: %s", k, ov[k], msg)
			}
		}
		for _, p := range in.Source.Parameters() {
			if _, given := ov[p.Name]; !given && p.Default == nil {
				r.Add(where, "required parameter %s (no default) is not given", p.Name)
			}
		}
		if cmd == "deploy" {
			deployOv = ov
			continue
		}
		if deployOv != nil && !maps.Equal(deployOv, ov) {
			r.Add(where, "parameter_overrides differ from [%s.deploy]", name)
		}
		if deploys && (params.Region() != deploy.Region() || params.StackName() != deploy.StackName()) {
			r.Add(where, "region/stack_name differ from [%s.deploy]", name)
		}
	}
	// SAM's build cache hashes a function's CodeUri (its handlers/
	// directory) and manifest only: a cached build would keep a stale
	// binary after a change in pkg/. `sam build` honours cached = false;
	// `sam sync` always builds with the cache (samcli/commands/sync/
	// command.py passes cached=True), so its cache is cleared before it.
	if v, ok := env.Params("build")["cached"]; ok && v != false {
		r.Add("["+name+".build]", "cached = %v: SAM's build cache keys on CodeUri only and would miss changes in pkg/; set cached = false", v)
	}
	if env.Params("local_start_api").String("env_vars") != "env.json" {
		r.Add("["+name+".local_start_api]", "env_vars must be env.json")
	}
	return deployOv
}

// ---------------------------------------------------------------- env.json

func checkEnvJSON(in *designcheck.Input, r *designcheck.Report) {
	if in.EnvJSON == nil {
		r.Add("env.json", "missing or unreadable")
		return
	}
	for _, d := range in.Deployments() {
		for _, fnName := range slices.Sorted(maps.Keys(in.EnvJSON)) {
			where := "env.json " + fnName
			fn := d.Resource(fnName)
			if fn == nil || fn.Type != "AWS::Lambda::Function" {
				r.AddIn(d, where, "no such function in the template")
				continue
			}
			env := fn.Prop("Environment", "Variables")
			for _, k := range slices.Sorted(maps.Keys(in.EnvJSON[fnName])) {
				if designcheck.Get(env, k) == nil {
					r.AddIn(d, where, "%s is not declared in the function's Environment: sam local would ignore it", k)
				}
			}
			if in.PackageOf(fnName) == "handlers/api" && in.EnvJSON[fnName]["TODOMGMT_DB_DSN"] == "" {
				r.AddIn(d, where, "the API function needs TODOMGMT_DB_DSN for a local MySQL")
			}
		}
	}
}
