// Package frontdoor checks the template's front doors: the CloudFront
// distribution with its KeyValueStore and viewer-request function (whose
// code must be frontdoor/router.js), and the Route 53 failover records
// with the health check that follows the standby region's routing alarm.
package frontdoor

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
)

// Checks are the front door checks, in the order they report.
var Checks = []designcheck.Check{
	{Name: "frontdoor-code", Doc: "the CloudFront Function's code is frontdoor/router.js under !Sub", Translated: false, Run: checkFrontDoorCode},
	{Name: "frontdoor", Doc: "CloudFront mode: KeyValueStore, cloudfront-js-2.0 viewer-request function, both regional origins by region id, caching disabled, AllViewerExceptHostHeader", Translated: true, Run: checkFrontDoor},
	{Name: "route53", Doc: "Route 53 mode: regional custom domain per region, failover records whose alias zone matches their target, the PRIMARY health check follows the standby region's routing alarm", Translated: true, Run: checkRoute53},
}

// Managed CloudFront policy ids.
const (
	CachingDisabledPolicyID           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	AllViewerExceptHostHeaderPolicyID = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

// checkFrontDoorCode: the deployed code is frontdoor/router.js, which
// the Node tests run.
func checkFrontDoorCode(in *designcheck.Input, r *designcheck.Report) {
	for _, fn := range in.Source.ResourcesOfType("AWS::CloudFront::Function") {
		where := "Resources." + fn.Name
		f, arg, ok := designcheck.Intrinsic(fn.Prop("FunctionCode"))
		code, isStr := designcheck.Str(arg)
		if !ok || f != "Fn::Sub" || !isStr {
			r.Add(where, "FunctionCode must be !Sub of frontdoor/router.js")
			continue
		}
		if in.RouterJS != "" && code != in.RouterJS {
			r.Add(where, "FunctionCode differs from frontdoor/router.js (%s)", firstDifference(code, in.RouterJS))
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

func checkFrontDoor(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		want := d.Set.Role() == "primary" && designcheck.CloudFrontMode(d.Set)
		kvss := d.OfType("AWS::CloudFront::KeyValueStore")
		fns := d.OfType("AWS::CloudFront::Function")
		dists := d.OfType("AWS::CloudFront::Distribution")
		if !want {
			if len(kvss)+len(fns)+len(dists) != 0 {
				r.AddIn(d, "Resources", "the CloudFront front door belongs to the primary's second pass without a custom domain only")
			}
			continue
		}
		if len(kvss) != 1 || len(fns) != 1 || len(dists) != 1 {
			r.AddIn(d, "Resources", "want one KeyValueStore, one function, one distribution; got %d, %d, %d", len(kvss), len(fns), len(dists))
			continue
		}
		kvs, fn, dist := kvss[0], fns[0], dists[0]
		fw := "Resources." + fn.Name
		if v, _ := designcheck.Str(fn.Prop("FunctionConfig", "Runtime")); v != "cloudfront-js-2.0" {
			r.AddIn(d, fw, "Runtime %q, want cloudfront-js-2.0", v)
		}
		if v, _ := designcheck.Str(fn.Prop("AutoPublish")); v != "true" {
			r.AddIn(d, fw, "AutoPublish must be true")
		}
		assoc := designcheck.Items(fn.Prop("FunctionConfig", "KeyValueStoreAssociations"))
		if len(assoc) != 1 {
			r.AddIn(d, fw, "must be associated with the KeyValueStore")
		} else if rn, attr, ok := designcheck.GetAttTarget(designcheck.Get(assoc[0], "KeyValueStoreARN")); !ok || rn != kvs.Name || attr != "Arn" {
			r.AddIn(d, fw, "KeyValueStoreARN must be !GetAtt %s.Arn", kvs.Name)
		}
		if code, _ := designcheck.Str(designcheck.Get(fn.Prop("FunctionCode"), "Fn::Sub")); !strings.Contains(code, "${"+kvs.Name+".Id}") {
			r.AddIn(d, fw, "the code must name the KeyValueStore by ${%s.Id}", kvs.Name)
		}
		dw := "Resources." + dist.Name
		cfg := dist.Prop("DistributionConfig")
		if designcheck.Get(cfg, "OriginGroups") != nil {
			r.AddIn(d, dw, "no origin groups: they fail over only GET/HEAD/OPTIONS")
		}
		if designcheck.Get(cfg, "CacheBehaviors") != nil {
			r.AddIn(d, dw, "one behavior (the default) for every path")
		}
		origins := designcheck.Items(designcheck.Get(cfg, "Origins"))
		ids := map[string]*yaml.Node{}
		for _, o := range origins {
			id, err := d.Value(designcheck.Get(o, "Id"))
			if err != nil {
				r.AddIn(d, dw, "origin Id must be a region name: %v", err)
				continue
			}
			ids[id] = o
			if v, _ := designcheck.Str(designcheck.Get(o, "CustomOriginConfig", "OriginProtocolPolicy")); v != "https-only" {
				r.AddIn(d, dw, "origin %s: OriginProtocolPolicy must be https-only", id)
			}
			if v, _ := designcheck.Str(designcheck.Get(o, "OriginPath")); v != "/prod" {
				r.AddIn(d, dw, "origin %s: OriginPath %q, want /prod", id, v)
			}
		}
		self, peer := d.Set.Region, d.Params["PeerRegion"]
		if len(origins) != 2 || ids[self] == nil || ids[peer] == nil {
			r.AddIn(d, dw, "want two origins with ids %s and %s", self, peer)
		} else {
			if !designcheck.IsRef(designcheck.Get(ids[peer], "DomainName"), "PeerApiDomain") {
				r.AddIn(d, dw, "origin %s must be !Ref PeerApiDomain", peer)
			}
			f, arg, _ := designcheck.Intrinsic(designcheck.Get(ids[self], "DomainName"))
			if s, _ := designcheck.Str(arg); f != "Fn::Sub" || !strings.HasSuffix(s, ".execute-api.${AWS::Region}.${AWS::URLSuffix}") {
				r.AddIn(d, dw, "origin %s must be this region's execute-api host", self)
			}
		}
		b := designcheck.Get(cfg, "DefaultCacheBehavior")
		if v, _ := designcheck.Str(designcheck.Get(b, "ViewerProtocolPolicy")); v != "https-only" {
			r.AddIn(d, dw, "ViewerProtocolPolicy %q, want https-only", v)
		}
		var methods []string
		for _, m := range designcheck.Items(designcheck.Get(b, "AllowedMethods")) {
			methods = append(methods, designcheck.StrValue(m))
		}
		for _, m := range []string{"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"} {
			if !slices.Contains(methods, m) {
				r.AddIn(d, dw, "AllowedMethods lacks %s", m)
			}
		}
		if v, err := d.Value(designcheck.Get(b, "CachePolicyId")); err != nil || v != CachingDisabledPolicyID {
			r.AddIn(d, dw, "CachePolicyId %q, want CachingDisabled %s", v, CachingDisabledPolicyID)
		}
		if v, err := d.Value(designcheck.Get(b, "OriginRequestPolicyId")); err != nil || v != AllViewerExceptHostHeaderPolicyID {
			r.AddIn(d, dw, "OriginRequestPolicyId %q, want AllViewerExceptHostHeader %s", v, AllViewerExceptHostHeaderPolicyID)
		}
		assocs := designcheck.Items(designcheck.Get(b, "FunctionAssociations"))
		okAssoc := len(assocs) == 1 && designcheck.StrValue(designcheck.Get(assocs[0], "EventType")) == "viewer-request"
		if okAssoc {
			rn, attr, ok := designcheck.GetAttTarget(designcheck.Get(assocs[0], "FunctionARN"))
			okAssoc = ok && rn == fn.Name && attr == "FunctionARN"
		}
		if !okAssoc {
			r.AddIn(d, dw, "the default behavior must run %s on viewer-request", fn.Name)
		}
		if v, err := d.Value(designcheck.Get(b, "TargetOriginId")); err != nil || v != self {
			r.AddIn(d, dw, "TargetOriginId must be this (primary) region")
		}
	}
}
