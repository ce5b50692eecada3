package database

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
)

func checkProxy(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		proxies := d.OfType("AWS::RDS::DBProxy")
		if len(proxies) != 1 {
			r.AddIn(d, "Resources", "want one AWS::RDS::DBProxy, got %d", len(proxies))
			continue
		}
		p := proxies[0]
		where := "Resources." + p.Name
		if v, _ := designcheck.Str(p.Prop("RequireTLS")); v != "true" {
			r.AddIn(d, where, "RequireTLS must be true")
		}
		if v, _ := designcheck.Str(p.Prop("EngineFamily")); v != "MYSQL" {
			r.AddIn(d, where, "EngineFamily %q, want MYSQL", v)
		}
		auths := designcheck.Items(p.Prop("Auth"))
		if len(auths) == 0 {
			r.AddIn(d, where, "no Auth entries")
		}
		var secrets []*yaml.Node
		for i, a := range auths {
			if v, _ := designcheck.Str(designcheck.Get(a, "IAMAuth")); v != "REQUIRED" {
				r.AddIn(d, where, "Auth[%d].IAMAuth %q, want REQUIRED", i, v)
			}
			if v, _ := designcheck.Str(designcheck.Get(a, "AuthScheme")); v != "SECRETS" {
				r.AddIn(d, where, "Auth[%d].AuthScheme %q, want SECRETS", i, v)
			}
			secrets = append(secrets, designcheck.Get(a, "SecretArn"))
		}
		// The target group: the cluster, a borrow timeout under 29 s.
		tgs := 0
		for _, tg := range d.OfType("AWS::RDS::DBProxyTargetGroup") {
			if !designcheck.IsRef(tg.Prop("DBProxyName"), p.Name) {
				continue
			}
			tgs++
			tw := "Resources." + tg.Name
			clusters := designcheck.Items(tg.Prop("DBClusterIdentifiers"))
			if len(clusters) != 1 || len(d.OfType("AWS::RDS::DBCluster")) != 1 || !designcheck.IsRef(clusters[0], d.OfType("AWS::RDS::DBCluster")[0].Name) {
				r.AddIn(d, tw, "DBClusterIdentifiers must be the one cluster")
			}
			bt, ok := designcheck.Str(tg.Prop("ConnectionPoolConfigurationInfo", "ConnectionBorrowTimeout"))
			n, err := strconv.Atoi(bt)
			if !ok || err != nil || n < 1 || n >= designcheck.APIGatewayTimeout {
				r.AddIn(d, tw, "ConnectionBorrowTimeout %q: must be set, under API Gateway's 29 s", bt)
			}
		}
		if tgs != 1 {
			r.AddIn(d, where, "want one target group for the proxy, got %d", tgs)
		}
		ro := 0
		for _, ep := range d.OfType("AWS::RDS::DBProxyEndpoint") {
			if designcheck.IsRef(ep.Prop("DBProxyName"), p.Name) {
				if v, _ := designcheck.Str(ep.Prop("TargetRole")); v == "READ_ONLY" {
					ro++
				}
			}
		}
		if ro != 1 {
			r.AddIn(d, where, "want one READ_ONLY proxy endpoint, got %d", ro)
		}
		// The proxy's role may read exactly the proxy's secrets.
		roleName, _, _ := designcheck.GetAttTarget(p.Prop("RoleArn"))
		role := d.Resource(roleName)
		if role == nil {
			r.AddIn(d, where, "RoleArn must be !GetAtt of a role in the stack")
			continue
		}
		var readable []*yaml.Node
		designcheck.Walk(role.Properties, func(n *yaml.Node) {
			for _, st := range designcheck.Items(designcheck.Get(n, "Statement")) {
				for _, a := range designcheck.Items(designcheck.Get(st, "Action")) {
					if v, _ := designcheck.Str(a); strings.HasPrefix(v, "secretsmanager:") {
						if v != "secretsmanager:GetSecretValue" {
							r.AddIn(d, "Resources."+role.Name, "proxy role action %s: only secretsmanager:GetSecretValue", v)
						}
						readable = append(readable, designcheck.Items(designcheck.Get(st, "Resource"))...)
					}
				}
			}
		})
		if !sameNodes(readable, secrets) {
			r.AddIn(d, "Resources."+role.Name, "secretsmanager:GetSecretValue must cover exactly the proxy's Auth secrets")
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
			if !used[j] && designcheck.EqualNodes(x, y) {
				used[j] = true
				continue outer
			}
		}
		return false
	}
	return true
}
