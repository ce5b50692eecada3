package network

import (
	"testing"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/designcheck/checktest"
)

var mutations = []checktest.Mutation{
	// network
	{Name: "NAT gateway", Check: "network", Want: "AWS::EC2::NatGateway connects the VPC", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.AddResource(tb, in, "Nat", "{Type: AWS::EC2::NatGateway, Properties: {SubnetId: !Ref PrivateSubnetA}}")
	}},
	{Name: "internet gateway", Check: "network", Want: "AWS::EC2::InternetGateway", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.AddResource(tb, in, "Igw", "{Type: AWS::EC2::InternetGateway}")
	}},
	{Name: "elastic IP", Check: "network", Want: "AWS::EC2::EIP", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.AddResource(tb, in, "Ip", "{Type: AWS::EC2::EIP, Properties: {Domain: vpc}}")
	}},
	{Name: "default route", Check: "network", Want: "routes beyond the VPC", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.AddResource(tb, in, "DefaultRoute", "{Type: AWS::EC2::Route, Properties: {RouteTableId: !Ref PrivateRouteTable, DestinationCidrBlock: 0.0.0.0/0}}")
	}},
	{Name: "two subnets in one AZ", Check: "network", Want: "same availability zone", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "PrivateSubnetB", []string{"Properties", "AvailabilityZone"}, `!Select [0, !GetAZs ""]`)
	}},
	{Name: "public subnet", Check: "network", Want: "MapPublicIpOnLaunch", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "PrivateSubnetA", []string{"Properties", "MapPublicIpOnLaunch"}, "true")
	}},
	{Name: "no S3 gateway endpoint", Check: "network", Want: "S3 gateway endpoint", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelResource(tb, in, "S3Endpoint")
	}},
	{Name: "cluster open to a function", Check: "network", Want: "the cluster accepts only tcp 3306 from the proxy", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ClusterIngressFromProxy", []string{"Properties", "SourceSecurityGroupId"}, "!Ref ApiFunctionSecurityGroup")
	}},
	{Name: "proxy open to the world", Check: "network", Want: "ingress must come from a security group", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ProxyIngressFromApiFunction", "Properties", "SourceSecurityGroupId")
		checktest.SetAt(tb, in, "ProxyIngressFromApiFunction", []string{"Properties", "CidrIp"}, "0.0.0.0/0")
	}},
	{Name: "proxy on another port", Check: "network", Want: "the proxy accepts only tcp 3306", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ProxyIngressFromMigrateFunction", []string{"Properties", "FromPort"}, "0")
		checktest.SetAt(tb, in, "ProxyIngressFromMigrateFunction", []string{"Properties", "ToPort"}, "65535")
	}},
	{Name: "API function egress to the internet", Check: "network", Want: "the API function may only reach the proxy", Mutate: func(tb testing.TB, in *designcheck.Input) {
		eg := checktest.At(tb, checktest.ResNode(tb, in, "ApiFunctionSecurityGroup"), "Properties", "SecurityGroupEgress")
		eg.Content = append(eg.Content, checktest.Node(tb, "{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}"))
	}},
	{Name: "default egress kept", Check: "network", Want: "default allow-all egress", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ClusterSecurityGroup", "Properties", "SecurityGroupEgress")
	}},
	{Name: "shared security group", Check: "network", Want: "must not be shared", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbCluster", []string{"Properties", "VpcSecurityGroupIds"}, "[!Ref ProxySecurityGroup]")
	}},
}
