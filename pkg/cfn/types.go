package cfn

// ResourceType is what the template may do with one resource type.
type ResourceType struct {
	// Required are the properties every resource of the type must set:
	// CloudFormation's required properties plus the ones this project
	// requires (for example RetentionInDays on log groups).
	Required []string
	// Attributes are the names Fn::GetAtt may read; nil means unchecked.
	Attributes []string
	// RefProperties are SAM's "Resource.Property" references (Ref Api.Stage).
	RefProperties []string
}

// AllowedTypes is the closed set of resource types template.yaml may use.
// A new type is a design decision: add it here with its required
// properties. NAT gateways, internet gateways and Elastic IPs are missing
// on purpose.
var AllowedTypes = map[string]ResourceType{
	"AWS::EC2::VPC":                         {Required: []string{"CidrBlock"}, Attributes: []string{"CidrBlock", "DefaultSecurityGroup", "VpcId"}},
	"AWS::EC2::Subnet":                      {Required: []string{"VpcId", "CidrBlock", "AvailabilityZone"}, Attributes: []string{"AvailabilityZone", "SubnetId", "VpcId"}},
	"AWS::EC2::RouteTable":                  {Required: []string{"VpcId"}, Attributes: []string{"RouteTableId"}},
	"AWS::EC2::SubnetRouteTableAssociation": {Required: []string{"SubnetId", "RouteTableId"}},
	"AWS::EC2::VPCEndpoint":                 {Required: []string{"VpcId", "ServiceName", "VpcEndpointType"}, Attributes: []string{"Id", "DnsEntries", "NetworkInterfaceIds"}},
	"AWS::EC2::SecurityGroup":               {Required: []string{"GroupDescription", "VpcId"}, Attributes: []string{"GroupId", "VpcId"}},
	"AWS::EC2::SecurityGroupIngress":        {Required: []string{"GroupId", "IpProtocol"}},
	"AWS::EC2::SecurityGroupEgress":         {Required: []string{"GroupId", "IpProtocol"}},
	"AWS::KMS::Key":                         {Required: []string{"KeyPolicy"}, Attributes: []string{"Arn", "KeyId"}},
	"AWS::KMS::Alias":                       {Required: []string{"AliasName", "TargetKeyId"}},
	"AWS::SecretsManager::Secret":           {Required: []string{"Name"}, Attributes: []string{"Id"}},
	"AWS::RDS::DBSubnetGroup":               {Required: []string{"DBSubnetGroupDescription", "SubnetIds"}},
	"AWS::RDS::GlobalCluster":               {Required: []string{"GlobalClusterIdentifier", "Engine"}, Attributes: []string{"GlobalEndpoint.Address"}},
	"AWS::RDS::DBCluster":                   {Required: []string{"Engine"}, Attributes: []string{"DBClusterArn", "DBClusterResourceId", "Endpoint.Address", "Endpoint.Port", "ReadEndpoint.Address", "MasterUserSecret.SecretArn"}},
	"AWS::RDS::DBInstance":                  {Required: []string{"DBInstanceClass", "Engine", "DBClusterIdentifier"}, Attributes: []string{"DBInstanceArn", "DbiResourceId", "Endpoint.Address", "Endpoint.Port"}},
	"AWS::RDS::DBProxy":                     {Required: []string{"Auth", "DBProxyName", "EngineFamily", "RoleArn", "VpcSubnetIds"}, Attributes: []string{"DBProxyArn", "Endpoint", "VpcId"}},
	"AWS::RDS::DBProxyTargetGroup":          {Required: []string{"DBProxyName", "TargetGroupName"}, Attributes: []string{"TargetGroupArn"}},
	"AWS::RDS::DBProxyEndpoint":             {Required: []string{"DBProxyEndpointName", "DBProxyName", "VpcSubnetIds"}, Attributes: []string{"DBProxyEndpointArn", "Endpoint", "VpcId", "IsDefault"}},
	"AWS::IAM::Role":                        {Required: []string{"AssumeRolePolicyDocument"}, Attributes: []string{"Arn", "RoleId"}},
	"AWS::Cognito::UserPool":                {Attributes: []string{"Arn", "ProviderName", "ProviderURL", "UserPoolId"}},
	"AWS::Cognito::UserPoolDomain":          {Required: []string{"Domain", "UserPoolId"}, Attributes: []string{"CloudFrontDistribution"}},
	"AWS::Cognito::UserPoolResourceServer":  {Required: []string{"Identifier", "Name", "UserPoolId"}},
	"AWS::Cognito::UserPoolClient":          {Required: []string{"UserPoolId"}, Attributes: []string{"ClientId", "ClientSecret", "Name"}},
	"AWS::ApiGateway::Account":              {Required: []string{"CloudWatchRoleArn"}},
	"AWS::ApiGateway::DomainName":           {Required: []string{"DomainName"}, Attributes: []string{"DistributionDomainName", "DistributionHostedZoneId", "RegionalDomainName", "RegionalHostedZoneId"}},
	"AWS::ApiGateway::BasePathMapping":      {Required: []string{"DomainName", "RestApiId"}},
	"AWS::Logs::LogGroup":                   {Required: []string{"LogGroupName", "RetentionInDays"}, Attributes: []string{"Arn"}},
	"AWS::Serverless::Api":                  {Required: []string{"StageName"}, Attributes: []string{"RootResourceId"}, RefProperties: []string{"Stage", "Deployment"}},
	"AWS::Serverless::Function":             {Required: []string{"CodeUri", "Handler", "Runtime"}, Attributes: []string{"Arn"}, RefProperties: []string{"Version", "Alias"}},
	"AWS::CloudFront::KeyValueStore":        {Required: []string{"Name"}, Attributes: []string{"Arn", "Id", "Status"}},
	"AWS::CloudFront::Function":             {Required: []string{"Name", "FunctionConfig", "FunctionCode"}, Attributes: []string{"FunctionARN", "FunctionMetadata.FunctionARN", "Stage"}},
	"AWS::CloudFront::Distribution":         {Required: []string{"DistributionConfig"}, Attributes: []string{"DomainName", "Id"}},
	"AWS::Route53::RecordSet":               {Required: []string{"Name", "Type", "HostedZoneId"}},
	"AWS::Route53::HealthCheck":             {Required: []string{"HealthCheckConfig"}, Attributes: []string{"HealthCheckId"}},
	"AWS::CloudWatch::Alarm":                {Required: []string{"ComparisonOperator", "EvaluationPeriods", "Namespace", "MetricName"}, Attributes: []string{"Arn"}},
	"AWS::SNS::Topic":                       {Attributes: []string{"TopicArn", "TopicName"}},
	"AWS::SNS::Subscription":                {Required: []string{"Protocol", "TopicArn", "Endpoint"}},
	"Custom::Migration":                     {Required: []string{"ServiceToken"}},
}
