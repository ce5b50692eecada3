package awsops

// What the failover plans rely on beyond the global database's topology,
// as AWS tells it: each region's RDS Proxy targets, the deletion
// protection and backup retention of the clusters, the recovery snapshots
// of former writers, and each region's Cognito user pool. They are read
// by every plan (failover:plan, the failover targets) and by the readiness
// function, with describe calls only.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

var (
	_ failover.ProxyInspector  = (*Database)(nil)
	_ failover.SafeguardReader = (*Database)(nil)
	_ failover.IdentityProber  = (*Prober)(nil)
)

// BackupRetention is how long the template's clusters keep automated
// backups (BackupRetentionPeriod 7): an unplanned failover's recovery
// snapshot, a system snapshot, expires with it.
const BackupRetention = 7 * 24 * time.Hour

// ProxyTargets reads the targets of region's proxy (DescribeDBProxyTargets
// on its default target group, every page). The tracked cluster has no
// health of its own; its instances do: one is available when the proxy
// reaches it and logs in to it, and the writer's instance has the role
// READ_WRITE.
func (d *Database) ProxyTargets(ctx context.Context, region string) (failover.ProxyTargets, error) {
	name := d.Proxies[region]
	if name == "" {
		return failover.ProxyTargets{}, fmt.Errorf("no proxy known in %s", region)
	}
	return readProxyTargets(ctx, d.Clients.RDS(region), name)
}

func readProxyTargets(ctx context.Context, api awsclient.RDSAPI, proxy string) (failover.ProxyTargets, error) {
	var targets []rdstypes.DBProxyTarget
	p := rds.NewDescribeDBProxyTargetsPaginator(api, &rds.DescribeDBProxyTargetsInput{DBProxyName: aws.String(proxy)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return failover.ProxyTargets{}, fmt.Errorf("describe the targets of proxy %s: %w", proxy, err)
		}
		targets = append(targets, page.Targets...)
	}
	pt := failover.ProxyTargets{Known: true}
	var why []string
	for _, t := range targets {
		if t.Type == rdstypes.TargetTypeTrackedCluster {
			continue
		}
		pt.Total++
		if t.TargetHealth != nil && t.TargetHealth.State == rdstypes.TargetStateAvailable {
			pt.Available++
			if t.Role == rdstypes.TargetRoleReadWrite {
				pt.Writers++
			}
			continue
		}
		if t.TargetHealth == nil {
			why = append(why, "no health reported")
			continue
		}
		if t.TargetHealth.Reason == rdstypes.TargetHealthReasonAuthFailure {
			pt.AuthFailures++
		}
		why = append(why, strings.TrimSpace(fmt.Sprintf("%s %s %s", t.TargetHealth.State, t.TargetHealth.Reason, aws.ToString(t.TargetHealth.Description))))
	}
	pt.Detail = strings.Join(why, "; ")
	return pt, nil
}

// Safeguards reads, in region, the global cluster's deletion protection
// (DescribeGlobalClusters), that of the region's member cluster and its
// backup retention (DescribeDBClusters), and the recovery snapshots an
// unplanned failover left of it, each with its manual copy if there is
// one (DescribeDBClusterSnapshots: a copy names its source in
// SourceDBClusterSnapshotArn). What the deployment asks comes from
// WantDeletionProtection and WantBackupRetention.
func (d *Database) Safeguards(ctx context.Context, region string) (failover.Safeguards, error) {
	g := failover.Safeguards{WantDeletionProtection: d.WantDeletionProtection, WantBackupRetention: d.WantBackupRetention}
	gc, err := d.describeGlobal(ctx, []string{region})
	if err != nil {
		return g, err
	}
	g.GlobalDeletionProtection = aws.ToBool(gc.DeletionProtection)
	var member ClusterARN
	for _, m := range gc.GlobalClusterMembers {
		if ca, err := ParseClusterARN(aws.ToString(m.DBClusterArn)); err == nil && ca.Region == region {
			member = ca
		}
	}
	if member.ARN == "" {
		return g, fmt.Errorf("the global cluster %s has no member in %s", d.GlobalClusterID, region)
	}
	g.Cluster = member.Name
	api := d.Clients.RDS(region)
	out, err := api.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(member.ARN)})
	if err != nil {
		return g, fmt.Errorf("describe cluster %s: %w", member.Name, err)
	}
	if len(out.DBClusters) == 0 {
		return g, fmt.Errorf("describe cluster %s: empty answer", member.Name)
	}
	c := out.DBClusters[0]
	g.DeletionProtection = aws.ToBool(c.DeletionProtection)
	g.BackupRetention = time.Duration(aws.ToInt32(c.BackupRetentionPeriod)) * 24 * time.Hour
	all, err := regionSnapshots(ctx, api)
	if err != nil {
		return g, fmt.Errorf("list the snapshots in %s: %w", region, err)
	}
	copies := map[string]string{} // source snapshot ARN → copy
	for _, s := range all {
		if src := aws.ToString(s.SourceDBClusterSnapshotArn); src != "" {
			copies[src] = aws.ToString(s.DBClusterSnapshotIdentifier)
		}
	}
	for _, s := range all {
		id := aws.ToString(s.DBClusterSnapshotIdentifier)
		if !strings.EqualFold(aws.ToString(s.DBClusterIdentifier), member.Name) || !strings.HasPrefix(id, RecoverySnapshotPrefix+member.Name) {
			continue
		}
		rs := failover.RecoverySnapshot{Name: id, Created: aws.ToTime(s.SnapshotCreateTime), CopiedTo: copies[aws.ToString(s.DBClusterSnapshotArn)]}
		if aws.ToString(s.SnapshotType) != "manual" && g.BackupRetention > 0 {
			rs.Expires = rs.Created.Add(g.BackupRetention)
		}
		g.RecoverySnapshots = append(g.RecoverySnapshots, rs)
	}
	g.Known = true
	return g, nil
}

// UserPool asks region's Cognito for its user pool (DescribeUserPool): a
// pool the API answers for is one the token endpoint serves.
func (p *Prober) UserPool(ctx context.Context, region string) (failover.UserPool, error) {
	id := p.UserPools[region]
	if id == "" {
		return failover.UserPool{}, fmt.Errorf("no user pool known in %s", region)
	}
	if p.Clients == nil || p.Clients.Cognito == nil {
		return failover.UserPool{}, errors.New("no Cognito client")
	}
	up := failover.UserPool{ID: id}
	out, err := p.Clients.Cognito(region).DescribeUserPool(ctx, &cognitoidentityprovider.DescribeUserPoolInput{UserPoolId: aws.String(id)})
	switch {
	case err != nil:
		up.Detail = fmt.Sprintf("DescribeUserPool %s in %s: %v", id, region, err)
	case out.UserPool == nil || aws.ToString(out.UserPool.Id) != id:
		up.Detail = fmt.Sprintf("DescribeUserPool %s in %s: no such pool in the answer", id, region)
	default:
		up.OK = true
	}
	return up, nil
}
