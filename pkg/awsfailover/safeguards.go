package awsfailover

// What the failover plans rely on beyond the global database's topology,
// as AWS tells it: each region's RDS Proxy targets, and the deletion
// protection and backup retention of the clusters with the recovery
// snapshots of former writers (each region's Cognito user pool is the
// Prober's). They are read by every plan (failover:plan, the failover
// targets) and by the readiness function, with describe calls only; the
// clusters' settings come with the topology, so only the proxies and the
// snapshots are asked for here.

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

// recoverySnapshots are the recovery snapshots of the cluster named name
// among a region's snapshots all, each with its manual copy if there is
// one (a copy names its source in SourceDBClusterSnapshotArn). A system
// snapshot expires with the cluster's backup retention.
func recoverySnapshots(all []rdstypes.DBClusterSnapshot, name string, retention time.Duration) []failover.RecoverySnapshot {
	copies := map[string]string{} // source snapshot ARN → copy
	for _, s := range all {
		if src := aws.ToString(s.SourceDBClusterSnapshotArn); src != "" {
			copies[src] = aws.ToString(s.DBClusterSnapshotIdentifier)
		}
	}
	var out []failover.RecoverySnapshot
	for _, s := range all {
		id := aws.ToString(s.DBClusterSnapshotIdentifier)
		// Identifiers are stored in lowercase; compare as RDS does.
		if !strings.EqualFold(aws.ToString(s.DBClusterIdentifier), name) || !strings.HasPrefix(id, RecoverySnapshotPrefix+name) {
			continue
		}
		rs := failover.RecoverySnapshot{Name: id, Created: aws.ToTime(s.SnapshotCreateTime), CopiedTo: copies[aws.ToString(s.DBClusterSnapshotArn)]}
		if aws.ToString(s.SnapshotType) != "manual" && retention > 0 {
			rs.Expires = rs.Created.Add(retention)
		}
		out = append(out, rs)
	}
	return out
}
