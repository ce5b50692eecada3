package designcheck

import (
	"fmt"
	"maps"
	"slices"

	"go.yaml.in/yaml/v3"
)

// -------------------------------------------------------------- network

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

func checkNetwork(in *Input, r *report) {
	for _, d := range in.Deployments() {
		checkNetworkIn(d, r)
		checkSecurityGroups(d, r)
	}
}

func checkNetworkIn(d *Deployment, r *report) {
	for _, res := range d.Resources {
		where := "Resources." + res.Name
		if slices.Contains(forbiddenNetwork, res.Type) {
			r.addIn(d, where, "%s connects the VPC to the internet; the design has none", res.Type)
		}
		if res.Type == "AWS::EC2::Route" {
			r.addIn(d, where, "routes beyond the VPC are not allowed (only the S3 gateway endpoint's)")
		}
	}
	subnets := d.OfType("AWS::EC2::Subnet")
	if len(subnets) < 2 {
		r.addIn(d, "Resources", "want at least 2 private subnets, got %d", len(subnets))
	}
	azs := map[string]string{}
	for _, s := range subnets {
		where := "Resources." + s.Name
		if v, _ := str(s.Prop("MapPublicIpOnLaunch")); v == "true" {
			r.addIn(d, where, "MapPublicIpOnLaunch must be false")
		}
		f, arg, ok := intrinsic(s.Prop("AvailabilityZone"))
		if !ok || f != "Fn::Select" || len(arg.Content) != 2 {
			r.addIn(d, where, "AvailabilityZone must be !Select [i, !GetAZs \"\"]")
			continue
		}
		if gf, _, ok := intrinsic(arg.Content[1]); !ok || gf != "Fn::GetAZs" {
			r.addIn(d, where, "AvailabilityZone must be !Select [i, !GetAZs \"\"]")
		}
		if other, dup := azs[arg.Content[0].Value]; dup {
			r.addIn(d, where, "same availability zone as %s", other)
		}
		azs[arg.Content[0].Value] = s.Name
	}
	s3 := false
	for _, ep := range d.OfType("AWS::EC2::VPCEndpoint") {
		typ, _ := str(ep.Prop("VpcEndpointType"))
		f, arg, _ := intrinsic(ep.Prop("ServiceName"))
		svc, _ := str(arg)
		if typ == "Gateway" && f == "Fn::Sub" && svc == "com.amazonaws.${AWS::Region}.s3" {
			s3 = true
		}
	}
	if !s3 {
		r.addIn(d, "Resources", "no S3 gateway endpoint (custom-resource responses)")
	}
}

func checkSecurityGroups(d *Deployment, r *report) {
	var rules []sgRule
	add := func(group string, ingress bool, rule *yaml.Node, where string) {
		sr := sgRule{group: group, ingress: ingress, where: where}
		sr.proto, _ = str(get(rule, "IpProtocol"))
		sr.from, _ = str(get(rule, "FromPort"))
		sr.to, _ = str(get(rule, "ToPort"))
		for _, k := range []string{"SourceSecurityGroupId", "DestinationSecurityGroupId"} {
			if p, ok := refTarget(get(rule, k)); ok {
				sr.peer = p
			} else if p, _, ok := getAttTarget(get(rule, k)); ok {
				sr.peer = p
			}
		}
		for _, k := range []string{"CidrIp", "CidrIpv6", "SourcePrefixListId", "DestinationPrefixListId"} {
			if v, ok := str(get(rule, k)); ok {
				sr.cidr = v
			} else if get(rule, k) != nil {
				sr.cidr = "(computed)"
			}
		}
		rules = append(rules, sr)
	}
	groups := map[string]bool{}
	for _, sg := range d.OfType("AWS::EC2::SecurityGroup") {
		groups[sg.Name] = true
		for i, rule := range items(sg.Prop("SecurityGroupIngress")) {
			add(sg.Name, true, rule, fmt.Sprintf("Resources.%s.SecurityGroupIngress[%d]", sg.Name, i))
		}
		egress := items(sg.Prop("SecurityGroupEgress"))
		if len(egress) == 0 {
			r.addIn(d, "Resources."+sg.Name, "no inline egress rule: EC2 keeps its default allow-all egress")
		}
		for i, rule := range egress {
			add(sg.Name, false, rule, fmt.Sprintf("Resources.%s.SecurityGroupEgress[%d]", sg.Name, i))
		}
	}
	for _, typ := range []string{"AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"} {
		for _, res := range d.OfType(typ) {
			g, _ := refTarget(res.Prop("GroupId"))
			if g == "" {
				g, _, _ = getAttTarget(res.Prop("GroupId"))
			}
			add(g, typ == "AWS::EC2::SecurityGroupIngress", res.Properties, "Resources."+res.Name)
		}
	}
	cluster, proxy, endpoint, fnSGs, apiSGs := map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, res := range d.OfType("AWS::RDS::DBCluster") {
		maps.Copy(cluster, refSet(res.Prop("VpcSecurityGroupIds")))
	}
	for _, res := range append(d.OfType("AWS::RDS::DBProxy"), d.OfType("AWS::RDS::DBProxyEndpoint")...) {
		maps.Copy(proxy, refSet(res.Prop("VpcSecurityGroupIds")))
	}
	for _, res := range d.OfType("AWS::EC2::VPCEndpoint") {
		maps.Copy(endpoint, refSet(res.Prop("SecurityGroupIds")))
	}
	apiFns := d.APIFunctions()
	for _, fn := range d.OfType("AWS::Lambda::Function") {
		sgs := refSet(fn.Prop("VpcConfig", "SecurityGroupIds"))
		maps.Copy(fnSGs, sgs)
		if apiFns[fn.Name] {
			maps.Copy(apiSGs, sgs)
		}
	}
	if len(cluster) == 0 || len(proxy) == 0 {
		r.addIn(d, "Resources", "the cluster and the proxy must each have their own security group")
	}
	for g := range cluster {
		if proxy[g] || fnSGs[g] {
			r.addIn(d, "Resources."+g, "the cluster's security group must not be shared with the proxy or a function")
		}
	}
	for g := range proxy {
		if fnSGs[g] {
			r.addIn(d, "Resources."+g, "the proxy's security group must not be shared with a function")
		}
	}
	for _, sr := range rules {
		port3306 := sr.proto == "tcp" && sr.from == "3306" && sr.to == "3306"
		port443 := sr.proto == "tcp" && sr.from == "443" && sr.to == "443"
		placeholder := sr.cidr == "127.0.0.1/32"
		if !groups[sr.group] {
			r.addIn(d, sr.where, "rule on %q, which is not a security group of the stack", sr.group)
			continue
		}
		if sr.ingress {
			switch {
			case sr.cidr != "" || sr.peer == "":
				r.addIn(d, sr.where, "ingress must come from a security group, not %q", sr.cidr)
			case cluster[sr.group] && !(port3306 && proxy[sr.peer]):
				r.addIn(d, sr.where, "the cluster accepts only tcp 3306 from the proxy, got %s %s-%s from %s", sr.proto, sr.from, sr.to, sr.peer)
			case proxy[sr.group] && !(port3306 && fnSGs[sr.peer]):
				r.addIn(d, sr.where, "the proxy accepts only tcp 3306 from the functions, got %s %s-%s from %s", sr.proto, sr.from, sr.to, sr.peer)
			case endpoint[sr.group] && !port443:
				r.addIn(d, sr.where, "endpoints accept only tcp 443")
			case !cluster[sr.group] && !proxy[sr.group] && !endpoint[sr.group]:
				r.addIn(d, sr.where, "ingress to %s, which is neither the cluster, the proxy nor an endpoint", sr.group)
			}
			continue
		}
		switch {
		case placeholder:
		case apiSGs[sr.group] && !(port3306 && proxy[sr.peer]):
			r.addIn(d, sr.where, "the API function may only reach the proxy on tcp 3306, got %s %s-%s to %q%s", sr.proto, sr.from, sr.to, sr.peer, sr.cidr)
		case port3306 && sr.peer != "" && (proxy[sr.peer] || cluster[sr.peer]):
		case port443 && (endpoint[sr.peer] || sr.cidr == "0.0.0.0/0"):
			if sr.cidr != "" && !fnSGs[sr.group] {
				r.addIn(d, sr.where, "only a function may send 443 outside the VPC's endpoints")
			}
		default:
			r.addIn(d, sr.where, "egress %s %s-%s to %q%s is not part of the design", sr.proto, sr.from, sr.to, sr.peer, sr.cidr)
		}
	}
}
