package database

import (
	"github.com/todomgmt/todomgmt/internal/designcheck"
)

// RetainedTypes are the resources whose loss loses credentials: the DB
// secrets (the final snapshot's users log in with them), the user pool
// with its resource server (the scopes) and app client (whose secret the
// callers hold). Deleting the stack or a replacing update must keep them
// (DeletionPolicy and UpdateReplacePolicy Retain). The clusters' data is
// kept by a final snapshot (the database check), the keys that encrypt
// it by Retain (the encryption check).
var RetainedTypes = []string{
	"AWS::SecretsManager::Secret",
	"AWS::Cognito::UserPool",
	"AWS::Cognito::UserPoolResourceServer",
	"AWS::Cognito::UserPoolClient",
}

func checkRetain(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		for _, typ := range RetainedTypes {
			for _, res := range d.OfType(typ) {
				if res.Attr("DeletionPolicy") != "Retain" || res.Attr("UpdateReplacePolicy") != "Retain" {
					r.AddIn(d, "Resources."+res.Name, "%s: DeletionPolicy and UpdateReplacePolicy must be Retain (got %q, %q): deleting or replacing it loses credentials",
						typ, res.Attr("DeletionPolicy"), res.Attr("UpdateReplacePolicy"))
				}
			}
		}
	}
}
