// Package network checks the template's network: no NAT, internet
// gateway or default route, subnets in distinct AZs, the S3 gateway
// endpoint, and port 3306 open only from the functions to the proxy and
// from the proxy to the cluster.
package network

import (
	"fmt"
	"maps"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
)

// Checks are the network checks, in the order they report.
var Checks = []designcheck.Check{
	{Name: "network", Doc: "no NAT/internet gateway or EIP or default route; 2+ subnets in distinct AZs; S3 gateway endpoint; 3306 only functions -> proxy -> cluster", Translated: true, Run: checkNetwork},
}

// forbiddenNetwork are resource types that would connect the VPC to the
// internet.
var forbiddenNetwork = []string{
	"AWS::EC2::NatGateway", "AWS::EC2::InternetGateway", "AWS::EC2::EIP",
	"AWS::EC2::VPCGatewayAttachment", "AWS::EC2::EgressOnlyInternetGateway",
	"AWS::EC2::TransitGatewayAttachment", "AWS::EC2::VPNGateway",
}

type sgRule struct {
	group    string // the security group's logical id
	ingress  bool
	proto    string
	from, to string
	peer     string // other security group's logical id, if any
	cidr     string
	where    string
}

func checkNetwork(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		checkNetworkIn(d, r)
		checkSecurityGroups(d, r)
	}
}

func checkNetworkIn(d *designcheck.Deployment, r *designcheck.Report) {
	for _, res := range d.Resources {
		where := "Resources." + res.Name
		if slices.Contains(forbiddenNetwork, res.Type) {
			r.AddIn(d, where, "%s connects the VPC to the internet; the design has none", res.Type)
		}
		if res.Type == "AWS::EC2::Route" {
			r.AddIn(d, where, "routes beyond the VPC are not allowed (only the S3 gateway endpoint's)")
		}
	}
	subnets := d.OfType("AWS::EC2::Subnet")
	if len(subnets) < 2 {
		r.AddIn(d, "Resources", "want at least 2 private subnets, got %d", len(subnets))
	}
	azs := map[string]string{}
	for _, s := range subnets {
		where := "Resources." + s.Name
		if v, _ := designcheck.Str(s.Prop("MapPublicIpOnLaunch")); v == "true" {
			r.AddIn(d, where, "MapPublicIpOnLaunch must be false")
		}
		f, arg, ok := designcheck.Intrinsic(s.Prop("AvailabilityZone"))
		if !ok || f != "Fn::Select" || len(arg.Content) != 2 {
			r.AddIn(d, where, "AvailabilityZone must be !Select [i, !GetAZs \"\"]")
			continue
		}
		if gf, _, ok := designcheck.Intrinsic(arg.Content[1]); !ok || gf != "Fn::GetAZs" {
			r.AddIn(d, where, "AvailabilityZone must be !Select [i, !GetAZs \"\"]")
		}
		if other, dup := azs[arg.Content[0].Value]; dup {
			r.AddIn(d, where, "same availability zone as %s", other)
		}
		azs[arg.Content[0].Value] = s.Name
	}
	s3 := false
	for _, ep := range d.OfType("AWS::EC2::VPCEndpoint") {
		typ, _ := designcheck.Str(ep.Prop("VpcEndpointType"))
		f, arg, _ := designcheck.Intrinsic(ep.Prop("ServiceName"))
		svc, _ := designcheck.Str(arg)
		if typ == "Gateway" && f == "Fn::Sub" && svc == "com.amazonaws.${AWS::Region}.s3" {
			s3 = true
		}
	}
	if !s3 {
		r.AddIn(d, "Resources", "no S3 gateway endpoint (custom-resource responses)")
	}
}

func checkSecurityGroups(d *designcheck.Deployment, r *designcheck.Report) {
	var rules []sgRule
	add := func(group string, ingress bool, rule *yaml.Node, where string) {
		sr := sgRule{group: group, ingress: ingress, where: where}
		sr.proto, _ = designcheck.Str(designcheck.Get(rule, "IpProtocol"))
		sr.from, _ = designcheck.Str(designcheck.Get(rule, "FromPort"))
		sr.to, _ = designcheck.Str(designcheck.Get(rule, "ToPort"))
		for _, k := range []string{"SourceSecurityGroupId", "DestinationSecurityGroupId"} {
			if p, ok := designcheck.RefTarget(designcheck.Get(rule, k)); ok {
				sr.peer = p
			} else if p, _, ok := designcheck.GetAttTarget(designcheck.Get(rule, k)); ok {
				sr.peer = p
			}
		}
		for _, k := range []string{"CidrIp", "CidrIpv6", "SourcePrefixListId", "DestinationPrefixListId"} {
			if v, ok := designcheck.Str(designcheck.Get(rule, k)); ok {
				sr.cidr = v
			} else if designcheck.Get(rule, k) != nil {
				sr.cidr = "(computed)"
			}
		}
		rules = append(rules, sr)
	}
	groups := map[string]bool{}
	for _, sg := range d.OfType("AWS::EC2::SecurityGroup") {
		groups[sg.Name] = true
		for i, rule := range designcheck.Items(sg.Prop("SecurityGroupIngress")) {
			add(sg.Name, true, rule, fmt.Sprintf("Resources.%s.SecurityGroupIngress[%d]", sg.Name, i))
		}
		egress := designcheck.Items(sg.Prop("SecurityGroupEgress"))
		if len(egress) == 0 {
			r.AddIn(d, "Resources."+sg.Name, "no inline egress rule: EC2 keeps its default allow-all egress")
		}
		for i, rule := range egress {
			add(sg.Name, false, rule, fmt.Sprintf("Resources.%s.SecurityGroupEgress[%d]", sg.Name, i))
		}
	}
	for _, typ := range []string{"AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"} {
		for _, res := range d.OfType(typ) {
			g, _ := designcheck.RefTarget(res.Prop("GroupId"))
			if g == "" {
				g, _, _ = designcheck.GetAttTarget(res.Prop("GroupId"))
			}
			add(g, typ == "AWS::EC2::SecurityGroupIngress", res.Properties, "Resources."+res.Name)
		}
	}
	cluster, proxy, endpoint, fnSGs, apiSGs := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, res := range d.OfType("AWS::RDS::DBCluster") {
		maps.Copy(cluster, designcheck.RefSet(res.Prop("VpcSecurityGroupIds")))
	}
	for _, res := range append(d.OfType("AWS::RDS::DBProxy"), d.OfType("AWS::RDS::DBProxyEndpoint")...) {
		maps.Copy(proxy, designcheck.RefSet(res.Prop("VpcSecurityGroupIds")))
	}
	for _, res := range d.OfType("AWS::EC2::VPCEndpoint") {
		maps.Copy(endpoint, designcheck.RefSet(res.Prop("SecurityGroupIds")))
	}
	apiFns := d.APIFunctions()
	for _, fn := range d.OfType("AWS::Lambda::Function") {
		sgs := designcheck.RefSet(fn.Prop("VpcConfig", "SecurityGroupIds"))
		maps.Copy(fnSGs, sgs)
		if apiFns[fn.Name] {
			maps.Copy(apiSGs, sgs)
		}
	}
	if len(cluster) == 0 || len(proxy) == 0 {
		r.AddIn(d, "Resources", "the cluster and the proxy must each have their own security group")
	}
	for g := range cluster {
		if proxy[g] || fnSGs[g] {
			r.AddIn(d, "Resources."+g, "the cluster's security group must not be shared with the proxy or a function")
		}
	}
	for g := range proxy {
		if fnSGs[g] {
			r.AddIn(d, "Resources."+g, "the proxy's security group must not be shared with a function")
		}
	}
	for _, sr := range rules {
		port3306 := sr.proto == "tcp" && sr.from == "3306" && sr.to == "3306"
		port443 := sr.proto == "tcp" && sr.from == "443" && sr.to == "443"
		placeholder := sr.cidr == "127.0.0.1/32"
		if !groups[sr.group] {
			r.AddIn(d, sr.where, "rule on %q, which is not a security group of the stack", sr.group)
			continue
		}
		if sr.ingress {
			switch {
			case sr.cidr != "" || sr.peer == "":
				r.AddIn(d, sr.where, "ingress must come from a security group, not %q", sr.cidr)
			case cluster[sr.group] && !(port3306 && proxy[sr.peer]):
				r.AddIn(d, sr.where, "the cluster accepts only tcp 3306 from the proxy, got %s %s-%s from %s", sr.proto, sr.from, sr.to, sr.peer)
			case proxy[sr.group] && !(port3306 && fnSGs[sr.peer]):
				r.AddIn(d, sr.where, "the proxy accepts only tcp 3306 from the functions, got %s %s-%s from %s", sr.proto, sr.from, sr.to, sr.peer)
			case endpoint[sr.group] && !port443:
				r.AddIn(d, sr.where, "endpoints accept only tcp 443")
			case !cluster[sr.group] && !proxy[sr.group] && !endpoint[sr.group]:
				r.AddIn(d, sr.where, "ingress to %s, which is neither the cluster, the proxy nor an endpoint", sr.group)
			}
			continue
		}
		switch {
		case placeholder:
		case apiSGs[sr.group] && !(port3306 && proxy[sr.peer]):
			r.AddIn(d, sr.where, "the API function may only reach the proxy on tcp 3306, got %s %s-%s to %q%s", sr.proto, sr.from, sr.to, sr.peer, sr.cidr)
		case port3306 && sr.peer != "" && (proxy[sr.peer] || cluster[sr.peer]):
		case port443 && (endpoint[sr.peer] || sr.cidr == "0.0.0.0/0"):
			if sr.cidr != "" && !fnSGs[sr.group] {
				r.AddIn(d, sr.where, "only a function may send 443 outside the VPC's endpoints")
			}
		default:
			r.AddIn(d, sr.where, "egress %s %s-%s to %q%s is not part of the design", sr.proto, sr.from, sr.to, sr.peer, sr.cidr)
		}
	}
}
