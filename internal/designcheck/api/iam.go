package api

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
)

// broadManagedPolicies may not be attached anywhere.
var broadManagedPolicies = []string{"AdministratorAccess", "PowerUserAccess", "FullAccess", "IAMFullAccess"}

func checkIAM(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		for _, res := range d.Resources {
			where := "Resources." + res.Name
			designcheck.Walk(res.Properties, func(n *yaml.Node) {
				for i, st := range designcheck.Items(designcheck.Get(n, "Statement")) {
					if st.Kind != yaml.MappingNode {
						continue
					}
					if e, _ := designcheck.Str(designcheck.Get(st, "Effect")); e != "Allow" {
						continue
					}
					anyAction := designcheck.Get(st, "NotAction") != nil || designcheck.ContainsStar(designcheck.Get(st, "Action"), true)
					anyResource := designcheck.Get(st, "NotResource") != nil || designcheck.ContainsStar(designcheck.Get(st, "Resource"), false)
					if anyAction && anyResource {
						sid, _ := designcheck.Str(designcheck.Get(st, "Sid"))
						r.AddIn(d, where, "statement %d %q allows a wildcard action on a wildcard resource", i, sid)
					}
				}
			})
			for _, m := range designcheck.Items(res.Prop("ManagedPolicyArns")) {
				text := designcheck.StrValue(m)
				if f, arg, ok := designcheck.Intrinsic(m); ok && f == "Fn::Sub" {
					text, _ = designcheck.Str(arg)
				}
				for _, bad := range broadManagedPolicies {
					if strings.Contains(text, bad) {
						r.AddIn(d, where, "managed policy %q is too broad", text)
					}
				}
			}
		}
	}
}
