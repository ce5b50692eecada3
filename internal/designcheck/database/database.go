// Package database checks the data side of the template: the Aurora
// global cluster and its secondary, in-region HA, RDS Proxy, encryption
// with a retained, rotating key and its key policy, the secrets and their
// replicas, what is retained when the stack goes, and the migration
// custom resource with the migrate function's reach and schedule.
package database

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/todomgmt/todomgmt/internal/designcheck"
)

// Checks are the data checks, in the order they report.
var Checks = []designcheck.Check{
	{Name: "proxy", Doc: "RDS Proxy: IAM auth required on every secret, TLS required, borrow timeout under 29 s, a read-only endpoint, the role reads only its secrets", Translated: true, Run: checkProxy},
	{Name: "keypolicy", Doc: "KMS key policies: the account administers the key unconditionally (PutKeyPolicy, deletion, ...) but uses it only through kms:ViaService RDS and Secrets Manager", Translated: true, Run: checkKeyPolicy},
	{Name: "encryption", Doc: "cluster and global cluster encrypted with a rotating, retained KMS key; secrets encrypted with it", Translated: true, Run: checkEncryption},
	{Name: "secrets", Doc: "credentials never go stale: the primary generates the DB secrets and replicates them to PeerRegion (encrypted with PeerDbKeyArn once known); the secondary holds and resolves no secret, its proxy reads the replicas; the proxy role and the migrate function decrypt only with this region's key via Secrets Manager", Translated: true, Run: checkSecrets},
	{Name: "retain", Doc: "what holds credentials is retained on deletion and replacement: the DB secrets, the user pool, its resource server and app client", Translated: true, Run: checkRetain},
	{Name: "database", Doc: "Aurora MySQL 3 Serverless v2 in a global cluster, backups, snapshot on delete/replace, an instance per cluster", Translated: true, Run: checkDatabase},
	{Name: "ha", Doc: "in-region HA: the first instance plus DbReaderInstances readers (created after it, in the DB subnet group's other AZ), every instance in promotion tier 0 or 1; readers in [primary] and [secondary], none in [default]", Translated: true, Run: checkHA},
	{Name: "secondary-cluster", Doc: "the secondary joins the global cluster with an instance and without master credentials; the primary creates the global cluster", Translated: true, Run: checkSecondaryCluster},
	{Name: "migration", Doc: "the migration custom resource exists in both roles, after the database path is ready, re-run by each new migrate version, with a function timeout for retries and a ServiceTimeout above it, reaching this region's proxy and app secret; the migrate function purges idempotency keys hourly", Translated: true, Run: checkMigration},
}

// ------------------------------------------------------------- database

func checkDatabase(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		for _, c := range d.OfType("AWS::RDS::DBCluster") {
			where := "Resources." + c.Name
			if v, _ := designcheck.Str(c.Prop("Engine")); v != "aurora-mysql" {
				r.AddIn(d, where, "Engine %q, want aurora-mysql", v)
			}
			if c.Attr("DeletionPolicy") != "Snapshot" || c.Attr("UpdateReplacePolicy") != "Snapshot" {
				r.AddIn(d, where, "DeletionPolicy and UpdateReplacePolicy must be Snapshot")
			}
			if n, _ := strconv.Atoi(designcheck.StrValue(c.Prop("BackupRetentionPeriod"))); n < 1 {
				r.AddIn(d, where, "BackupRetentionPeriod must be at least 1 day")
			}
			if !designcheck.IsRef(c.Prop("DeletionProtection"), "DeletionProtection") {
				r.AddIn(d, where, "DeletionProtection must be !Ref DeletionProtection")
			}
			sv2 := c.Prop("ServerlessV2ScalingConfiguration")
			if !designcheck.IsRef(designcheck.Get(sv2, "MinCapacity"), "DbMinCapacity") || !designcheck.IsRef(designcheck.Get(sv2, "MaxCapacity"), "DbMaxCapacity") {
				r.AddIn(d, where, "ServerlessV2ScalingConfiguration must use DbMinCapacity and DbMaxCapacity")
			}
			if c.Prop("DBSubnetGroupName") == nil || c.Prop("VpcSecurityGroupIds") == nil {
				r.AddIn(d, where, "DBSubnetGroupName and VpcSecurityGroupIds must be set (private subnets, own group)")
			}
			v, err := d.Value(c.Prop("EngineVersion"))
			if err != nil || !strings.HasPrefix(v, "8.0.mysql_aurora.3.") {
				r.AddIn(d, where, "EngineVersion %q: want Aurora MySQL 3 (8.0.mysql_aurora.3.*)", v)
			}
			for _, g := range d.OfType("AWS::RDS::GlobalCluster") {
				if gv, _ := d.Value(g.Prop("EngineVersion")); gv != v {
					r.AddIn(d, "Resources."+g.Name, "EngineVersion %q differs from the cluster's %q", gv, v)
				}
			}
		}
		for _, i := range d.OfType("AWS::RDS::DBInstance") {
			where := "Resources." + i.Name
			if v, _ := designcheck.Str(i.Prop("DBInstanceClass")); v != "db.serverless" {
				r.AddIn(d, where, "DBInstanceClass %q, want db.serverless", v)
			}
			if v, _ := designcheck.Str(i.Prop("PubliclyAccessible")); v == "true" {
				r.AddIn(d, where, "PubliclyAccessible must be false")
			}
		}
	}
}

// masterCredentialProps must not be set on a secondary cluster.
var masterCredentialProps = []string{"MasterUsername", "MasterUserPassword", "ManageMasterUserPassword", "MasterUserSecret", "DatabaseName", "SnapshotIdentifier"}

func checkSecondaryCluster(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		role := d.Set.Role()
		clusters := d.OfType("AWS::RDS::DBCluster")
		globals := d.OfType("AWS::RDS::GlobalCluster")
		if len(clusters) != 1 {
			r.AddIn(d, "Resources", "want one DBCluster, got %d", len(clusters))
			continue
		}
		c := clusters[0]
		where := "Resources." + c.Name
		instances := 0
		for _, i := range d.OfType("AWS::RDS::DBInstance") {
			if designcheck.IsRef(i.Prop("DBClusterIdentifier"), c.Name) {
				instances++
			}
		}
		if instances < 1 {
			r.AddIn(d, where, "the %s cluster has no instance (a headless secondary cannot be promoted)", role)
		}
		switch role {
		case "secondary":
			if len(globals) != 0 {
				r.AddIn(d, "Resources", "the secondary must not create the global cluster")
			}
			for _, p := range masterCredentialProps {
				if c.Prop(p) != nil {
					r.AddIn(d, where, "the secondary cluster must not set %s (it replicates the primary)", p)
				}
			}
			if !designcheck.IsRef(c.Prop("GlobalClusterIdentifier"), "GlobalClusterIdentifier") {
				r.AddIn(d, where, "the secondary must join !Ref GlobalClusterIdentifier")
			}
		case "primary":
			if len(globals) != 1 {
				r.AddIn(d, "Resources", "the primary must create the global cluster, got %d", len(globals))
				continue
			}
			if !designcheck.IsRef(globals[0].Prop("GlobalClusterIdentifier"), "GlobalClusterIdentifier") {
				r.AddIn(d, "Resources."+globals[0].Name, "GlobalClusterIdentifier must be the parameter")
			}
			if !designcheck.IsRef(c.Prop("GlobalClusterIdentifier"), globals[0].Name) {
				r.AddIn(d, where, "the primary cluster must join !Ref %s", globals[0].Name)
			}
			for _, p := range []string{"MasterUsername", "MasterUserPassword"} {
				f, arg, ok := designcheck.Intrinsic(c.Prop(p))
				s, _ := designcheck.Str(arg)
				if !ok || f != "Fn::Sub" || !strings.HasPrefix(s, "{{resolve:secretsmanager:") {
					r.AddIn(d, where, "%s must be a secretsmanager dynamic reference", p)
				}
			}
		}
	}
}

// ----------------------------------------------------------- encryption

func checkEncryption(in *designcheck.Input, r *designcheck.Report) {
	for _, d := range in.Deployments() {
		keysByName := map[string]*designcheck.Resource{}
		for _, k := range d.OfType("AWS::KMS::Key") {
			keysByName[k.Name] = k
			where := "Resources." + k.Name
			if v, _ := designcheck.Str(k.Prop("EnableKeyRotation")); v != "true" {
				r.AddIn(d, where, "EnableKeyRotation must be true")
			}
			if k.Attr("DeletionPolicy") != "Retain" || k.Attr("UpdateReplacePolicy") != "Retain" {
				r.AddIn(d, where, "DeletionPolicy and UpdateReplacePolicy must be Retain (final snapshots are encrypted with this key)")
			}
			accountRoot := designcheck.Scalar(0, "arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
			for i, st := range designcheck.Items(k.Prop("KeyPolicy", "Statement")) {
				principal := designcheck.Get(st, "Principal", "AWS")
				f, arg, ok := designcheck.Intrinsic(principal)
				if !ok || f != "Fn::Sub" || !designcheck.EqualNodes(arg, accountRoot) || designcheck.Get(st, "Principal", "Service") != nil || designcheck.Get(st, "NotPrincipal") != nil {
					r.AddIn(d, where, "KeyPolicy statement %d must name only this account's root principal", i)
				}
			}
		}
		usesKey := func(n *yaml.Node) bool {
			if name, ok := designcheck.RefTarget(n); ok && keysByName[name] != nil {
				return true
			}
			name, _, ok := designcheck.GetAttTarget(n)
			return ok && keysByName[name] != nil
		}
		for _, c := range d.OfType("AWS::RDS::DBCluster") {
			where := "Resources." + c.Name
			if v, _ := designcheck.Str(c.Prop("StorageEncrypted")); v != "true" {
				r.AddIn(d, where, "StorageEncrypted must be true")
			}
			if !usesKey(c.Prop("KmsKeyId")) {
				r.AddIn(d, where, "KmsKeyId must be this region's customer managed key")
			}
		}
		for _, g := range d.OfType("AWS::RDS::GlobalCluster") {
			if v, _ := designcheck.Str(g.Prop("StorageEncrypted")); v != "true" {
				r.AddIn(d, "Resources."+g.Name, "StorageEncrypted must be true")
			}
		}
		for _, s := range d.OfType("AWS::SecretsManager::Secret") {
			if !usesKey(s.Prop("KmsKeyId")) {
				r.AddIn(d, "Resources."+s.Name, "KmsKeyId must be this region's customer managed key")
			}
		}
	}
}
