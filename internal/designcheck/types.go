package designcheck

// ResourceType is what the template may do with one resource type.
type ResourceType struct {
	// Required are the properties every resource of the type must set:
	// CloudFormation's required properties plus the ones this project
	// requires (for example RetentionInDays on log groups).
	Required []string
	// Properties are all the properties the type accepts (CloudFormation's
	// list without the read-only ones; SAM's for AWS::Serverless::*). A
	// property outside it is a typo CloudFormation would reject at deploy
	// time, or worse, that SAM would drop. nil means unchecked.
	Properties []string
	// Attributes are the names Fn::GetAtt may read; nil means unchecked.
	Attributes []string
	// RefProperties are SAM's "Resource.Property" references (Ref Api.Stage).
	RefProperties []string
	// ResourceAttributes are the top-level keys a resource of the type may
	// have besides the ones every resource may have (resourceAttributes).
	ResourceAttributes []string
}

// resourceAttributes are the keys of a resource entry CloudFormation
// accepts for every type.
var resourceAttributes = []string{
	"Type", "Properties", "Condition", "DependsOn", "DeletionPolicy",
	"UpdateReplacePolicy", "Metadata", "CreationPolicy", "UpdatePolicy",
}

// AllowedTypes is the closed set of resource types template.yaml may use.
// A new type is a design decision: add it here with its required
// properties and its property list. NAT gateways, internet gateways and
// Elastic IPs are missing on purpose.
//
// The property lists come from the CloudFormation resource reference (the
// registry schemas, less readOnlyProperties) and, for AWS::Serverless::*,
// from the SAM specification; a property newer than the list is added
// here when the template first uses it.
var AllowedTypes = map[string]ResourceType{
	"AWS::EC2::VPC": {
		Required:   []string{"CidrBlock"},
		Properties: []string{"CidrBlock", "EnableDnsHostnames", "EnableDnsSupport", "InstanceTenancy", "Ipv4IpamPoolId", "Ipv4NetmaskLength", "Tags"},
		Attributes: []string{"CidrBlock", "DefaultSecurityGroup", "VpcId"},
	},
	"AWS::EC2::Subnet": {
		Required: []string{"VpcId", "CidrBlock", "AvailabilityZone"},
		Properties: []string{"AssignIpv6AddressOnCreation", "AvailabilityZone", "AvailabilityZoneId", "CidrBlock", "EnableDns64",
			"EnableLniAtDeviceIndex", "Ipv4IpamPoolId", "Ipv4NetmaskLength", "Ipv6CidrBlock", "Ipv6IpamPoolId", "Ipv6Native",
			"Ipv6NetmaskLength", "MapPublicIpOnLaunch", "OutpostArn", "PrivateDnsNameOptionsOnLaunch", "Tags", "VpcId"},
		Attributes: []string{"AvailabilityZone", "SubnetId", "VpcId"},
	},
	"AWS::EC2::RouteTable": {
		Required:   []string{"VpcId"},
		Properties: []string{"Tags", "VpcId"},
		Attributes: []string{"RouteTableId"},
	},
	"AWS::EC2::SubnetRouteTableAssociation": {
		Required:   []string{"SubnetId", "RouteTableId"},
		Properties: []string{"RouteTableId", "SubnetId"},
	},
	"AWS::EC2::VPCEndpoint": {
		Required: []string{"VpcId", "ServiceName", "VpcEndpointType"},
		Properties: []string{"DnsOptions", "IpAddressType", "PolicyDocument", "PrivateDnsEnabled", "ResourceConfigurationArn",
			"RouteTableIds", "SecurityGroupIds", "ServiceName", "ServiceNetworkArn", "ServiceRegion", "SubnetIds", "Tags",
			"VpcEndpointType", "VpcId"},
		Attributes: []string{"Id", "DnsEntries", "NetworkInterfaceIds"},
	},
	"AWS::EC2::SecurityGroup": {
		Required:   []string{"GroupDescription", "VpcId"},
		Properties: []string{"GroupDescription", "GroupName", "SecurityGroupEgress", "SecurityGroupIngress", "Tags", "VpcId"},
		Attributes: []string{"GroupId", "VpcId"},
	},
	"AWS::EC2::SecurityGroupIngress": {
		Required: []string{"GroupId", "IpProtocol"},
		Properties: []string{"CidrIp", "CidrIpv6", "Description", "FromPort", "GroupId", "GroupName", "IpProtocol",
			"SourcePrefixListId", "SourceSecurityGroupId", "SourceSecurityGroupName", "SourceSecurityGroupOwnerId", "ToPort"},
	},
	"AWS::EC2::SecurityGroupEgress": {
		Required: []string{"GroupId", "IpProtocol"},
		Properties: []string{"CidrIp", "CidrIpv6", "Description", "DestinationPrefixListId", "DestinationSecurityGroupId",
			"FromPort", "GroupId", "IpProtocol", "ToPort"},
	},
	"AWS::KMS::Key": {
		Required: []string{"KeyPolicy"},
		Properties: []string{"BypassPolicyLockoutSafetyCheck", "Description", "Enabled", "EnableKeyRotation", "KeyPolicy",
			"KeySpec", "KeyUsage", "MultiRegion", "Origin", "PendingWindowInDays", "RotationPeriodInDays", "Tags"},
		Attributes: []string{"Arn", "KeyId"},
	},
	"AWS::KMS::Alias": {
		Required:   []string{"AliasName", "TargetKeyId"},
		Properties: []string{"AliasName", "TargetKeyId"},
	},
	"AWS::SecretsManager::Secret": {
		Required:   []string{"Name"},
		Properties: []string{"Description", "GenerateSecretString", "KmsKeyId", "Name", "ReplicaRegions", "SecretString", "Tags"},
		Attributes: []string{"Id"},
	},
	"AWS::RDS::DBSubnetGroup": {
		Required:   []string{"DBSubnetGroupDescription", "SubnetIds"},
		Properties: []string{"DBSubnetGroupDescription", "DBSubnetGroupName", "SubnetIds", "Tags"},
	},
	"AWS::RDS::GlobalCluster": {
		Required: []string{"GlobalClusterIdentifier", "Engine"},
		Properties: []string{"DeletionProtection", "Engine", "EngineLifecycleSupport", "EngineVersion", "GlobalClusterIdentifier",
			"SourceDBClusterIdentifier", "StorageEncrypted", "Tags"},
		Attributes: []string{"GlobalEndpoint.Address"},
	},
	"AWS::RDS::DBCluster": {
		Required: []string{"Engine"},
		Properties: []string{"AllocatedStorage", "AssociatedRoles", "AutoMinorVersionUpgrade", "AvailabilityZones",
			"BacktrackWindow", "BackupRetentionPeriod", "ClusterScalabilityType", "CopyTagsToSnapshot", "DatabaseInsightsMode",
			"DatabaseName", "DBClusterIdentifier", "DBClusterInstanceClass", "DBClusterParameterGroupName",
			"DBInstanceParameterGroupName", "DBSubnetGroupName", "DBSystemId", "DeleteAutomatedBackups", "DeletionProtection",
			"Domain", "DomainIAMRoleName", "EnableCloudwatchLogsExports", "EnableGlobalWriteForwarding", "EnableHttpEndpoint",
			"EnableIAMDatabaseAuthentication", "EnableLocalWriteForwarding", "Engine", "EngineLifecycleSupport", "EngineMode",
			"EngineVersion", "GlobalClusterIdentifier", "Iops", "KmsKeyId", "ManageMasterUserPassword",
			"MasterUserAuthenticationType", "MasterUsername", "MasterUserPassword", "MasterUserSecret", "MonitoringInterval",
			"MonitoringRoleArn", "NetworkType", "PerformanceInsightsEnabled", "PerformanceInsightsKmsKeyId",
			"PerformanceInsightsRetentionPeriod", "Port", "PreferredBackupWindow", "PreferredMaintenanceWindow",
			"PubliclyAccessible", "ReplicationSourceIdentifier", "RestoreToTime", "RestoreType", "ScalingConfiguration",
			"ServerlessV2ScalingConfiguration", "SnapshotIdentifier", "SourceDBClusterIdentifier", "SourceRegion",
			"StorageEncrypted", "StorageType", "Tags", "UseLatestRestorableTime", "VpcSecurityGroupIds"},
		Attributes: []string{"DBClusterArn", "DBClusterResourceId", "Endpoint.Address", "Endpoint.Port", "ReadEndpoint.Address", "MasterUserSecret.SecretArn"},
	},
	"AWS::RDS::DBInstance": {
		Required: []string{"DBInstanceClass", "Engine", "DBClusterIdentifier"},
		Properties: []string{"AdditionalStorageVolumes", "AllocatedStorage", "AllowMajorVersionUpgrade", "ApplyImmediately",
			"AssociatedRoles", "AutomaticBackupReplicationKmsKeyId", "AutomaticBackupReplicationRegion",
			"AutomaticBackupReplicationRetentionPeriod", "AutoMinorVersionUpgrade", "AvailabilityZone", "BackupRetentionPeriod",
			"BackupTarget", "CACertificateIdentifier", "CertificateDetails", "CertificateRotationRestart", "CharacterSetName",
			"CopyTagsToSnapshot", "CustomIAMInstanceProfile", "DatabaseInsightsMode", "DBClusterIdentifier",
			"DBClusterSnapshotIdentifier", "DBInstanceClass", "DBInstanceIdentifier", "DBName", "DBParameterGroupName",
			"DBSecurityGroups", "DBSnapshotIdentifier", "DBSubnetGroupName", "DBSystemId", "DedicatedLogVolume",
			"DeleteAutomatedBackups", "DeletionProtection", "Domain", "DomainAuthSecretArn", "DomainDnsIps", "DomainFqdn",
			"DomainIAMRoleName", "DomainOu", "EnableCloudwatchLogsExports", "EnableIAMDatabaseAuthentication",
			"EnablePerformanceInsights", "Endpoint", "Engine", "EngineLifecycleSupport", "EngineVersion", "Iops", "KmsKeyId",
			"LicenseModel", "ManageMasterUserPassword", "MasterUserAuthenticationType", "MasterUsername", "MasterUserPassword",
			"MasterUserSecret", "MaxAllocatedStorage", "MonitoringInterval", "MonitoringRoleArn", "MultiAZ",
			"NcharCharacterSetName", "NetworkType", "OptionGroupName", "PerformanceInsightsKMSKeyId",
			"PerformanceInsightsRetentionPeriod", "Port", "PreferredBackupWindow", "PreferredMaintenanceWindow",
			"ProcessorFeatures", "PromotionTier", "PubliclyAccessible", "ReplicaMode", "RestoreTime", "SourceDBClusterIdentifier",
			"SourceDBInstanceAutomatedBackupsArn", "SourceDBInstanceIdentifier", "SourceDbiResourceId", "SourceRegion",
			"StorageEncrypted", "StorageThroughput", "StorageType", "Tags", "TdeCredentialArn", "TdeCredentialPassword",
			"Timezone", "UseDefaultProcessorFeatures", "UseLatestRestorableTime", "VPCSecurityGroups"},
		Attributes: []string{"DBInstanceArn", "DbiResourceId", "Endpoint.Address", "Endpoint.Port"},
	},
	"AWS::RDS::DBProxy": {
		Required: []string{"Auth", "DBProxyName", "EngineFamily", "RoleArn", "VpcSubnetIds"},
		Properties: []string{"Auth", "DBProxyName", "DebugLogging", "DefaultAuthScheme", "EndpointNetworkType", "EngineFamily",
			"IdleClientTimeout", "RequireTLS", "RoleArn", "Tags", "TargetConnectionNetworkType", "VpcSecurityGroupIds", "VpcSubnetIds"},
		Attributes: []string{"DBProxyArn", "Endpoint", "VpcId"},
	},
	"AWS::RDS::DBProxyTargetGroup": {
		Required:   []string{"DBProxyName", "TargetGroupName"},
		Properties: []string{"ConnectionPoolConfigurationInfo", "DBClusterIdentifiers", "DBInstanceIdentifiers", "DBProxyName", "TargetGroupName"},
		Attributes: []string{"TargetGroupArn"},
	},
	"AWS::RDS::DBProxyEndpoint": {
		Required: []string{"DBProxyEndpointName", "DBProxyName", "VpcSubnetIds"},
		Properties: []string{"DBProxyEndpointName", "DBProxyName", "EndpointNetworkType", "Tags", "TargetRole",
			"VpcSecurityGroupIds", "VpcSubnetIds"},
		Attributes: []string{"DBProxyEndpointArn", "Endpoint", "VpcId", "IsDefault"},
	},
	"AWS::IAM::Role": {
		Required: []string{"AssumeRolePolicyDocument"},
		Properties: []string{"AssumeRolePolicyDocument", "Description", "ManagedPolicyArns", "MaxSessionDuration", "Path",
			"PermissionsBoundary", "Policies", "RoleName", "Tags"},
		Attributes: []string{"Arn", "RoleId"},
	},
	"AWS::Cognito::UserPool": {
		Properties: []string{"AccountRecoverySetting", "AdminCreateUserConfig", "AliasAttributes", "AutoVerifiedAttributes",
			"DeletionProtection", "DeviceConfiguration", "EmailAuthenticationMessage", "EmailAuthenticationSubject",
			"EmailConfiguration", "EmailVerificationMessage", "EmailVerificationSubject", "EnabledMfas", "LambdaConfig",
			"MfaConfiguration", "Policies", "Schema", "SmsAuthenticationMessage", "SmsConfiguration", "SmsVerificationMessage",
			"UserAttributeUpdateSettings", "UsernameAttributes", "UsernameConfiguration", "UserPoolAddOns", "UserPoolName",
			"UserPoolTags", "UserPoolTier", "VerificationMessageTemplate", "WebAuthnRelyingPartyID", "WebAuthnUserVerification"},
		Attributes: []string{"Arn", "ProviderName", "ProviderURL", "UserPoolId"},
	},
	"AWS::Cognito::UserPoolDomain": {
		Required:   []string{"Domain", "UserPoolId"},
		Properties: []string{"CustomDomainConfig", "Domain", "ManagedLoginVersion", "UserPoolId"},
		Attributes: []string{"CloudFrontDistribution"},
	},
	"AWS::Cognito::UserPoolResourceServer": {
		Required:   []string{"Identifier", "Name", "UserPoolId"},
		Properties: []string{"Identifier", "Name", "Scopes", "UserPoolId"},
	},
	"AWS::Cognito::UserPoolClient": {
		Required: []string{"UserPoolId"},
		Properties: []string{"AccessTokenValidity", "AllowedOAuthFlows", "AllowedOAuthFlowsUserPoolClient", "AllowedOAuthScopes",
			"AnalyticsConfiguration", "AuthSessionValidity", "CallbackURLs", "ClientName", "DefaultRedirectURI",
			"EnablePropagateAdditionalUserContextData", "EnableTokenRevocation", "ExplicitAuthFlows", "GenerateSecret",
			"IdTokenValidity", "LogoutURLs", "PreventUserExistenceErrors", "ReadAttributes", "RefreshTokenRotation",
			"RefreshTokenValidity", "SupportedIdentityProviders", "TokenValidityUnits", "UserPoolId", "WriteAttributes"},
		Attributes: []string{"ClientId", "ClientSecret", "Name"},
	},
	"AWS::ApiGateway::Account": {
		Required:   []string{"CloudWatchRoleArn"},
		Properties: []string{"CloudWatchRoleArn"},
	},
	"AWS::ApiGateway::DomainName": {
		Required: []string{"DomainName"},
		Properties: []string{"CertificateArn", "DomainName", "EndpointConfiguration", "MutualTlsAuthentication",
			"OwnershipVerificationCertificateArn", "RegionalCertificateArn", "SecurityPolicy", "Tags"},
		Attributes: []string{"DistributionDomainName", "DistributionHostedZoneId", "RegionalDomainName", "RegionalHostedZoneId"},
	},
	"AWS::ApiGateway::BasePathMapping": {
		Required:   []string{"DomainName", "RestApiId"},
		Properties: []string{"BasePath", "DomainName", "RestApiId", "Stage"},
	},
	"AWS::Logs::LogGroup": {
		Required: []string{"LogGroupName", "RetentionInDays"},
		Properties: []string{"DataProtectionPolicy", "DeletionProtectionEnabled", "FieldIndexPolicies", "KmsKeyId",
			"LogGroupClass", "LogGroupName", "ResourcePolicyDocument", "RetentionInDays", "Tags"},
		Attributes: []string{"Arn"},
	},
	"AWS::Serverless::Api": {
		Required: []string{"StageName"},
		Properties: []string{"AccessLogSetting", "AlwaysDeploy", "ApiKeySourceType", "Auth", "BinaryMediaTypes",
			"CacheClusterEnabled", "CacheClusterSize", "CanarySetting", "Cors", "DefinitionBody", "DefinitionUri", "Description",
			"DisableExecuteApiEndpoint", "Domain", "EndpointConfiguration", "FailOnWarnings", "GatewayResponses",
			"MergeDefinitions", "MethodSettings", "MinimumCompressionSize", "Mode", "Models", "Name", "OpenApiVersion", "Policy",
			"PropagateTags", "SecurityPolicy", "StageName", "Tags", "TracingEnabled", "Variables"},
		Attributes:         []string{"RootResourceId"},
		RefProperties:      []string{"Stage", "Deployment"},
		ResourceAttributes: []string{"Connectors"},
	},
	"AWS::Serverless::Function": {
		Required: []string{"CodeUri", "Handler", "Runtime"},
		Properties: []string{"Architectures", "AssumeRolePolicyDocument", "AutoPublishAlias", "AutoPublishAliasAllProperties",
			"AutoPublishCodeSha256", "CapacityProviderConfig", "CodeSigningConfigArn", "CodeUri", "DeadLetterQueue",
			"DeploymentPreference", "Description", "DurableConfig", "Environment", "EphemeralStorage", "EventInvokeConfig",
			"Events", "FileSystemConfigs", "FunctionName", "FunctionScalingConfig", "FunctionUrlConfig", "Handler", "ImageConfig",
			"ImageUri", "InlineCode", "KmsKeyArn", "Layers", "LoggingConfig", "MemorySize", "PackageType", "PermissionsBoundary",
			"Policies", "PropagateTags", "ProvisionedConcurrencyConfig", "PublishToLatestPublished", "RecursiveLoop",
			"ReservedConcurrentExecutions", "Role", "RolePath", "Runtime", "RuntimeManagementConfig", "SnapStart",
			"SourceKMSKeyArn", "Tags", "Timeout", "Tracing", "VersionDescription", "VpcConfig"},
		Attributes:         []string{"Arn"},
		RefProperties:      []string{"Version", "Alias"},
		ResourceAttributes: []string{"Connectors"},
	},
	"AWS::CloudFront::KeyValueStore": {
		Required:   []string{"Name"},
		Properties: []string{"Comment", "ImportSource", "Name"},
		Attributes: []string{"Arn", "Id", "Status"},
	},
	"AWS::CloudFront::Function": {
		Required:   []string{"Name", "FunctionConfig", "FunctionCode"},
		Properties: []string{"AutoPublish", "FunctionCode", "FunctionConfig", "FunctionMetadata", "Name"},
		Attributes: []string{"FunctionARN", "FunctionMetadata.FunctionARN", "Stage"},
	},
	"AWS::CloudFront::Distribution": {
		Required:   []string{"DistributionConfig"},
		Properties: []string{"DistributionConfig", "Tags"},
		Attributes: []string{"DomainName", "Id"},
	},
	"AWS::Route53::RecordSet": {
		Required: []string{"Name", "Type", "HostedZoneId"},
		Properties: []string{"AliasTarget", "CidrRoutingConfig", "Comment", "Failover", "GeoLocation", "GeoProximityLocation",
			"HealthCheckId", "HostedZoneId", "HostedZoneName", "MultiValueAnswer", "Name", "Region", "ResourceRecords",
			"SetIdentifier", "TTL", "Type", "Weight"},
	},
	"AWS::Route53::HealthCheck": {
		Required:   []string{"HealthCheckConfig"},
		Properties: []string{"HealthCheckConfig", "HealthCheckTags"},
		Attributes: []string{"HealthCheckId"},
	},
	"AWS::CloudWatch::Alarm": {
		Required: []string{"ComparisonOperator", "EvaluationPeriods", "Namespace", "MetricName"},
		Properties: []string{"ActionsEnabled", "AlarmActions", "AlarmDescription", "AlarmName", "ComparisonOperator",
			"DatapointsToAlarm", "Dimensions", "EvaluateLowSampleCountPercentile", "EvaluationPeriods", "ExtendedStatistic",
			"InsufficientDataActions", "MetricName", "Metrics", "Namespace", "OKActions", "Period", "Statistic", "Tags",
			"Threshold", "ThresholdMetricId", "TreatMissingData", "Unit"},
		Attributes: []string{"Arn"},
	},
	"AWS::SNS::Topic": {
		Properties: []string{"ArchivePolicy", "ContentBasedDeduplication", "DataProtectionPolicy", "DeliveryStatusLogging",
			"DisplayName", "FifoThroughputScope", "FifoTopic", "KmsMasterKeyId", "MaximumMessageSize", "SignatureVersion",
			"Subscription", "Tags", "TopicName", "TracingConfig"},
		Attributes: []string{"TopicArn", "TopicName"},
	},
	"AWS::SNS::Subscription": {
		Required: []string{"Protocol", "TopicArn", "Endpoint"},
		Properties: []string{"DeliveryPolicy", "Endpoint", "FilterPolicy", "FilterPolicyScope", "Protocol", "RawMessageDelivery",
			"RedrivePolicy", "Region", "ReplayPolicy", "SubscriptionRoleArn", "TopicArn"},
	},
	// A custom resource's properties are ours: ServiceToken and
	// ServiceTimeout are CloudFormation's, FunctionVersion makes an update
	// (a new migrate version) re-run the migrations.
	"Custom::Migration": {
		Required:   []string{"ServiceToken", "ServiceTimeout"},
		Properties: []string{"ServiceToken", "ServiceTimeout", "FunctionVersion"},
	},
}
