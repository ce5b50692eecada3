package designcheck

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ---------------------------------------------------------------- proxy

func checkProxy(in *Input, r *report) {
	for _, d := range in.Deployments() {
		proxies := d.OfType("AWS::RDS::DBProxy")
		if len(proxies) != 1 {
			r.addIn(d, "Resources", "want one AWS::RDS::DBProxy, got %d", len(proxies))
			continue
		}
		p := proxies[0]
		where := "Resources." + p.Name
		if v, _ := str(p.Prop("RequireTLS")); v != "true" {
			r.addIn(d, where, "RequireTLS must be true")
		}
		if v, _ := str(p.Prop("EngineFamily")); v != "MYSQL" {
			r.addIn(d, where, "EngineFamily %q, want MYSQL", v)
		}
		auths := items(p.Prop("Auth"))
		if len(auths) == 0 {
			r.addIn(d, where, "no Auth entries")
		}
		var secrets []*yaml.Node
		for i, a := range auths {
			if v, _ := str(get(a, "IAMAuth")); v != "REQUIRED" {
				r.addIn(d, where, "Auth[%d].IAMAuth %q, want REQUIRED", i, v)
			}
			if v, _ := str(get(a, "AuthScheme")); v != "SECRETS" {
				r.addIn(d, where, "Auth[%d].AuthScheme %q, want SECRETS", i, v)
			}
			secrets = append(secrets, get(a, "SecretArn"))
		}
		// The target group: the cluster, a borrow timeout under 29 s.
		tgs := 0
		for _, tg := range d.OfType("AWS::RDS::DBProxyTargetGroup") {
			if !isRef(tg.Prop("DBProxyName"), p.Name) {
				continue
			}
			tgs++
			tw := "Resources." + tg.Name
			clusters := items(tg.Prop("DBClusterIdentifiers"))
			if len(clusters) != 1 || len(d.OfType("AWS::RDS::DBCluster")) != 1 || !isRef(clusters[0], d.OfType("AWS::RDS::DBCluster")[0].Name) {
				r.addIn(d, tw, "DBClusterIdentifiers must be the one cluster")
			}
			bt, ok := str(tg.Prop("ConnectionPoolConfigurationInfo", "ConnectionBorrowTimeout"))
			n, err := strconv.Atoi(bt)
			if !ok || err != nil || n < 1 || n >= apiGatewayTimeout {
				r.addIn(d, tw, "ConnectionBorrowTimeout %q: must be set, under API Gateway's 29 s", bt)
			}
		}
		if tgs != 1 {
			r.addIn(d, where, "want one target group for the proxy, got %d", tgs)
		}
		ro := 0
		for _, ep := range d.OfType("AWS::RDS::DBProxyEndpoint") {
			if isRef(ep.Prop("DBProxyName"), p.Name) {
				if v, _ := str(ep.Prop("TargetRole")); v == "READ_ONLY" {
					ro++
				}
			}
		}
		if ro != 1 {
			r.addIn(d, where, "want one READ_ONLY proxy endpoint, got %d", ro)
		}
		// The proxy's role may read exactly the proxy's secrets.
		roleName, _, _ := getAttTarget(p.Prop("RoleArn"))
		role := d.Resource(roleName)
		if role == nil {
			r.addIn(d, where, "RoleArn must be !GetAtt of a role in the stack")
			continue
		}
		var readable []*yaml.Node
		walk(role.Properties, func(n *yaml.Node) {
			for _, st := range items(get(n, "Statement")) {
				for _, a := range items(get(st, "Action")) {
					if v, _ := str(a); strings.HasPrefix(v, "secretsmanager:") {
						if v != "secretsmanager:GetSecretValue" {
							r.addIn(d, "Resources."+role.Name, "proxy role action %s: only secretsmanager:GetSecretValue", v)
						}
						readable = append(readable, items(get(st, "Resource"))...)
					}
				}
			}
		})
		if !sameNodes(readable, secrets) {
			r.addIn(d, "Resources."+role.Name, "secretsmanager:GetSecretValue must cover exactly the proxy's Auth secrets")
		}
	}
}

// sameNodes reports whether two lists hold the same nodes, in any order.
func sameNodes(a, b []*yaml.Node) bool {
	if len(a) != len(b) {
		return false
	}
	used := make([]bool, len(b))
outer:
	for _, x := range a {
		for j, y := range b {
			if !used[j] && equal(x, y) {
				used[j] = true
				continue outer
			}
		}
		return false
	}
	return true
}

// ----------------------------------------------------------- encryption

func checkEncryption(in *Input, r *report) {
	for _, d := range in.Deployments() {
		keysByName := map[string]*Resource{}
		for _, k := range d.OfType("AWS::KMS::Key") {
			keysByName[k.Name] = k
			where := "Resources." + k.Name
			if v, _ := str(k.Prop("EnableKeyRotation")); v != "true" {
				r.addIn(d, where, "EnableKeyRotation must be true")
			}
			if k.Attr("DeletionPolicy") != "Retain" || k.Attr("UpdateReplacePolicy") != "Retain" {
				r.addIn(d, where, "DeletionPolicy and UpdateReplacePolicy must be Retain (final snapshots are encrypted with this key)")
			}
			accountRoot := scalar(0, "arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
			for i, st := range items(k.Prop("KeyPolicy", "Statement")) {
				principal := get(st, "Principal", "AWS")
				f, arg, ok := intrinsic(principal)
				if !ok || f != "Fn::Sub" || !equal(arg, accountRoot) || get(st, "Principal", "Service") != nil || get(st, "NotPrincipal") != nil {
					r.addIn(d, where, "KeyPolicy statement %d must name only this account's root principal", i)
				}
			}
		}
		usesKey := func(n *yaml.Node) bool {
			if name, ok := refTarget(n); ok && keysByName[name] != nil {
				return true
			}
			name, _, ok := getAttTarget(n)
			return ok && keysByName[name] != nil
		}
		for _, c := range d.OfType("AWS::RDS::DBCluster") {
			where := "Resources." + c.Name
			if v, _ := str(c.Prop("StorageEncrypted")); v != "true" {
				r.addIn(d, where, "StorageEncrypted must be true")
			}
			if !usesKey(c.Prop("KmsKeyId")) {
				r.addIn(d, where, "KmsKeyId must be this region's customer managed key")
			}
		}
		for _, g := range d.OfType("AWS::RDS::GlobalCluster") {
			if v, _ := str(g.Prop("StorageEncrypted")); v != "true" {
				r.addIn(d, "Resources."+g.Name, "StorageEncrypted must be true")
			}
		}
		for _, s := range d.OfType("AWS::SecretsManager::Secret") {
			if !usesKey(s.Prop("KmsKeyId")) {
				r.addIn(d, "Resources."+s.Name, "KmsKeyId must be this region's customer managed key")
			}
		}
	}
}

// ------------------------------------------------------------- database

func checkDatabase(in *Input, r *report) {
	for _, d := range in.Deployments() {
		for _, c := range d.OfType("AWS::RDS::DBCluster") {
			where := "Resources." + c.Name
			if v, _ := str(c.Prop("Engine")); v != "aurora-mysql" {
				r.addIn(d, where, "Engine %q, want aurora-mysql", v)
			}
			if c.Attr("DeletionPolicy") != "Snapshot" || c.Attr("UpdateReplacePolicy") != "Snapshot" {
				r.addIn(d, where, "DeletionPolicy and UpdateReplacePolicy must be Snapshot")
			}
			if n, _ := strconv.Atoi(mustStr(c.Prop("BackupRetentionPeriod"))); n < 1 {
				r.addIn(d, where, "BackupRetentionPeriod must be at least 1 day")
			}
			if !isRef(c.Prop("DeletionProtection"), "DeletionProtection") {
				r.addIn(d, where, "DeletionProtection must be !Ref DeletionProtection")
			}
			sv2 := c.Prop("ServerlessV2ScalingConfiguration")
			if !isRef(get(sv2, "MinCapacity"), "DbMinCapacity") || !isRef(get(sv2, "MaxCapacity"), "DbMaxCapacity") {
				r.addIn(d, where, "ServerlessV2ScalingConfiguration must use DbMinCapacity and DbMaxCapacity")
			}
			if c.Prop("DBSubnetGroupName") == nil || c.Prop("VpcSecurityGroupIds") == nil {
				r.addIn(d, where, "DBSubnetGroupName and VpcSecurityGroupIds must be set (private subnets, own group)")
			}
			v, err := d.Value(c.Prop("EngineVersion"))
			if err != nil || !strings.HasPrefix(v, "8.0.mysql_aurora.3.") {
				r.addIn(d, where, "EngineVersion %q: want Aurora MySQL 3 (8.0.mysql_aurora.3.*)", v)
			}
			for _, g := range d.OfType("AWS::RDS::GlobalCluster") {
				if gv, _ := d.Value(g.Prop("EngineVersion")); gv != v {
					r.addIn(d, "Resources."+g.Name, "EngineVersion %q differs from the cluster's %q", gv, v)
				}
			}
		}
		for _, i := range d.OfType("AWS::RDS::DBInstance") {
			where := "Resources." + i.Name
			if v, _ := str(i.Prop("DBInstanceClass")); v != "db.serverless" {
				r.addIn(d, where, "DBInstanceClass %q, want db.serverless", v)
			}
			if v, _ := str(i.Prop("PubliclyAccessible")); v == "true" {
				r.addIn(d, where, "PubliclyAccessible must be false")
			}
		}
	}
}

func mustStr(n *yaml.Node) string {
	s, _ := str(n)
	return s
}

// masterCredentialProps must not be set on a secondary cluster.
var masterCredentialProps = []string{"MasterUsername", "MasterUserPassword", "ManageMasterUserPassword", "MasterUserSecret", "DatabaseName", "SnapshotIdentifier"}

func checkSecondaryCluster(in *Input, r *report) {
	for _, d := range in.Deployments() {
		role := d.Set.Role()
		clusters := d.OfType("AWS::RDS::DBCluster")
		globals := d.OfType("AWS::RDS::GlobalCluster")
		if len(clusters) != 1 {
			r.addIn(d, "Resources", "want one DBCluster, got %d", len(clusters))
			continue
		}
		c := clusters[0]
		where := "Resources." + c.Name
		instances := 0
		for _, i := range d.OfType("AWS::RDS::DBInstance") {
			if isRef(i.Prop("DBClusterIdentifier"), c.Name) {
				instances++
			}
		}
		if instances < 1 {
			r.addIn(d, where, "the %s cluster has no instance (a headless secondary cannot be promoted)", role)
		}
		switch role {
		case "secondary":
			if len(globals) != 0 {
				r.addIn(d, "Resources", "the secondary must not create the global cluster")
			}
			for _, p := range masterCredentialProps {
				if c.Prop(p) != nil {
					r.addIn(d, where, "the secondary cluster must not set %s (it replicates the primary)", p)
				}
			}
			if !isRef(c.Prop("GlobalClusterIdentifier"), "GlobalClusterIdentifier") {
				r.addIn(d, where, "the secondary must join !Ref GlobalClusterIdentifier")
			}
		case "primary":
			if len(globals) != 1 {
				r.addIn(d, "Resources", "the primary must create the global cluster, got %d", len(globals))
				continue
			}
			if !isRef(globals[0].Prop("GlobalClusterIdentifier"), "GlobalClusterIdentifier") {
				r.addIn(d, "Resources."+globals[0].Name, "GlobalClusterIdentifier must be the parameter")
			}
			if !isRef(c.Prop("GlobalClusterIdentifier"), globals[0].Name) {
				r.addIn(d, where, "the primary cluster must join !Ref %s", globals[0].Name)
			}
			for _, p := range []string{"MasterUsername", "MasterUserPassword"} {
				f, arg, ok := intrinsic(c.Prop(p))
				s, _ := str(arg)
				if !ok || f != "Fn::Sub" || !strings.HasPrefix(s, "{{resolve:secretsmanager:") {
					r.addIn(d, where, "%s must be a secretsmanager dynamic reference", p)
				}
			}
		}
	}
}

// ---------------------------------------------------------------- secrets

// replicaARN is the Fn::Sub text of a replica's ARN in the secondary: the
// primary secret's name and suffix (field 6 of its ARN) in this region and
// account. Secrets Manager gives a replica the primary's ARN with the
// region replaced ("Replicate AWS Secrets Manager secrets across
// Regions"); the account is the same.
const replicaARN = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:${Name}"

// PrimarySecretParams are the secondary's parameters naming the primary's
// secrets, whose replicas its proxy reads.
var PrimarySecretParams = []string{"PrimaryMasterSecretArn", "PrimaryAppSecretArn"}

// replicaOf returns the parameter whose secret's replica in this region n
// names: !Sub [replicaARN, {Name: !Select [6, !Split [":", !Ref P]]}].
func replicaOf(n *yaml.Node) (string, bool) {
	f, arg, ok := intrinsic(n)
	if !ok || f != "Fn::Sub" || arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
		return "", false
	}
	if text, _ := str(arg.Content[0]); text != replicaARN || len(keys(arg.Content[1])) != 1 {
		return "", false
	}
	sf, sel, ok := intrinsic(get(arg.Content[1], "Name"))
	if !ok || sf != "Fn::Select" || len(sel.Content) != 2 || mustStr(sel.Content[0]) != "6" {
		return "", false
	}
	pf, split, ok := intrinsic(sel.Content[1])
	if !ok || pf != "Fn::Split" || len(split.Content) != 2 || mustStr(split.Content[0]) != ":" {
		return "", false
	}
	return refTarget(split.Content[1])
}

// checkSecrets: credentials never go stale. The primary generates the DB
// secrets and replicates them to PeerRegion, encrypted there with that
// region's own key once the second pass knows it (PeerDbKeyArn). The
// secondary holds no secret of its own and resolves none at deploy time
// (a copy is not kept in step with the primary): its proxy reads the
// replicas, by the primary's ARNs with this region. In both, the proxy
// role and the migrate function decrypt only with this region's key,
// through Secrets Manager.
func checkSecrets(in *Input, r *report) {
	for _, d := range in.Deployments() {
		role := d.Set.Role()
		secrets := d.OfType("AWS::SecretsManager::Secret")
		for _, s := range secrets {
			where := "Resources." + s.Name
			if role == "secondary" {
				r.addIn(d, where, "the secondary holds no secret of its own: its proxy reads the replicas Secrets Manager keeps in step with the primary (a copy goes stale)")
				continue
			}
			if s.Prop("GenerateSecretString") == nil || s.Prop("SecretString") != nil {
				r.addIn(d, where, "the primary generates its secrets (GenerateSecretString, no SecretString)")
			}
			replicas := items(s.Prop("ReplicaRegions"))
			replicated := len(replicas) == 1 && isRef(get(replicas[0], "Region"), "PeerRegion")
			if want := d.Params["PeerRegion"] != ""; replicated != want || len(replicas) > 1 {
				r.addIn(d, where, "replicated to PeerRegion = %v, want %v (exactly one replica, in PeerRegion)", replicated, want)
				continue
			}
			if !replicated {
				continue
			}
			key := get(replicas[0], "KmsKeyId")
			switch {
			case d.Params["PeerDbKeyArn"] != "" && !isRef(key, "PeerDbKeyArn"):
				r.addIn(d, where, "the replica in PeerRegion must be encrypted with that region's own key: KmsKeyId !Ref PeerDbKeyArn, got %s", render(key))
			case d.Params["PeerDbKeyArn"] == "" && key != nil:
				r.addIn(d, where, "before the peer's key is known (PeerDbKeyArn empty) the replica takes the peer's aws/secretsmanager key: no KmsKeyId, got %s", render(key))
			}
		}
		for _, res := range d.Resources {
			walk(res.Node, func(n *yaml.Node) {
				if v, ok := str(n); ok && role == "secondary" && strings.Contains(v, "{{resolve:secretsmanager:") {
					r.addIn(d, "Resources."+res.Name, "resolves a secret at deploy time (%q): the value goes stale when the primary's changes", v)
				}
			})
		}
		checkProxySecrets(d, r, secrets)
		checkDecrypt(in, d, r)
	}
}

// checkProxySecrets: the proxy's Auth secrets are the primary's secrets
// in the primary, their replicas in the secondary.
func checkProxySecrets(d *Deployment, r *report, secrets []*Resource) {
	proxies := d.OfType("AWS::RDS::DBProxy")
	if len(proxies) != 1 {
		return // the proxy check reports it
	}
	where := "Resources." + proxies[0].Name
	got := map[string]int{}
	for _, a := range items(proxies[0].Prop("Auth")) {
		arn := get(a, "SecretArn")
		if d.Set.Role() == "secondary" {
			p, ok := replicaOf(arn)
			if !ok {
				r.addIn(d, where, "Auth SecretArn %s: the secondary's proxy must read a replica, !Sub [%q, {Name: !Select [6, !Split [\":\", !Ref <PrimaryXSecretArn>]]}]", render(arn), replicaARN)
				continue
			}
			got[p]++
			continue
		}
		name, _ := refTarget(arn)
		if res := d.Resource(name); res == nil || res.Type != "AWS::SecretsManager::Secret" {
			r.addIn(d, where, "Auth SecretArn %s: the primary's proxy reads the stack's own secrets (!Ref)", render(arn))
			continue
		}
		got[name]++
	}
	want := map[string]int{}
	if d.Set.Role() == "secondary" {
		for _, p := range PrimarySecretParams {
			want[p] = 1
		}
	} else {
		for _, s := range secrets {
			want[s.Name] = 1
		}
	}
	if !maps.Equal(got, want) {
		r.addIn(d, where, "Auth secrets %v, want one each of %v", got, slices.Sorted(maps.Keys(want)))
	}
}

// checkDecrypt: every kms: statement of the proxy's role and of the
// migrate function's role is kms:Decrypt of this region's key, through
// Secrets Manager in this region.
func checkDecrypt(in *Input, d *Deployment, r *report) {
	var roles []*Resource
	for _, p := range d.OfType("AWS::RDS::DBProxy") {
		name, _, _ := getAttTarget(p.Prop("RoleArn"))
		if role := d.Resource(name); role != nil {
			roles = append(roles, role)
		}
	}
	for _, fn := range d.OfType("AWS::Lambda::Function") {
		if in.packageOf(fn.Name) == "handlers/migrate" {
			if role := d.FunctionRole(fn); role != nil {
				roles = append(roles, role)
			}
		}
	}
	via := scalar(0, "secretsmanager.${AWS::Region}.amazonaws.com")
	for _, role := range roles {
		where := "Resources." + role.Name
		walk(role.Properties, func(n *yaml.Node) {
			for _, st := range items(get(n, "Statement")) {
				for _, a := range items(get(st, "Action")) {
					action, _ := str(a)
					if !strings.HasPrefix(strings.ToLower(action), "kms:") {
						continue
					}
					res := items(get(st, "Resource"))
					key, attr, _ := getAttTarget(firstOf(res))
					k := d.Resource(key)
					f, arg, _ := intrinsic(get(st, "Condition", "StringEquals", "kms:ViaService"))
					switch {
					case action != "kms:Decrypt":
						r.addIn(d, where, "%s: only kms:Decrypt (of the secrets)", action)
					case len(res) != 1 || k == nil || k.Type != "AWS::KMS::Key" || attr != "Arn":
						r.addIn(d, where, "kms:Decrypt on %s: only this region's key (!GetAtt <key>.Arn)", render(get(st, "Resource")))
					case f != "Fn::Sub" || !equal(arg, via):
						r.addIn(d, where, "kms:Decrypt must be conditioned on kms:ViaService %s (StringEquals)", via.Value)
					}
				}
			}
		})
	}
}

func firstOf(ns []*yaml.Node) *yaml.Node {
	if len(ns) == 0 {
		return nil
	}
	return ns[0]
}

// ------------------------------------------------------------ migration

// Timeouts of the migration: the function may wait for the proxy target
// and run DDL (at least minMigrateTimeout, at most Lambda's maximum), and
// CloudFormation's ServiceTimeout (1 to 3600 s) must outlast it.
const (
	minMigrateTimeout = 300
	maxLambdaTimeout  = 900
	maxServiceTimeout = 3600
)

func checkMigration(in *Input, r *report) {
	for _, d := range in.Deployments() {
		migs := d.OfType("Custom::Migration")
		if len(migs) != 1 {
			r.addIn(d, "Resources", "want one Custom::Migration in every stack (after a failover the writer is in the stack created as secondary), got %d", len(migs))
			continue
		}
		mig := migs[0]
		where := "Resources." + mig.Name
		rn, attr, ok := getAttTarget(mig.Prop("ServiceToken"))
		fn := d.Resource(rn)
		if !ok || attr != "Arn" || fn == nil || fn.Type != "AWS::Lambda::Function" || in.packageOf(rn) != "handlers/migrate" {
			r.addIn(d, where, "ServiceToken must be !GetAtt <migrate function>.Arn")
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
					r.addIn(d, where, "must DependsOn %s (%s)", dep.Name, typ)
				}
			}
		}
		if fn == nil {
			continue
		}
		// A new version of the function (new migrations) changes the
		// custom resource's properties, so CloudFormation sends an Update
		// and the migrations run.
		version, _ := refTarget(mig.Prop("FunctionVersion"))
		if v := d.Resource(version); v == nil || v.Type != "AWS::Lambda::Version" || !isRef(v.Prop("FunctionName"), fn.Name) {
			r.addIn(d, where, "FunctionVersion must be !Ref %s.Version (a new version re-runs the migrations), got %s", fn.Name, render(mig.Prop("FunctionVersion")))
		}
		fw := "Resources." + fn.Name
		timeout, err := strconv.Atoi(mustStr(fn.Prop("Timeout")))
		if err != nil || timeout < minMigrateTimeout || timeout > maxLambdaTimeout {
			r.addIn(d, fw, "Timeout %q: the migrate function needs %d to %d s (it waits for the proxy target, then runs DDL)", mustStr(fn.Prop("Timeout")), minMigrateTimeout, maxLambdaTimeout)
		}
		st, err := strconv.Atoi(mustStr(mig.Prop("ServiceTimeout")))
		switch {
		case err != nil || st < 1 || st > maxServiceTimeout:
			r.addIn(d, where, "ServiceTimeout %q: must be an integer from 1 to %d", mustStr(mig.Prop("ServiceTimeout")), maxServiceTimeout)
		case st <= timeout:
			r.addIn(d, where, "ServiceTimeout %d s must exceed the function's Timeout %d s, or CloudFormation gives up while the run still works", st, timeout)
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

// InvokedFunction returns the AWS::Lambda::Function an ARN expression
// names: !GetAtt F.Arn, or !Ref of one of F's versions or aliases.
func (d *Deployment) InvokedFunction(n *yaml.Node) string {
	if name, attr, ok := getAttTarget(n); ok && attr == "Arn" {
		return name
	}
	name, _ := refTarget(n)
	res := d.Resource(name)
	if res == nil {
		return ""
	}
	switch res.Type {
	case "AWS::Lambda::Function":
		return name
	case "AWS::Lambda::Alias", "AWS::Lambda::Version":
		fn, _ := refTarget(res.Prop("FunctionName"))
		return fn
	}
	return ""
}

// checkPurgeSchedule: idempotency keys expire only through the purge, so
// every stack has exactly one enabled hourly EventBridge rule (what SAM
// makes of a Schedule event) sending the purge action to the migrate
// function mig (the passive region's run skips), and no other function is
// sent that action, which only handlers/migrate understands.
func checkPurgeSchedule(d *Deployment, r *report, mig *Resource) {
	found := 0
	for _, rule := range d.OfType("AWS::Events::Rule") {
		where := "Resources." + rule.Name
		for _, t := range items(rule.Prop("Targets")) {
			var inv struct {
				Action string `json:"action"`
			}
			if json.Unmarshal([]byte(mustStr(get(t, "Input"))), &inv) != nil || !strings.EqualFold(strings.TrimSpace(inv.Action), PurgeAction) {
				continue
			}
			if fn := d.InvokedFunction(get(t, "Arn")); fn != mig.Name {
				r.addIn(d, where, "the %s schedule must target the migrate function %s, not %q", PurgeAction, mig.Name, fn)
				continue
			}
			found++
			if v := mustStr(rule.Prop("ScheduleExpression")); v != PurgeSchedule {
				r.addIn(d, where, "ScheduleExpression %q, want %s", v, PurgeSchedule)
			}
			if v := mustStr(rule.Prop("State")); strings.EqualFold(v, "DISABLED") {
				r.addIn(d, where, "the %s schedule is disabled: idempotency keys would never expire", PurgeAction)
			}
		}
	}
	if found != 1 {
		r.addIn(d, "Resources."+mig.Name, `want one schedule sending {"action":%q} to it (idempotency keys expire only through it), got %d`, PurgeAction, found)
	}
}

// checkMigrateReach: in this deployment the migrate function reads an app
// secret the region's proxy holds, and its security group may reach the
// proxy, whichever role the stack has.
func checkMigrateReach(d *Deployment, r *report, where string, fn *Resource) {
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
	for _, a := range items(proxy.Prop("Auth")) {
		if secret != nil && equal(get(a, "SecretArn"), secret) {
			held = true
		}
	}
	if !held {
		r.addIn(d, where, "TODOMGMT_APP_SECRET_ARN must be a secret %s holds in this region (the primary's, or its replica here), got %s", proxy.Name, render(secret))
	}
	fnSGs := refSet(fn.Prop("VpcConfig", "SecurityGroupIds"))
	proxySGs := refSet(proxy.Prop("VpcSecurityGroupIds"))
	for _, in := range d.OfType("AWS::EC2::SecurityGroupIngress") {
		g, _ := refTarget(in.Prop("GroupId"))
		src, _ := refTarget(in.Prop("SourceSecurityGroupId"))
		if proxySGs[g] && fnSGs[src] && mustStr(in.Prop("FromPort")) == "3306" && mustStr(in.Prop("ToPort")) == "3306" {
			return
		}
	}
	r.addIn(d, where, "no ingress rule in this stack lets the function's security group reach %s on 3306", proxy.Name)
}
