package designcheck

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ----------------------------------------------------------- front door

// Managed CloudFront policy ids.
const (
	CachingDisabledPolicyID           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	AllViewerExceptHostHeaderPolicyID = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

// checkFrontDoorCode: the deployed code is frontdoor/router.js, which
// the Node tests run.
func checkFrontDoorCode(in *Input, r *report) {
	for _, fn := range in.Source.ResourcesOfType("AWS::CloudFront::Function") {
		where := "Resources." + fn.Name
		f, arg, ok := intrinsic(fn.Prop("FunctionCode"))
		code, isStr := str(arg)
		if !ok || f != "Fn::Sub" || !isStr {
			r.add(where, "FunctionCode must be !Sub of frontdoor/router.js")
			continue
		}
		if in.RouterJS != "" && code != in.RouterJS {
			r.add(where, "FunctionCode differs from frontdoor/router.js (%s)", firstDifference(code, in.RouterJS))
		}
	}
}

func checkFrontDoor(in *Input, r *report) {
	for _, d := range in.Deployments() {
		want := d.Set.Role() == "primary" && cloudFrontMode(d.Set)
		kvss := d.OfType("AWS::CloudFront::KeyValueStore")
		fns := d.OfType("AWS::CloudFront::Function")
		dists := d.OfType("AWS::CloudFront::Distribution")
		if !want {
			if len(kvss)+len(fns)+len(dists) != 0 {
				r.addIn(d, "Resources", "the CloudFront front door belongs to the primary's second pass without a custom domain only")
			}
			continue
		}
		if len(kvss) != 1 || len(fns) != 1 || len(dists) != 1 {
			r.addIn(d, "Resources", "want one KeyValueStore, one function, one distribution; got %d, %d, %d", len(kvss), len(fns), len(dists))
			continue
		}
		kvs, fn, dist := kvss[0], fns[0], dists[0]
		fw := "Resources." + fn.Name
		if v, _ := str(fn.Prop("FunctionConfig", "Runtime")); v != "cloudfront-js-2.0" {
			r.addIn(d, fw, "Runtime %q, want cloudfront-js-2.0", v)
		}
		if v, _ := str(fn.Prop("AutoPublish")); v != "true" {
			r.addIn(d, fw, "AutoPublish must be true")
		}
		assoc := items(fn.Prop("FunctionConfig", "KeyValueStoreAssociations"))
		if len(assoc) != 1 {
			r.addIn(d, fw, "must be associated with the KeyValueStore")
		} else if rn, attr, ok := getAttTarget(get(assoc[0], "KeyValueStoreARN")); !ok || rn != kvs.Name || attr != "Arn" {
			r.addIn(d, fw, "KeyValueStoreARN must be !GetAtt %s.Arn", kvs.Name)
		}
		if code, _ := str(get(fn.Prop("FunctionCode"), "Fn::Sub")); !strings.Contains(code, "${"+kvs.Name+".Id}") {
			r.addIn(d, fw, "the code must name the KeyValueStore by ${%s.Id}", kvs.Name)
		}
		dw := "Resources." + dist.Name
		cfg := dist.Prop("DistributionConfig")
		if get(cfg, "OriginGroups") != nil {
			r.addIn(d, dw, "no origin groups: they fail over only GET/HEAD/OPTIONS")
		}
		if get(cfg, "CacheBehaviors") != nil {
			r.addIn(d, dw, "one behavior (the default) for every path")
		}
		origins := items(get(cfg, "Origins"))
		ids := map[string]*yaml.Node{}
		for _, o := range origins {
			id, err := d.Value(get(o, "Id"))
			if err != nil {
				r.addIn(d, dw, "origin Id must be a region name: %v", err)
				continue
			}
			ids[id] = o
			if v, _ := str(get(o, "CustomOriginConfig", "OriginProtocolPolicy")); v != "https-only" {
				r.addIn(d, dw, "origin %s: OriginProtocolPolicy must be https-only", id)
			}
			if v, _ := str(get(o, "OriginPath")); v != "/prod" {
				r.addIn(d, dw, "origin %s: OriginPath %q, want /prod", id, v)
			}
		}
		self, peer := d.Set.Region, d.Params["PeerRegion"]
		if len(origins) != 2 || ids[self] == nil || ids[peer] == nil {
			r.addIn(d, dw, "want two origins with ids %s and %s", self, peer)
		} else {
			if !isRef(get(ids[peer], "DomainName"), "PeerApiDomain") {
				r.addIn(d, dw, "origin %s must be !Ref PeerApiDomain", peer)
			}
			f, arg, _ := intrinsic(get(ids[self], "DomainName"))
			if s, _ := str(arg); f != "Fn::Sub" || !strings.HasSuffix(s, ".execute-api.${AWS::Region}.${AWS::URLSuffix}") {
				r.addIn(d, dw, "origin %s must be this region's execute-api host", self)
			}
		}
		b := get(cfg, "DefaultCacheBehavior")
		if v, _ := str(get(b, "ViewerProtocolPolicy")); v != "https-only" {
			r.addIn(d, dw, "ViewerProtocolPolicy %q, want https-only", v)
		}
		var methods []string
		for _, m := range items(get(b, "AllowedMethods")) {
			methods = append(methods, mustStr(m))
		}
		for _, m := range []string{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"} {
			if !slices.Contains(methods, m) {
				r.addIn(d, dw, "AllowedMethods lacks %s", m)
			}
		}
		if v, err := d.Value(get(b, "CachePolicyId")); err != nil || v != CachingDisabledPolicyID {
			r.addIn(d, dw, "CachePolicyId %q, want CachingDisabled %s", v, CachingDisabledPolicyID)
		}
		if v, err := d.Value(get(b, "OriginRequestPolicyId")); err != nil || v != AllViewerExceptHostHeaderPolicyID {
			r.addIn(d, dw, "OriginRequestPolicyId %q, want AllViewerExceptHostHeader %s", v, AllViewerExceptHostHeaderPolicyID)
		}
		assocs := items(get(b, "FunctionAssociations"))
		okAssoc := len(assocs) == 1 && mustStr(get(assocs[0], "EventType")) == "viewer-request"
		if okAssoc {
			rn, attr, ok := getAttTarget(get(assocs[0], "FunctionARN"))
			okAssoc = ok && rn == fn.Name && attr == "FunctionARN"
		}
		if !okAssoc {
			r.addIn(d, dw, "the default behavior must run %s on viewer-request", fn.Name)
		}
		if v, err := d.Value(get(b, "TargetOriginId")); err != nil || v != self {
			r.addIn(d, dw, "TargetOriginId must be this (primary) region")
		}
	}
}

// firstDifference describes where two texts first differ.
func firstDifference(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y || i >= len(la) || i >= len(lb) {
			return fmt.Sprintf("line %d: template %q, router.js %q", i+1, x, y)
		}
	}
	return "same lines, different bytes"
}

// -------------------------------------------------------------- route53

func checkRoute53(in *Input, r *report) {
	for _, d := range in.Deployments() {
		m := d.Set
		domains := d.OfType("AWS::ApiGateway::DomainName")
		records := d.OfType("AWS::Route53::RecordSet")
		checks := d.OfType("AWS::Route53::HealthCheck")
		mappings := d.OfType("AWS::ApiGateway::BasePathMapping")
		var alarm *Resource
		for _, a := range d.OfType("AWS::CloudWatch::Alarm") {
			if v, _ := str(a.Prop("Namespace")); v == "ToDoMgmt/Routing" {
				alarm = a
			}
		}
		if !route53Mode(m) {
			if len(domains)+len(records)+len(checks)+len(mappings) != 0 || alarm != nil {
				r.addIn(d, "Resources", "Route 53 front-door resources exist without a custom domain")
			}
			continue
		}
		if len(domains) != 1 || len(mappings) != 1 || len(records) != 1 {
			r.addIn(d, "Resources", "want one regional domain, base path mapping and record; got %d, %d, %d", len(domains), len(mappings), len(records))
			continue
		}
		dom := domains[0]
		if t := items(dom.Prop("EndpointConfiguration", "Types")); len(t) != 1 || t[0].Value != "REGIONAL" {
			r.addIn(d, "Resources."+dom.Name, "the custom domain must be REGIONAL")
		}
		if !isRef(mappings[0].Prop("DomainName"), dom.Name) {
			r.addIn(d, "Resources."+mappings[0].Name, "must map the regional domain")
		}
		rec := records[0]
		rw := "Resources." + rec.Name
		wantFailover := map[string]string{"primary": "PRIMARY", "secondary": "SECONDARY"}[m.Role()]
		if v, _ := str(rec.Prop("Failover")); v != wantFailover {
			r.addIn(d, rw, "Failover %q, want %s", v, wantFailover)
		}
		if rn, _, ok := getAttTarget(rec.Prop("AliasTarget", "DNSName")); !ok || rn != dom.Name {
			r.addIn(d, rw, "must alias the regional domain")
		}
		if msg := aliasZoneMismatch(rec); msg != "" {
			r.addIn(d, rw, "%s", msg)
		}
		switch m.Role() {
		case "primary":
			if alarm != nil {
				r.addIn(d, "Resources", "the routing alarm belongs to the standby (secondary) region")
			}
			if d.Params["PeerApiDomain"] == "" {
				// First pass: the standby's alarm may not exist yet.
				if len(checks) != 0 || rec.Prop("HealthCheckId") != nil {
					r.addIn(d, rw, "no health check before the standby stack (and its alarm) exists")
				}
				continue
			}
			if len(checks) != 1 {
				r.addIn(d, "Resources", "want the PRIMARY record's health check, got %d", len(checks))
				continue
			}
			hc := checks[0]
			hw := "Resources." + hc.Name
			if !isRef(rec.Prop("HealthCheckId"), hc.Name) {
				r.addIn(d, rw, "HealthCheckId must be !Ref %s", hc.Name)
			}
			cfg := hc.Prop("HealthCheckConfig")
			if v, _ := str(get(cfg, "Type")); v != "CLOUDWATCH_METRIC" {
				r.addIn(d, hw, "Type %q, want CLOUDWATCH_METRIC", v)
			}
			if !isRef(get(cfg, "AlarmIdentifier", "Region"), "PeerRegion") {
				r.addIn(d, hw, "AlarmIdentifier.Region must be !Ref PeerRegion (the standby region)")
			}
			if !equal(get(cfg, "AlarmIdentifier", "Name"), routingAlarmName(d)) {
				r.addIn(d, hw, "AlarmIdentifier.Name must equal the routing alarm's AlarmName")
			}
		case "secondary":
			if len(checks) != 0 || rec.Prop("HealthCheckId") != nil {
				r.addIn(d, rw, "the SECONDARY record has no health check")
			}
			if alarm == nil {
				r.addIn(d, "Resources", "the standby region needs the routing alarm (namespace ToDoMgmt/Routing)")
				continue
			}
			aw := "Resources." + alarm.Name
			for k, want := range map[string]string{
				"MetricName": "PrimaryEnabled", "ComparisonOperator": "LessThanThreshold",
				"Threshold": "1", "TreatMissingData": "ignore", "Period": "60",
			} {
				if v, _ := str(alarm.Prop(k)); v != want {
					r.addIn(d, aw, "%s %q, want %q", k, v, want)
				}
			}
			dims := items(alarm.Prop("Dimensions"))
			if len(dims) != 1 || mustStr(get(dims[0], "Name")) != "AppName" || !isRef(get(dims[0], "Value"), "AppName") {
				r.addIn(d, aw, "Dimensions must be [AppName=!Ref AppName]")
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
func aliasZoneMismatch(rec *Resource) string {
	rn, attr, ok := getAttTarget(rec.Prop("AliasTarget", "DNSName"))
	if !ok {
		return "AliasTarget.DNSName must be !GetAtt of the alias target"
	}
	zone := rec.Prop("AliasTarget", "HostedZoneId")
	if want, known := aliasZones[attr]; known {
		if zr, za, ok := getAttTarget(zone); !ok || zr != rn || za != want {
			return fmt.Sprintf("AliasTarget.HostedZoneId must be !GetAtt %s.%s (the zone of %s.%s)", rn, want, rn, attr)
		}
		return ""
	}
	if attr == "DomainName" { // a CloudFront distribution
		if v, _ := str(zone); v != cloudFrontZoneID {
			return fmt.Sprintf("AliasTarget.HostedZoneId must be CloudFront's %s", cloudFrontZoneID)
		}
		return ""
	}
	return fmt.Sprintf("alias target attribute %s: its hosted zone is unknown to the checks", attr)
}

// routingAlarmName returns the AlarmName node of the routing alarm, as
// written in the template d was translated from (the primary's deployment
// does not have the alarm, the secondary's does).
func routingAlarmName(d *Deployment) *yaml.Node {
	for _, a := range d.Template.ResourcesOfType("AWS::CloudWatch::Alarm") {
		if v, _ := str(a.Prop("Namespace")); v == "ToDoMgmt/Routing" {
			return a.Prop("AlarmName")
		}
	}
	return nil
}
