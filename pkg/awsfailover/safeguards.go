package awsfailover

// What the failover plans rely on beyond the global database's topology,
// as AWS tells it: each region's RDS Proxy targets, and the deletion
// protection and backup retention of the clusters with the recovery
// snapshots of former writers (each region's Cognito user pool is the
// Prober's). They are read by every plan (failover:plan, the failover
// targets) and by the readiness function, with describe calls only.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// ReadProxyTargets reads the instance targets of the RDS Proxy named
// proxy in api's region (DescribeDBProxyTargets on its default target
// group, every page): how many there are, are available, are the writer
// (READ_WRITE), and fail to authenticate, with the reasons of those that
// are not available.
func ReadProxyTargets(ctx context.Context, api awsclient.RDSAPI, proxy string) (failover.ProxyTargets, error) {
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

// readSafeguards completes g from the global cluster gc as region
// describes it (named id), and from region's RDS API: the region's member
// cluster's deletion protection and backup retention, and its recovery
// snapshots with their manual copies.
func readSafeguards(ctx context.Context, api awsclient.RDSAPI, gc rdstypes.GlobalCluster, id, region string, g failover.Safeguards) (failover.Safeguards, error) {
	g.GlobalDeletionProtection = aws.ToBool(gc.DeletionProtection)
	var member ClusterARN
	for _, m := range gc.GlobalClusterMembers {
		if ca, err := ParseClusterARN(aws.ToString(m.DBClusterArn)); err == nil && ca.Region == region {
			member = ca
		}
	}
	if member.ARN == "" {
		return g, fmt.Errorf("the global cluster %s has no member in %s", id, region)
	}
	g.Cluster = member.Name
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
