package database

import (
	"testing"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/designcheck/checktest"
)

var mutations = []checktest.Mutation{
	// proxy
	{Name: "TLS not required", Check: "proxy", Want: "RequireTLS must be true", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbProxy", []string{"Properties", "RequireTLS"}, "false")
	}},
	{Name: "IAM auth disabled", Check: "proxy", Want: "IAMAuth \"DISABLED\"", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbProxy", []string{"Properties", "Auth", "1", "IAMAuth"}, "DISABLED")
	}},
	{Name: "borrow timeout above 29 s", Check: "proxy", Want: "ConnectionBorrowTimeout \"120\"", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbProxyTargetGroup", []string{"Properties", "ConnectionPoolConfigurationInfo", "ConnectionBorrowTimeout"}, "120")
	}},
	{Name: "no read-only endpoint", Check: "proxy", Want: "READ_ONLY", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbProxyReadOnlyEndpoint", []string{"Properties", "TargetRole"}, "READ_WRITE")
	}},
	{Name: "proxy role reads every secret", Check: "proxy", Want: "exactly the proxy's Auth secrets", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ProxyRole", []string{"Properties", "Policies", "0", "PolicyDocument", "Statement", "0", "Resource"}, `"*"`)
	}},

	// keypolicy
	{Name: "account root may use the key directly (kms:*)", Check: "keypolicy", Want: "allows kms:* (matches kms:Encrypt) without kms:ViaService", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "0", "Action"}, "kms:*")
	}},
	{Name: "administrators may create grants", Check: "keypolicy", Want: "allows kms:CreateGrant", Mutate: func(tb testing.TB, in *designcheck.Input) {
		a := checktest.At(tb, checktest.ResNode(tb, in, "DbKey"), "Properties", "KeyPolicy", "Statement", "0", "Action")
		a.Content = append(a.Content, designcheck.Scalar(0, "kms:CreateGrant"))
	}},
	{Name: "ViaService condition dropped", Check: "keypolicy", Want: "allows kms:Encrypt (matches kms:Encrypt) without kms:ViaService", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "DbKey", "Properties", "KeyPolicy", "Statement", "1", "Condition")
	}},
	{Name: "key usable through another service", Check: "keypolicy", Want: `kms:ViaService "s3.${AWS::Region}.amazonaws.com" is not one of`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		v := checktest.At(tb, checktest.ResNode(tb, in, "DbKey"), "Properties", "KeyPolicy", "Statement", "1", "Condition", "StringEquals", "kms:ViaService")
		v.Content = append(v.Content, checktest.Node(tb, `!Sub "s3.${AWS::Region}.amazonaws.com"`))
	}},
	{Name: "ViaService matched by pattern", Check: "keypolicy", Want: "want StringEquals", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.RenameKey(tb, checktest.At(tb, checktest.ResNode(tb, in, "DbKey"), "Properties", "KeyPolicy", "Statement", "1", "Condition"), "StringEquals", "StringLike")
	}},
	{Name: "account locked out of the key policy", Check: "keypolicy", Want: "lets the account kms:PutKeyPolicy", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "0", "Action"}, "[kms:DescribeKey, kms:GetKeyPolicy, kms:EnableKey, kms:DisableKey, kms:ScheduleKeyDeletion, kms:CancelKeyDeletion, kms:TagResource, kms:UntagResource]")
	}},
	{Name: "RDS cannot create its grant", Check: "keypolicy", Want: "allows kms:CreateGrant: RDS and Secrets Manager need it", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "1", "Action"}, "[kms:Encrypt, kms:Decrypt, kms:GenerateDataKey*, kms:DescribeKey]")
	}},

	// encryption
	{Name: "cluster not encrypted", Check: "encryption", Want: "StorageEncrypted must be true", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbCluster", []string{"Properties", "StorageEncrypted"}, "false")
	}},
	{Name: "cluster with the default key", Check: "encryption", Want: "KmsKeyId", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "DbCluster", "Properties", "KmsKeyId")
	}},
	{Name: "global cluster not encrypted", Check: "encryption", Want: "StorageEncrypted", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "GlobalCluster", "Properties", "StorageEncrypted")
	}},
	{Name: "secret with the default key", Check: "encryption", Want: "Resources.MasterSecret", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "MasterSecret", "Properties", "KmsKeyId")
	}},
	{Name: "key without rotation", Check: "encryption", Want: "EnableKeyRotation", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbKey", []string{"Properties", "EnableKeyRotation"}, "false")
	}},
	{Name: "key usable by anyone", Check: "encryption", Want: "root principal", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbKey", []string{"Properties", "KeyPolicy", "Statement", "1", "Principal"}, `{AWS: "*"}`)
	}},
	{Name: "key deleted with the stack", Check: "encryption", Want: "Retain", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbKey", []string{"DeletionPolicy"}, "Delete")
	}},

	// secrets
	{Name: "secret not replicated", Check: "secrets", Want: "replicated to PeerRegion = false, want true", Sets: []string{"primary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "AppSecret", "Properties", "ReplicaRegions")
	}},
	{Name: "the secondary proxy reading a copy resolved at deploy time", Check: "secrets", Want: "the secondary holds no secret of its own", Sets: []string{"secondary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.AddResource(tb, in, "MasterSecretCopy", `{Type: AWS::SecretsManager::Secret, Condition: IsSecondary, DeletionPolicy: Retain, UpdateReplacePolicy: Retain, Properties: {Name: !Sub "${AppName}/db/${AWS::Region}/master", KmsKeyId: !Ref DbKey, SecretString: !Sub "{{resolve:secretsmanager:${AppName}/db/master:SecretString}}"}}`)
		checktest.SetAt(tb, in, "DbProxy", []string{"Properties", "Auth", "0", "SecretArn"}, "!If [IsPrimary, !Ref MasterSecret, !Ref MasterSecretCopy]")
	}},
	{Name: "a dynamic reference resolved in the secondary", Check: "secrets", Want: "resolves a secret at deploy time", Sets: []string{"secondary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbCluster", []string{"Properties", "MasterUsername"}, `!If [IsPrimary, !Sub "{{resolve:secretsmanager:${MasterSecret}:SecretString:username}}", !Sub "{{resolve:secretsmanager:${AppName}/db/master:SecretString:username}}"]`)
	}},
	{Name: "secondary proxy reading the primary region's secret", Check: "secrets", Want: "the secondary's proxy must read a replica", Sets: []string{"secondary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbProxy", []string{"Properties", "Auth", "1", "SecretArn"}, "!If [IsPrimary, !Ref AppSecret, !Ref PrimaryAppSecretArn]")
	}},
	{Name: "secondary proxy with the master's replica twice", Check: "secrets", Want: "Auth secrets map[PrimaryMasterSecretArn:2], want one each of [PrimaryAppSecretArn PrimaryMasterSecretArn]", Sets: []string{"secondary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		a := checktest.At(tb, checktest.ResNode(tb, in, "DbProxy"), "Properties", "Auth")
		designcheck.Set(a.Content[1], "SecretArn", designcheck.CloneNode(designcheck.Get(a.Content[0], "SecretArn")))
	}},
	{Name: "replica on the AWS managed key after the second pass", Check: "secrets", Want: "must be encrypted with that region's own key", Sets: []string{"primary-cloudfront", "primary-route53"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "MasterSecret", "Properties", "ReplicaRegions", "Fn::If", "1", "0", "KmsKeyId")
	}},
	{Name: "replica on this region's key (not the peer's)", Check: "secrets", Want: "must be encrypted with that region's own key", Sets: []string{"primary-cloudfront"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "AppSecret", []string{"Properties", "ReplicaRegions", "Fn::If", "1", "0", "KmsKeyId"}, "!GetAtt DbKey.Arn")
	}},
	{Name: "proxy decrypts with any key", Check: "secrets", Want: "kms:Decrypt on", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ProxyRole", []string{"Properties", "Policies", "0", "PolicyDocument", "Statement", "1", "Resource"}, `!Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*"`)
	}},
	{Name: "migrate function decrypts outside Secrets Manager", Check: "secrets", Want: "must be conditioned on kms:ViaService", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "MigrateFunction", "Properties", "Policies", "0", "Statement", "2", "Condition")
	}},
	{Name: "proxy may encrypt", Check: "secrets", Want: "kms:Encrypt: only kms:Decrypt", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ProxyRole", []string{"Properties", "Policies", "0", "PolicyDocument", "Statement", "1", "Action"}, "[kms:Decrypt, kms:Encrypt]")
	}},

	// retain
	{Name: "the pool without Retain", Check: "retain", Want: "Resources.UserPool: AWS::Cognito::UserPool: DeletionPolicy and UpdateReplacePolicy must be Retain", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "UserPool", []string{"DeletionPolicy"}, "Delete")
	}},
	{Name: "the app client replaced without a trace", Check: "retain", Want: "Resources.AppClient", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "AppClient", []string{"UpdateReplacePolicy"}, "Delete")
	}},
	{Name: "a DB secret deleted with the stack", Check: "retain", Want: "Resources.AppSecret", Sets: []string{"primary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "AppSecret", "DeletionPolicy")
	}},
	{Name: "the scopes deleted with the stack", Check: "retain", Want: "Resources.ApiResourceServer", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "ApiResourceServer", "DeletionPolicy")
	}},

	// database
	{Name: "cluster deleted without snapshot", Check: "database", Want: "Snapshot", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbCluster", []string{"DeletionPolicy"}, "Delete")
	}},
	{Name: "replaced without snapshot", Check: "database", Want: "Snapshot", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "DbCluster", "UpdateReplacePolicy")
	}},
	{Name: "Aurora MySQL 2", Check: "database", Want: "Aurora MySQL 3", Mutate: func(tb testing.TB, in *designcheck.Input) {
		designcheck.Set(checktest.At(tb, in.Source.Section("Mappings"), "Constants", "Database"), "EngineVersion", designcheck.Scalar(0, "5.7.mysql_aurora.2.12.5"))
	}},
	{Name: "provisioned instance", Check: "database", Want: "db.serverless", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbInstance", []string{"Properties", "DBInstanceClass"}, "db.r6g.large")
	}},
	{Name: "no backups", Check: "database", Want: "BackupRetentionPeriod", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbCluster", []string{"Properties", "BackupRetentionPeriod"}, "0")
	}},
	{Name: "no serverless v2", Check: "database", Want: "ServerlessV2ScalingConfiguration", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "DbCluster", "Properties", "ServerlessV2ScalingConfiguration")
	}},
	{Name: "deletion protection hard-coded", Check: "database", Want: "!Ref DeletionProtection", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbCluster", []string{"Properties", "DeletionProtection"}, "false")
	}},

	// ha
	{Name: "a reader removed", Check: "ha", Want: "DbReaderInstances=1 but the cluster gets 0 reader(s)", Sets: []string{"primary", "secondary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbReaderInstance1", []string{"Condition"}, "HasReader2")
	}},
	{Name: "the second reader never created", Check: "ha", Want: "DbReaderInstances=2 but the cluster gets 1 reader(s)", Sets: []string{"primary-two-readers"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbReaderInstance2", []string{"Condition"}, "IsSecondary")
	}},
	{Name: "the second reader in the writer's AZ", Check: "ha", Want: "DbReaderInstance2", Sets: []string{"primary-two-readers"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbReaderInstance2", []string{"Properties", "AvailabilityZone"}, "!GetAtt PrivateSubnetA.AvailabilityZone")
	}},
	{Name: "reader in the writer's AZ", Check: "ha", Want: "in the same AZ as DbInstance (PrivateSubnetA)", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbReaderInstance1", []string{"Properties", "AvailabilityZone"}, "!GetAtt PrivateSubnetA.AvailabilityZone")
	}},
	{Name: "reader in an AZ left to RDS", Check: "ha", Want: "AvailabilityZone must be !GetAtt <subnet", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "DbReaderInstance1", "Properties", "AvailabilityZone")
	}},
	{Name: "writer in an AZ left to RDS", Check: "ha", Want: "Resources.DbInstance: AvailabilityZone must be", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "DbInstance", "Properties", "AvailabilityZone")
	}},
	{Name: "reader that scales on its own", Check: "ha", Want: `PromotionTier "2": want 0 to 1`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbReaderInstance1", []string{"Properties", "PromotionTier"}, "2")
	}},
	{Name: "reader created with the writer", Check: "ha", Want: "are created at once", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "DbReaderInstance1", "DependsOn")
	}},
	{Name: "primary environment without a reader", Check: "ha", Want: "the primary environment needs a reader", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetOverride(tb, in, "primary", "DbReaderInstances", "0", false)
	}},
	{Name: "development stack pays for a reader", Check: "ha", Want: "the development stack runs without readers", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetOverride(tb, in, "default", "DbReaderInstances", "1", false)
	}},

	// secondary-cluster
	{Name: "headless secondary", Check: "secondary-cluster", Want: "secondary cluster has no instance", Sets: []string{"secondary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		for _, i := range []string{"DbInstance", "DbReaderInstance1", "DbReaderInstance2"} {
			checktest.SetAt(tb, in, i, []string{"Condition"}, "IsPrimary")
		}
	}},
	{Name: "master user on the secondary", Check: "secondary-cluster", Want: "must not set MasterUsername", Sets: []string{"secondary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbCluster", []string{"Properties", "MasterUsername"}, "dbadmin")
	}},
	{Name: "managed master password on the secondary", Check: "secondary-cluster", Want: "must not set ManageMasterUserPassword", Sets: []string{"secondary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbCluster", []string{"Properties", "ManageMasterUserPassword"}, "true")
	}},
	{Name: "secondary creates the global cluster", Check: "secondary-cluster", Want: "must not create the global cluster", Sets: []string{"secondary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "GlobalCluster", "Condition")
	}},
	{Name: "primary outside the global cluster", Check: "secondary-cluster", Want: "primary cluster must join", Sets: []string{"primary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbCluster", []string{"Properties", "GlobalClusterIdentifier"}, "!If [IsPrimary, !Ref AWS::NoValue, !Ref GlobalClusterIdentifier]")
	}},
	{Name: "primary password in plain text", Check: "secondary-cluster", Want: "MasterUserPassword must be a secretsmanager dynamic reference", Sets: []string{"primary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "DbCluster", []string{"Properties", "MasterUserPassword"}, "!If [IsPrimary, hunter2hunter2, !Ref AWS::NoValue]")
	}},

	// migration
	{Name: "misspelt custom resource property", Check: "migration", Want: "FunctionVersion must be !Ref MigrateFunction.Version", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.RenameKey(tb, checktest.At(tb, checktest.ResNode(tb, in, "Migration"), "Properties"), "FunctionVersion", "ServiceTimout")
	}},
	{Name: "migration in the primary only", Check: "migration", Want: "want one Custom::Migration in every stack", Sets: []string{"secondary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Migration", []string{"Condition"}, "IsPrimary")
	}},
	{Name: "migration before the proxy target", Check: "migration", Want: "must DependsOn DbProxyTargetGroup", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Migration", []string{"DependsOn"}, "[DbInstance, DbProxyReadOnlyEndpoint]")
	}},
	{Name: "migration before the read-only endpoint", Check: "migration", Want: "must DependsOn DbProxyReadOnlyEndpoint", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Migration", []string{"DependsOn"}, "[DbInstance, DbProxyTargetGroup]")
	}},
	{Name: "migrate function with no time to retry", Check: "migration", Want: `Timeout "60": the migrate function needs 300 to 900 s`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "MigrateFunction", []string{"Properties", "Timeout"}, "60")
	}},
	{Name: "CloudFormation gives up before the function", Check: "migration", Want: "ServiceTimeout 600 s must exceed the function's Timeout 900 s", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Migration", []string{"Properties", "ServiceTimeout"}, "600")
	}},
	{Name: "ServiceTimeout above CloudFormation's limit", Check: "migration", Want: "must be an integer from 1 to 3600", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Migration", []string{"Properties", "ServiceTimeout"}, "7200")
	}},
	{Name: "secondary migrate reads a secret of the other region", Check: "migration", Want: "Resources.MigrateFunction: TODOMGMT_APP_SECRET_ARN must be a secret DbProxy holds in this region", Sets: []string{"secondary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "MigrateFunction", []string{"Properties", "Environment", "Variables", "TODOMGMT_APP_SECRET_ARN"}, "!If [IsPrimary, !Ref AppSecret, !Ref PrimaryAppSecretArn]")
	}},
	{Name: "secondary migrate cannot reach its proxy", Check: "migration", Want: "Resources.MigrateFunction: no ingress rule", Sets: []string{"secondary"}, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ProxyIngressFromMigrateFunction", []string{"Condition"}, "IsPrimary")
	}},
	{Name: "migration served by the API function", Check: "migration", Want: "ServiceToken", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "Migration", []string{"Properties", "ServiceToken"}, "!GetAtt ApiFunction.Arn")
	}},
	{Name: "no purge schedule", Check: "migration", Want: `Resources.MigrateFunction: want one schedule sending {"action":"purge-idempotency-keys"} to it`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.DelAt(tb, in, "MigrateFunction", "Properties", "Events")
	}},
	{Name: "purge schedule on the API function", Check: "migration", Want: `the purge-idempotency-keys schedule must target the migrate function MigrateFunction, not "ApiFunction"`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "ApiFunction", []string{"Properties", "Events", "Purge"},
			`{Type: Schedule, Properties: {Schedule: rate(1 hour), Input: '{"action":"purge-idempotency-keys"}'}}`)
		checktest.DelAt(tb, in, "MigrateFunction", "Properties", "Events")
	}},
	{Name: "purge runs daily", Check: "migration", Want: `ScheduleExpression "rate(1 day)", want rate(1 hour)`, Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "MigrateFunction", []string{"Properties", "Events", "PurgeIdempotencyKeys", "Properties", "Schedule"}, "rate(1 day)")
	}},
	{Name: "purge schedule disabled", Check: "migration", Want: "schedule is disabled", Mutate: func(tb testing.TB, in *designcheck.Input) {
		checktest.SetAt(tb, in, "MigrateFunction", []string{"Properties", "Events", "PurgeIdempotencyKeys", "Properties", "Enabled"}, "false")
	}},
}
