package api

import (
	"slices"

	"github.com/todomgmt/todomgmt/internal/designcheck"
)

func checkCognito(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		pools := d.OfType("AWS::Cognito::UserPool")
		if len(pools) != 1 {
			r.AddIn(d, "Resources", "want one user pool, got %d", len(pools))
			continue
		}
		pool := pools[0].Name
		domains, servers, clients := 0, 0, 0
		for _, dom := range d.OfType("AWS::Cognito::UserPoolDomain") {
			if designcheck.IsRef(dom.Prop("UserPoolId"), pool) {
				domains++
			}
		}
		if domains != 1 {
			r.AddIn(d, "Resources", "want one user pool domain, got %d", domains)
		}
		serverName := ""
		for _, rs := range d.OfType("AWS::Cognito::UserPoolResourceServer") {
			where := "Resources." + rs.Name
			if !designcheck.IsRef(rs.Prop("UserPoolId"), pool) {
				continue
			}
			servers++
			serverName = rs.Name
			if v, _ := designcheck.Str(rs.Prop("Identifier")); v != "api" {
				r.AddIn(d, where, "Identifier %q, want api", v)
			}
			var scopes []string
			for _, s := range designcheck.Items(rs.Prop("Scopes")) {
				scopes = append(scopes, designcheck.StrValue(designcheck.Get(s, "ScopeName")))
			}
			slices.Sort(scopes)
			if !slices.Equal(scopes, []string{"read", "upsert-delete"}) {
				r.AddIn(d, where, "scopes %v, want [read upsert-delete]", scopes)
			}
		}
		if servers != 1 {
			r.AddIn(d, "Resources", "want one resource server, got %d", servers)
		}
		for _, c := range d.OfType("AWS::Cognito::UserPoolClient") {
			where := "Resources." + c.Name
			if !designcheck.IsRef(c.Prop("UserPoolId"), pool) {
				continue
			}
			clients++
			if v, _ := designcheck.Str(c.Prop("GenerateSecret")); v != "true" {
				r.AddIn(d, where, "GenerateSecret must be true")
			}
			if v, _ := designcheck.Str(c.Prop("AllowedOAuthFlowsUserPoolClient")); v != "true" {
				r.AddIn(d, where, "AllowedOAuthFlowsUserPoolClient must be true")
			}
			if f := designcheck.Items(c.Prop("AllowedOAuthFlows")); len(f) != 1 || f[0].Value != "client_credentials" {
				r.AddIn(d, where, "AllowedOAuthFlows must be [client_credentials]")
			}
			var scopes []string
			for _, s := range designcheck.Items(c.Prop("AllowedOAuthScopes")) {
				scopes = append(scopes, designcheck.StrValue(s))
			}
			slices.Sort(scopes)
			if !slices.Equal(scopes, []string{"api/read", "api/upsert-delete"}) {
				r.AddIn(d, where, "AllowedOAuthScopes %v, want [api/read api/upsert-delete]", scopes)
			}
			if serverName != "" && !slices.Contains(c.DependsOn, serverName) {
				r.AddIn(d, where, "must DependsOn %s (its scopes must exist first)", serverName)
			}
		}
		if clients != 1 {
			r.AddIn(d, "Resources", "want one app client, got %d", clients)
		}
	}
}
