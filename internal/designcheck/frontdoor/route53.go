package frontdoor

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
)

func checkRoute53(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		m := d.Set
		domains := d.OfType("AWS::ApiGateway::DomainName")
		records := d.OfType("AWS::Route53::RecordSet")
		checks := d.OfType("AWS::Route53::HealthCheck")
		mappings := d.OfType("AWS::ApiGateway::BasePathMapping")
		var alarm *designcheck.Resource
		for _, a := range d.OfType("AWS::CloudWatch::Alarm") {
			if v, _ := designcheck.Str(a.Prop("Namespace")); v == "ToDoMgmt/Routing" {
				alarm = a
			}
		}
		if !designcheck.Route53Mode(m) {
			if len(domains)+len(records)+len(checks)+len(mappings) != 0 || alarm != nil {
				r.AddIn(d, "Resources", "Route 53 front-door resources exist without a custom domain")
			}
			continue
		}
		if len(domains) != 1 || len(mappings) != 1 || len(records) != 1 {
			r.AddIn(d, "Resources", "want one regional domain, base path mapping and record; got %d, %d, %d", len(domains), len(mappings), len(records))
			continue
		}
		dom := domains[0]
		if t := designcheck.Items(dom.Prop("EndpointConfiguration", "Types")); len(t) != 1 || t[0].Value != "REGIONAL" {
			r.AddIn(d, "Resources."+dom.Name, "the custom domain must be REGIONAL")
		}
		if !designcheck.IsRef(mappings[0].Prop("DomainName"), dom.Name) {
			r.AddIn(d, "Resources."+mappings[0].Name, "must map the regional domain")
		}
		rec := records[0]
		rw := "Resources." + rec.Name
		wantFailover := map[string]string{"primary": "PRIMARY", "secondary": "SECONDARY"}[m.Role()]
		if v, _ := designcheck.Str(rec.Prop("Failover")); v != wantFailover {
			r.AddIn(d, rw, "Failover %q, want %s", v, wantFailover)
		}
		if rn, _, ok := designcheck.GetAttTarget(rec.Prop("AliasTarget", "DNSName")); !ok || rn != dom.Name {
			r.AddIn(d, rw, "must alias the regional domain")
		}
		if msg := aliasZoneMismatch(rec); msg != "" {
			r.AddIn(d, rw, "%s", msg)
		}
		switch m.Role() {
		case "primary":
			if alarm != nil {
				r.AddIn(d, "Resources", "the routing alarm belongs to the standby (secondary) region")
			}
			if d.Params["PeerApiDomain"] == "" {
				// First pass: the standby's alarm may not exist yet.
				if len(checks) != 0 || rec.Prop("HealthCheckId") != nil {
					r.AddIn(d, rw, "no health check before the standby stack (and its alarm) exists")
				}
				continue
			}
			if len(checks) != 1 {
				r.AddIn(d, "Resources", "want the PRIMARY record's health check, got %d", len(checks))
				continue
			}
			hc := checks[0]
			hw := "Resources." + hc.Name
			if !designcheck.IsRef(rec.Prop("HealthCheckId"), hc.Name) {
				r.AddIn(d, rw, "HealthCheckId must be !Ref %s", hc.Name)
			}
			cfg := hc.Prop("HealthCheckConfig")
			if v, _ := designcheck.Str(designcheck.Get(cfg, "Type")); v != "CLOUDWATCH_METRIC" {
				r.AddIn(d, hw, "Type %q, want CLOUDWATCH_METRIC", v)
			}
			if !designcheck.IsRef(designcheck.Get(cfg, "AlarmIdentifier", "Region"), "PeerRegion") {
				r.AddIn(d, hw, "AlarmIdentifier.Region must be !Ref PeerRegion (the standby region)")
			}
			if !designcheck.EqualNodes(designcheck.Get(cfg, "AlarmIdentifier", "Name"), routingAlarmName(d)) {
				r.AddIn(d, hw, "AlarmIdentifier.Name must equal the routing alarm's AlarmName")
			}
		case "secondary":
			if len(checks) != 0 || rec.Prop("HealthCheckId") != nil {
				r.AddIn(d, rw, "the SECONDARY record has no health check")
			}
			if alarm == nil {
				r.AddIn(d, "Resources", "the standby region needs the routing alarm (namespace ToDoMgmt/Routing)")
				continue
			}
			aw := "Resources." + alarm.Name
			for k, want := range map[string]string{
				"MetricName": "PrimaryEnabled", "ComparisonOperator": "LessThanThreshold",
				"Threshold": "1", "TreatMissingData": "ignore", "Period": "60",
			} {
				if v, _ := designcheck.Str(alarm.Prop(k)); v != want {
					r.AddIn(d, aw, "%s %q, want %q", k, v, want)
				}
			}
			dims := designcheck.Items(alarm.Prop("Dimensions"))
			if len(dims) != 1 || designcheck.StrValue(designcheck.Get(dims[0], "Name")) != "AppName" || !designcheck.IsRef(designcheck.Get(dims[0], "Value"), "AppName") {
				r.AddIn(d, aw, "Dimensions must be [AppName=!Ref AppName]")
			}
		}
	}
}

// aliasZones maps an alias target's DNS name attribute to the attribute
// holding the hosted zone that name lives in. Route 53 rejects (or
// misroutes) an alias whose HostedZoneId is not its target's zone.
var aliasZones = map[string]string{
	"RegionalDomainName":     "RegionalHostedZoneId",
	"DistributionDomainName": "DistributionHostedZoneId",
}

// cloudFrontZoneID is the hosted zone of every CloudFront distribution.
const cloudFrontZoneID = "Z2FDTNDATAQYW2"

// aliasZoneMismatch describes how a record's AliasTarget.HostedZoneId does
// not match its DNSName's kind, or returns "".
func aliasZoneMismatch(rec *designcheck.Resource) string {
	rn, attr, ok := designcheck.GetAttTarget(rec.Prop("AliasTarget", "DNSName"))
	if !ok {
		return "AliasTarget.DNSName must be !GetAtt of the alias target"
	}
	zone := rec.Prop("AliasTarget", "HostedZoneId")
	if want, known := aliasZones[attr]; known {
		if zr, za, ok := designcheck.GetAttTarget(zone); !ok || zr != rn || za != want {
			return fmt.Sprintf("AliasTarget.HostedZoneId must be !GetAtt %s.%s (the zone of %s.%s)", rn, want, rn, attr)
		}
		return ""
	}
	if attr == "DomainName" { // a CloudFront distribution
		if v, _ := designcheck.Str(zone); v != cloudFrontZoneID {
			return fmt.Sprintf("AliasTarget.HostedZoneId must be CloudFront's %s", cloudFrontZoneID)
		}
		return ""
	}
	return fmt.Sprintf("alias target attribute %s: its hosted zone is unknown to the checks", attr)
}

// routingAlarmName returns the AlarmName node of the routing alarm, as
// written in the template d was translated from (the primary's deployment
// does not have the alarm, the secondary's does).
func routingAlarmName(d *designcheck.Deployment) *yaml.Node {
	for _, a := range d.Template.ResourcesOfType("AWS::CloudWatch::Alarm") {
		if v, _ := designcheck.Str(a.Prop("Namespace")); v == "ToDoMgmt/Routing" {
			return a.Prop("AlarmName")
		}
	}
	return nil
}
