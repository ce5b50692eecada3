package designcheck

import (
	"github.com/todomgmt/todomgmt/internal/samcheck"
)

// Route53Mode reports whether the set deploys the Route 53 front door: it
// has a custom domain. The modes come from the parameters as the design
// states them, not from the template's Conditions, which they check.
func Route53Mode(s samcheck.ParameterSet) bool { return s.Params["DomainName"] != "" }

// CloudFrontMode reports whether the set is in CloudFront mode: the peer's
// API is known and there is no custom domain.
func CloudFrontMode(s samcheck.ParameterSet) bool {
	return s.Params["PeerApiDomain"] != "" && !Route53Mode(s)
}

// ReaderEnvs are the samconfig environments whose clusters carry readers
// (in-region failover targets), and the count the development stack has.
var (
	ReaderEnvs     = []string{"primary", "secondary"}
	DevReaderCount = "0"
)

// SamCommands are the commands each environment configures, deploy first:
// the others' parameter overrides are compared with deploy's.
var SamCommands = []string{"deploy", "sync", "build", "local_start_api"}

// APIGatewayTimeout is API Gateway's integration timeout for a REST API.
const APIGatewayTimeout = 29

// ReadinessHandler is the readiness function's main package.
const ReadinessHandler = "handlers/readiness"
