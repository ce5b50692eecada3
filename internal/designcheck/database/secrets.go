package database

import (
	"maps"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
)

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
	f, arg, ok := designcheck.Intrinsic(n)
	if !ok || f != "Fn::Sub" || arg.Kind != yaml.SequenceNode || len(arg.Content) != 2 {
		return "", false
	}
	if text, _ := designcheck.Str(arg.Content[0]); text != replicaARN || len(designcheck.Keys(arg.Content[1])) != 1 {
		return "", false
	}
	sf, sel, ok := designcheck.Intrinsic(designcheck.Get(arg.Content[1], "Name"))
	if !ok || sf != "Fn::Select" || len(sel.Content) != 2 || designcheck.StrValue(sel.Content[0]) != "6" {
		return "", false
	}
	pf, split, ok := designcheck.Intrinsic(sel.Content[1])
	if !ok || pf != "Fn::Split" || len(split.Content) != 2 || designcheck.StrValue(split.Content[0]) != ":" {
		return "", false
	}
	return designcheck.RefTarget(split.Content[1])
}

// checkSecrets: credentials never go stale. The primary generates the DB
// secrets and replicates them to PeerRegion, encrypted there with that
// region's own key once the second pass knows it (PeerDbKeyArn). The
// secondary holds no secret of its own and resolves none at deploy time
// (a copy is not kept in step with the primary): its proxy reads the
// replicas, by the primary's ARNs with this region. In both, the proxy
// role and the migrate function decrypt only with this region's key,
// through Secrets Manager.
func checkSecrets(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		role := d.Set.Role()
		secrets := d.OfType("AWS::SecretsManager::Secret")
		for _, s := range secrets {
			where := "Resources." + s.Name
			if role == "secondary" {
				r.AddIn(d, where, "the secondary holds no secret of its own: its proxy reads the replicas Secrets Manager keeps in step with the primary (a copy goes stale)")
				continue
			}
			if s.Prop("GenerateSecretString") == nil || s.Prop("SecretString") != nil {
				r.AddIn(d, where, "the primary generates its secrets (GenerateSecretString, no SecretString)")
			}
			replicas := designcheck.Items(s.Prop("ReplicaRegions"))
			replicated := len(replicas) == 1 && designcheck.IsRef(designcheck.Get(replicas[0], "Region"), "PeerRegion")
			if want := d.Params["PeerRegion"] != ""; replicated != want || len(replicas) > 1 {
				r.AddIn(d, where, "replicated to PeerRegion = %v, want %v (exactly one replica, in PeerRegion)", replicated, want)
				continue
			}
			if !replicated {
				continue
			}
			key := designcheck.Get(replicas[0], "KmsKeyId")
			switch {
			case d.Params["PeerDbKeyArn"] != "" && !designcheck.IsRef(key, "PeerDbKeyArn"):
				r.AddIn(d, where, "the replica in PeerRegion must be encrypted with that region's own key: KmsKeyId !Ref PeerDbKeyArn, got %s", designcheck.Render(key))
			case d.Params["PeerDbKeyArn"] == "" && key != nil:
				r.AddIn(d, where, "before the peer's key is known (PeerDbKeyArn empty) the replica takes the peer's aws/secretsmanager key: no KmsKeyId, got %s", designcheck.Render(key))
			}
		}
		for _, res := range d.Resources {
			designcheck.Walk(res.Node, func(n *yaml.Node) {
				if v, ok := designcheck.Str(n); ok && role == "secondary" && strings.Contains(v, "{{resolve:secretsmanager:") {
					r.AddIn(d, "Resources."+res.Name, "resolves a secret at deploy time (%q): the value goes stale when the primary's changes", v)
				}
			})
		}
		checkProxySecrets(d, r, secrets)
		checkDecrypt(in, d, r)
	}
}

// checkProxySecrets: the proxy's Auth secrets are the primary's secrets
// in the primary, their replicas in the secondary.
func checkProxySecrets(d *designcheck.Deployment, r *designcheck.Report, secrets []*designcheck.Resource) {
	proxies := d.OfType("AWS::RDS::DBProxy")
	if len(proxies) != 1 {
		return // the proxy check reports it
	}
	where := "Resources." + proxies[0].Name
	got := map[string]int{}
	for _, a := range designcheck.Items(proxies[0].Prop("Auth")) {
		arn := designcheck.Get(a, "SecretArn")
		if d.Set.Role() == "secondary" {
			p, ok := replicaOf(arn)
			if !ok {
				r.AddIn(d, where, "Auth SecretArn %s: the secondary's proxy must read a replica, !Sub [%q, {Name: !Select [6, !Split [\":\", !Ref <PrimaryXSecretArn>]]}]", designcheck.Render(arn), replicaARN)
				continue
			}
			got[p]++
			continue
		}
		name, _ := designcheck.RefTarget(arn)
		if res := d.Resource(name); res == nil || res.Type != "AWS::SecretsManager::Secret" {
			r.AddIn(d, where, "Auth SecretArn %s: the primary's proxy reads the stack's own secrets (!Ref)", designcheck.Render(arn))
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
		r.AddIn(d, where, "Auth secrets %v, want one each of %v", got, slices.Sorted(maps.Keys(want)))
	}
}

// checkDecrypt: every kms: statement of the proxy's role and of the
// migrate function's role is kms:Decrypt of this region's key, through
// Secrets Manager in this region.
func checkDecrypt(in *designcheck.Input, d *designcheck.Deployment, r *designcheck.Report) {
	var roles []*designcheck.Resource
	for _, p := range d.OfType("AWS::RDS::DBProxy") {
		name, _, _ := designcheck.GetAttTarget(p.Prop("RoleArn"))
		if role := d.Resource(name); role != nil {
			roles = append(roles, role)
		}
	}
	for _, fn := range d.OfType("AWS::Lambda::Function") {
		if in.PackageOf(fn.Name) == "handlers/migrate" {
			if role := d.FunctionRole(fn); role != nil {
				roles = append(roles, role)
			}
		}
	}
	via := designcheck.Scalar(0, "secretsmanager.${AWS::Region}.amazonaws.com")
	for _, role := range roles {
		where := "Resources." + role.Name
		designcheck.Walk(role.Properties, func(n *yaml.Node) {
			for _, st := range designcheck.Items(designcheck.Get(n, "Statement")) {
				for _, a := range designcheck.Items(designcheck.Get(st, "Action")) {
					action, _ := designcheck.Str(a)
					if !strings.HasPrefix(strings.ToLower(action), "kms:") {
						continue
					}
					res := designcheck.Items(designcheck.Get(st, "Resource"))
					key, attr, _ := designcheck.GetAttTarget(firstOf(res))
					k := d.Resource(key)
					f, arg, _ := designcheck.Intrinsic(designcheck.Get(st, "Condition", "StringEquals", "kms:ViaService"))
					switch {
					case action != "kms:Decrypt":
						r.AddIn(d, where, "%s: only kms:Decrypt (of the secrets)", action)
					case len(res) != 1 || k == nil || k.Type != "AWS::KMS::Key" || attr != "Arn":
						r.AddIn(d, where, "kms:Decrypt on %s: only this region's key (!GetAtt <key>.Arn)", designcheck.Render(designcheck.Get(st, "Resource")))
					case f != "Fn::Sub" || !designcheck.EqualNodes(arg, via):
						r.AddIn(d, where, "kms:Decrypt must be conditioned on kms:ViaService %s (StringEquals)", via.Value)
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
