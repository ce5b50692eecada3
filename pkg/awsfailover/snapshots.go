package awsfailover

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
)

// RecoverySnapshotPrefix starts the name of the snapshot Aurora takes of
// the old primary's storage after a global failover with data loss, when
// that region recovers: rds:unplanned-global-failover-<cluster>-<time>.
// It is a system snapshot subject to the old cluster's backup retention:
// copy it to a manual snapshot to keep it.
const RecoverySnapshotPrefix = "rds:unplanned-global-failover-"

// ClusterSnapshots lists the automated and manual snapshots of the cluster
// named name in api's region, every page (DescribeDBClusterSnapshots
// returns 100 per page by default). It filters on the client, not with the
// DBClusterIdentifier parameter, which "must match the identifier of an
// existing DBCluster": destroy lists the final snapshots after the
// clusters are deleted.
func ClusterSnapshots(ctx context.Context, api awsclient.RDSAPI, name string) ([]rdstypes.DBClusterSnapshot, error) {
	all, err := regionSnapshots(ctx, api)
	if err != nil {
		return nil, err
	}
	var out []rdstypes.DBClusterSnapshot
	for _, s := range all {
		// Identifiers are stored in lowercase; compare as RDS does.
		if strings.EqualFold(aws.ToString(s.DBClusterIdentifier), name) {
			out = append(out, s)
		}
	}
	return out, nil
}

// regionSnapshots lists the automated and manual cluster snapshots in
// api's region, every page.
func regionSnapshots(ctx context.Context, api awsclient.RDSAPI) ([]rdstypes.DBClusterSnapshot, error) {
	var out []rdstypes.DBClusterSnapshot
	p := rds.NewDescribeDBClusterSnapshotsPaginator(api, &rds.DescribeDBClusterSnapshotsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, page.DBClusterSnapshots...)
	}
	return out, nil
}
