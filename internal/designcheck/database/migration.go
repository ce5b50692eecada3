package database

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/todomgmt/todomgmt/internal/designcheck"
)

// Timeouts of the migration: the function may wait for the proxy target
// and run DDL (at least minMigrateTimeout, at most Lambda's maximum), and
// CloudFormation's ServiceTimeout (1 to 3600 s) must outlast it.
const (
	minMigrateTimeout = 300
	maxLambdaTimeout  = 900
	maxServiceTimeout = 3600
)

func checkMigration(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		migs := d.OfType("Custom::Migration")
		if len(migs) != 1 {
			r.AddIn(d, "Resources", "want one Custom::Migration in every stack (after a failover the writer is in the stack created as secondary), got %d", len(migs))
			continue
		}
		mig := migs[0]
		where := "Resources." + mig.Name
		rn, attr, ok := designcheck.GetAttTarget(mig.Prop("ServiceToken"))
		fn := d.Resource(rn)
		if !ok || attr != "Arn" || fn == nil || fn.Type != "AWS::Lambda::Function" || in.PackageOf(rn) != "handlers/migrate" {
			r.AddIn(d, where, "ServiceToken must be !GetAtt <migrate function>.Arn")
			fn = nil
		}
		// The migration needs the writer, the proxy's target and its
		// read-only endpoint. Readers (DbReaderInstances) are not on its
		// path, and depending on a resource whose Condition is false would
		// be a template error where they do not exist.
		for _, typ := range []string{"AWS::RDS::DBProxyTargetGroup", "AWS::RDS::DBInstance", "AWS::RDS::DBProxyEndpoint"} {
			for _, dep := range d.OfType(typ) {
				if typ == "AWS::RDS::DBInstance" && dependsOnInstance(d, dep) {
					continue
				}
				if !slices.Contains(mig.DependsOn, dep.Name) {
					r.AddIn(d, where, "must DependsOn %s (%s)", dep.Name, typ)
				}
			}
		}
		if fn == nil {
			continue
		}
		// A new version of the function (new migrations) changes the
		// custom resource's properties, so CloudFormation sends an Update
		// and the migrations run.
		version, _ := designcheck.RefTarget(mig.Prop("FunctionVersion"))
		if v := d.Resource(version); v == nil || v.Type != "AWS::Lambda::Version" || !designcheck.IsRef(v.Prop("FunctionName"), fn.Name) {
			r.AddIn(d, where, "FunctionVersion must be !Ref %s.Version (a new version re-runs the migrations), got %s", fn.Name, designcheck.Render(mig.Prop("FunctionVersion")))
		}
		fw := "Resources." + fn.Name
		timeout, err := strconv.Atoi(designcheck.StrValue(fn.Prop("Timeout")))
		if err != nil || timeout < minMigrateTimeout || timeout > maxLambdaTimeout {
			r.AddIn(d, fw, "Timeout %q: the migrate function needs %d to %d s (it waits for the proxy target, then runs DDL)", designcheck.StrValue(fn.Prop("Timeout")), minMigrateTimeout, maxLambdaTimeout)
		}
		st, err := strconv.Atoi(designcheck.StrValue(mig.Prop("ServiceTimeout")))
		switch {
		case err != nil || st < 1 || st > maxServiceTimeout:
			r.AddIn(d, where, "ServiceTimeout %q: must be an integer from 1 to %d", designcheck.StrValue(mig.Prop("ServiceTimeout")), maxServiceTimeout)
		case st <= timeout:
			r.AddIn(d, where, "ServiceTimeout %d s must exceed the function's Timeout %d s, or CloudFormation gives up while the run still works", st, timeout)
		}
		checkMigrateReach(d, r, fw, fn)
		checkPurgeSchedule(d, r, fn)
	}
}

// PurgeAction is the direct-invoke action of handlers/migrate that deletes
// expired idempotency keys; PurgeSchedule is how often it runs.
const (
	PurgeAction   = "purge-idempotency-keys"
	PurgeSchedule = "rate(1 hour)"
)

// checkPurgeSchedule: idempotency keys expire only through the purge, so
// every stack has exactly one enabled hourly EventBridge rule (what SAM
// makes of a Schedule event) sending the purge action to the migrate
// function mig (the passive region's run skips), and no other function is
// sent that action, which only handlers/migrate understands.
func checkPurgeSchedule(d *designcheck.Deployment, r *designcheck.Report, mig *designcheck.Resource) {
	found := 0
	for _, rule := range d.OfType("AWS::Events::Rule") {
		where := "Resources." + rule.Name
		for _, t := range designcheck.Items(rule.Prop("Targets")) {
			var inv struct {
				Action string `json:"action"`
			}
			if json.Unmarshal([]byte(designcheck.StrValue(designcheck.Get(t, "Input"))), &inv) != nil || !strings.EqualFold(strings.TrimSpace(inv.Action), PurgeAction) {
				continue
			}
			if fn := d.InvokedFunction(designcheck.Get(t, "Arn")); fn != mig.Name {
				r.AddIn(d, where, "the %s schedule must target the migrate function %s, not %q", PurgeAction, mig.Name, fn)
				continue
			}
			found++
			if v := designcheck.StrValue(rule.Prop("ScheduleExpression")); v != PurgeSchedule {
				r.AddIn(d, where, "ScheduleExpression %q, want %s", v, PurgeSchedule)
			}
			if v := designcheck.StrValue(rule.Prop("State")); strings.EqualFold(v, "DISABLED") {
				r.AddIn(d, where, "the %s schedule is disabled: idempotency keys would never expire", PurgeAction)
			}
		}
	}
	if found != 1 {
		r.AddIn(d, "Resources."+mig.Name, `want one schedule sending {"action":%q} to it (idempotency keys expire only through it), got %d`, PurgeAction, found)
	}
}

// checkMigrateReach: in this deployment the migrate function reads an app
// secret the region's proxy holds, and its security group may reach the
// proxy, whichever role the stack has.
func checkMigrateReach(d *designcheck.Deployment, r *designcheck.Report, where string, fn *designcheck.Resource) {
	proxies := d.OfType("AWS::RDS::DBProxy")
	if len(proxies) != 1 {
		return // the proxy check reports it
	}
	proxy := proxies[0]
	// The app secret the function reads is one the proxy holds: the
	// stack's own in the primary, its replica in this region in the
	// secondary (same expression as the proxy's).
	secret := fn.Prop("Environment", "Variables", "TODOMGMT_APP_SECRET_ARN")
	held := false
	for _, a := range designcheck.Items(proxy.Prop("Auth")) {
		if secret != nil && designcheck.EqualNodes(designcheck.Get(a, "SecretArn"), secret) {
			held = true
		}
	}
	if !held {
		r.AddIn(d, where, "TODOMGMT_APP_SECRET_ARN must be a secret %s holds in this region (the primary's, or its replica here), got %s", proxy.Name, designcheck.Render(secret))
	}
	fnSGs := designcheck.RefSet(fn.Prop("VpcConfig", "SecurityGroupIds"))
	proxySGs := designcheck.RefSet(proxy.Prop("VpcSecurityGroupIds"))
	for _, in := range d.OfType("AWS::EC2::SecurityGroupIngress") {
		g, _ := designcheck.RefTarget(in.Prop("GroupId"))
		src, _ := designcheck.RefTarget(in.Prop("SourceSecurityGroupId"))
		if proxySGs[g] && fnSGs[src] && designcheck.StrValue(in.Prop("FromPort")) == "3306" && designcheck.StrValue(in.Prop("ToPort")) == "3306" {
			return
		}
	}
	r.AddIn(d, where, "no ingress rule in this stack lets the function's security group reach %s on 3306", proxy.Name)
}
