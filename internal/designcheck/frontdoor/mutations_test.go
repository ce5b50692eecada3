package frontdoor

import (
	"strings"
	"testing"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/designcheck/checktest"
)

var mutations = []checktest.Mutation{
	// frontdoor-code
	{Name: "deployed code differs from router.js", Check: "frontdoor-code", Want: "differs from frontdoor/router.js", Mutate: func(tb testing.TB, in *designcheck.Input) {
		code := checktest.At(tb, checktest.ResNode(tb, in, "FrontDoorFunction"), "Properties", "FunctionCode", "Fn::Sub")
		code.Value = strings.Replace(code.Value, "return DEFAULT_REGION;", "return PEER_REGION;", 1)
	}},
	{Name: "tested code differs from the template", Check: "frontdoor-code", Want: "differs from frontdoor/router.js", Mutate: func(tb testing.TB, in *designcheck.Input) {
		in.RouterJS = strings.Replace(in.RouterJS, "'active-region'", "'active'", 1)
	}},

	// frontdoor
	{Name: "Host header forwarded", Check: "frontdoor", Want: "AllViewerExceptHostHeader", Sets: []string{"primary-cloudfront"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Set(checktest.At(tb, in.Source.Section("Mappings"), "Constants", "CloudFront"), "AllViewerExceptHostHeader", designcheck.Scalar(0, "216adef6-5c7f-47e4-b989-5492eafa07d3"))
	}},
	{Name: "caching enabled", Check: "frontdoor", Want: "CachingDisabled", Sets: []string{"primary-cloudfront"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "CachePolicyId"}, "658327ea-f89d-4fab-a63d-7e88639e58f6")
	}},
	{Name: "DELETE not allowed", Check: "frontdoor", Want: "AllowedMethods lacks DELETE", Sets: []string{"primary-cloudfront"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "AllowedMethods"}, "[GET, HEAD, OPTIONS, PUT, PATCH, POST]")
	}},
	{Name: "origin group", Check: "frontdoor", Want: "no origin groups", Sets: []string{"primary-cloudfront"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "OriginGroups"}, "{Quantity: 0}")
	}},
	{Name: "JavaScript runtime 1.0", Check: "frontdoor", Want: "cloudfront-js-2.0", Sets: []string{"primary-cloudfront"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "FrontDoorFunction", []string{"Properties", "FunctionConfig", "Runtime"}, "cloudfront-js-1.0")
	}},
	{Name: "HTTP allowed", Check: "frontdoor", Want: "ViewerProtocolPolicy", Sets: []string{"primary-cloudfront"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "ViewerProtocolPolicy"}, "allow-all")
	}},
	{Name: "origin not named by region", Check: "frontdoor", Want: "want two origins with ids", Sets: []string{"primary-cloudfront"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "Origins", "1", "Id"}, "peer")
	}},
	{Name: "function on viewer-response", Check: "frontdoor", Want: "viewer-request", Sets: []string{"primary-cloudfront"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "FrontDoorDistribution", []string{"Properties", "DistributionConfig", "DefaultCacheBehavior", "FunctionAssociations", "0", "EventType"}, "viewer-response")
	}},
	{Name: "front door in the secondary", Check: "frontdoor", Want: "belongs to the primary's second pass", Sets: []string{"secondary-cloudfront"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "FrontDoorKvs", []string{"Condition"}, "CloudFrontMode")
	}},

	// route53
	{Name: "routing alarm breaches on missing data", Check: "route53", Want: "TreatMissingData", Sets: []string{"secondary-route53"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "RoutingAlarm", []string{"Properties", "TreatMissingData"}, "breaching")
	}},
	{Name: "health check on another alarm", Check: "route53", Want: "AlarmIdentifier.Name", Sets: []string{"primary-route53"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "PrimaryHealthCheck", []string{"Properties", "HealthCheckConfig", "AlarmIdentifier", "Name"}, `!Sub "${AppName}-primary-health"`)
	}},
	{Name: "health check in the failing region", Check: "route53", Want: "AlarmIdentifier.Region", Sets: []string{"primary-route53"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "PrimaryHealthCheck", []string{"Properties", "HealthCheckConfig", "AlarmIdentifier", "Region"}, "!Ref AWS::Region")
	}},
	{Name: "failover roles swapped", Check: "route53", Want: "Failover \"SECONDARY\", want PRIMARY", Sets: []string{"primary-route53-first-pass", "primary-route53"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "FailoverRecord", []string{"Properties", "Failover"}, "!If [IsPrimary, SECONDARY, PRIMARY]")
	}},
	{Name: "routing alarm in the primary", Check: "route53", Want: "standby (secondary) region", Sets: []string{"primary-route53"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "RoutingAlarm", []string{"Condition"}, "Route53Mode")
	}},
	{Name: "health check before the standby exists", Check: "route53", Want: "no health check before the standby", Sets: []string{"primary-route53-first-pass"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "PrimaryHealthCheck", []string{"Condition"}, "Route53Mode")
		checktest.SetAt(tb, in, "FailoverRecord", []string{"Properties", "HealthCheckId"}, "!If [IsPrimary, !Ref PrimaryHealthCheck, !Ref AWS::NoValue]")
	}},
	{Name: "edge custom domain", Check: "route53", Want: "REGIONAL", Sets: []string{"primary-route53", "secondary-route53"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiDomainName", []string{"Properties", "EndpointConfiguration"}, "{Types: [EDGE]}")
	}},
	{Name: "alias in the edge (CloudFront) zone", Check: "route53", Want: "must be !GetAtt ApiDomainName.RegionalHostedZoneId", Sets: []string{"secondary-route53"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "FailoverRecord", []string{"Properties", "AliasTarget", "HostedZoneId"}, "!GetAtt ApiDomainName.DistributionHostedZoneId")
	}},
	{Name: "alias in the record's own hosted zone", Check: "route53", Want: "must be !GetAtt ApiDomainName.RegionalHostedZoneId", Sets: []string{"primary-route53-first-pass"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "FailoverRecord", []string{"Properties", "AliasTarget", "HostedZoneId"}, "!Ref HostedZoneId")
	}},
}
