package awsops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// ClusterARN is an Aurora DB cluster ARN split into the parts this
// package needs: arn:aws:rds:<region>:<account>:cluster:<name>.
type ClusterARN struct {
	ARN, Region, Name string
}

// ParseClusterARN parses a DB cluster ARN.
func ParseClusterARN(arn string) (ClusterARN, error) {
	p := strings.Split(arn, ":")
	if len(p) != 7 || p[0] != "arn" || p[2] != "rds" || p[3] == "" || p[5] != "cluster" || p[6] == "" {
		return ClusterARN{}, fmt.Errorf("%q is not a DB cluster ARN (arn:aws:rds:<region>:<account>:cluster:<name>)", arn)
	}
	return ClusterARN{ARN: arn, Region: p[3], Name: p[6]}, nil
}

// Database is the Aurora Global Database as a failover.Database. Member
// IDs are cluster ARNs, because the global-cluster operations need ARNs to
// find a cluster in another region; Topology parses each ARN it gets from
// AWS into the member's Region and Name, and every other method acts on
// the members as Topology reported them: it neither describes the global
// cluster again nor parses an ARN back.
type Database struct {
	// GlobalClusterID names the global cluster.
	GlobalClusterID string
	// Regions are asked for the global cluster, all at once; the first
	// answer wins, so a region that is down does not block the topology.
	// TopologyFrom asks one region only.
	Regions []string
	Clients *awsclient.Clients
	// MigrateFunctions names each region's migrate function, by region:
	// FenceIDs invokes the target region's.
	MigrateFunctions map[string]string
	// Proxies names each region's RDS Proxy, by region: ProxyTargets
	// reads its targets.
	Proxies map[string]string
	// WantDeletionProtection and WantBackupRetention are what the
	// deployment asks of the clusters (the DeletionProtection parameter,
	// the template's BackupRetentionPeriod); Safeguards reports them with
	// what the clusters have.
	WantDeletionProtection bool
	WantBackupRetention    time.Duration
	// LagLookback is how much lag history LagEvidence reads; zero means
	// DefaultLagLookback.
	LagLookback time.Duration
	// Now is the clock for metric windows; nil is time.Now.
	Now func() time.Time
}

var (
	_ failover.Database            = (*Database)(nil)
	_ failover.RecoverySnapshotter = (*Database)(nil)
	_ failover.RegionalTopology    = (*Database)(nil)
)

func (d *Database) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

// describeGlobal asks every region in regions for the global cluster and
// returns the first answer. A GlobalClusterNotFoundFault from any region
// is final.
func (d *Database) describeGlobal(ctx context.Context, regions []string) (rdstypes.GlobalCluster, error) {
	if len(regions) == 0 {
		return rdstypes.GlobalCluster{}, errors.New("no region to ask for the global cluster")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct {
		region string
		gc     rdstypes.GlobalCluster
		err    error
	}
	ch := make(chan answer, len(regions))
	for _, r := range regions {
		go func() {
			out, err := d.Clients.RDS(r).DescribeGlobalClusters(ctx, &rds.DescribeGlobalClustersInput{
				GlobalClusterIdentifier: aws.String(d.GlobalClusterID),
			})
			a := answer{region: r, err: err}
			if err == nil {
				if len(out.GlobalClusters) == 0 {
					a.err = &rdstypes.GlobalClusterNotFoundFault{Message: aws.String("empty answer")}
				} else {
					a.gc = out.GlobalClusters[0]
				}
			}
			ch <- a
		}()
	}
	var errs []error
	for range regions {
		a := <-ch
		var nf *rdstypes.GlobalClusterNotFoundFault
		switch {
		case a.err == nil:
			return a.gc, nil
		case errors.As(a.err, &nf):
			return rdstypes.GlobalCluster{}, &GlobalClusterNotFoundError{ID: d.GlobalClusterID}
		}
		errs = append(errs, fmt.Errorf("%s: %w", a.region, a.err))
	}
	return rdstypes.GlobalCluster{}, fmt.Errorf("describe global cluster %s: %w", d.GlobalClusterID, oneLine(errs))
}

// GlobalClusterNotFoundError says the global cluster does not exist.
type GlobalClusterNotFoundError struct{ ID string }

func (e *GlobalClusterNotFoundError) Error() string {
	return fmt.Sprintf("global cluster %s not found", e.ID)
}

// Topology describes the global cluster (DescribeGlobalClusters, from the
// first region to answer) and each member in its own region
// (DescribeDBClusters: status, instances, engine version; CloudWatch:
// replication lag). A member whose region does not answer keeps an empty
// status and an unknown lag.
func (d *Database) Topology(ctx context.Context) (failover.Topology, error) {
	return d.topology(ctx, d.Regions)
}

// TopologyFrom is Topology with the global cluster described by region's
// RDS API alone: an unplanned failover asks its target region, because
// during a regional outage the lost region may still answer, with the
// view it had before the outage.
func (d *Database) TopologyFrom(ctx context.Context, region string) (failover.Topology, error) {
	return d.topology(ctx, []string{region})
}

func (d *Database) topology(ctx context.Context, regions []string) (failover.Topology, error) {
	gc, err := d.describeGlobal(ctx, regions)
	if err != nil {
		return failover.Topology{}, err
	}
	t := failover.Topology{ID: aws.ToString(gc.GlobalClusterIdentifier), Status: aws.ToString(gc.Status)}
	if fs := gc.FailoverState; fs != nil && fs.Status != "" {
		t.Operation = string(fs.Status)
		t.OperationTo = aws.ToString(fs.ToDbClusterArn)
	}
	t.Members = make([]failover.Member, len(gc.GlobalClusterMembers))
	var wg sync.WaitGroup
	for i, gm := range gc.GlobalClusterMembers {
		arn := aws.ToString(gm.DBClusterArn)
		m := failover.Member{ID: arn, Writer: aws.ToBool(gm.IsWriter)}
		if !m.Writer {
			m.Sync = string(gm.SynchronizationStatus)
		}
		ca, err := ParseClusterARN(arn)
		if err != nil {
			t.Members[i] = m
			continue
		}
		m.Region, m.Name = ca.Region, ca.Name
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.describeMember(ctx, ca, &m)
			t.Members[i] = m
		}()
	}
	wg.Wait()
	return t, nil
}

func (d *Database) describeMember(ctx context.Context, ca ClusterARN, m *failover.Member) {
	out, err := d.Clients.RDS(ca.Region).DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(ca.ARN)})
	if err == nil && len(out.DBClusters) > 0 {
		c := out.DBClusters[0]
		m.Status = aws.ToString(c.Status)
		m.Instances = len(c.DBClusterMembers)
		m.EngineVersion = aws.ToString(c.EngineVersion)
	}
	if !m.Writer {
		m.Lag, m.LagKnown = d.lag(ctx, ca.Region, ca.Name)
	}
}

// cluster returns what a global-cluster operation needs of a member the
// plan chose: the region to call and the cluster ARN to name. Topology
// sets both; a member without them is refused before any call.
func cluster(m failover.Member) (region, arn string, err error) {
	if !strings.HasPrefix(m.ID, "arn:") {
		return "", "", fmt.Errorf("member ID %q is not a DB cluster ARN (arn:aws:rds:<region>:<account>:cluster:<name>), which the global-cluster operations need to find a cluster in another region", m.ID)
	}
	if m.Region == "" {
		return "", "", fmt.Errorf("member %s has no region", m.ID)
	}
	return m.Region, m.ID, nil
}

// nameOf names a member for people: its cluster name, else its ARN.
func nameOf(m failover.Member) string {
	if m.Name != "" {
		return m.Name
	}
	return m.ID
}

// Switchover calls SwitchoverGlobalCluster with the target cluster's ARN
// in the current writer's region (from's: the API is called where the
// primary is).
func (d *Database) Switchover(ctx context.Context, from, to failover.Member) error {
	_, toARN, err := cluster(to)
	if err != nil {
		return err
	}
	writerRegion, _, err := cluster(from)
	if err != nil {
		return fmt.Errorf("switchover of %s: the writer: %w", d.GlobalClusterID, err)
	}
	_, err = d.Clients.RDS(writerRegion).SwitchoverGlobalCluster(ctx, &rds.SwitchoverGlobalClusterInput{
		GlobalClusterIdentifier:   aws.String(d.GlobalClusterID),
		TargetDbClusterIdentifier: aws.String(toARN),
	})
	if err != nil {
		return fmt.Errorf("SwitchoverGlobalCluster %s → %s (in %s): %w", d.GlobalClusterID, nameOf(to), writerRegion, err)
	}
	return nil
}

// Failover calls FailoverGlobalCluster with the target cluster's ARN in
// the target's region, which works while the writer's region is down.
// With allowDataLoss it is a global failover; without, it asks for a
// switchover (Switchover=true), which needs a healthy writer.
func (d *Database) Failover(ctx context.Context, target failover.Member, allowDataLoss bool) error {
	region, arn, err := cluster(target)
	if err != nil {
		return err
	}
	in := &rds.FailoverGlobalClusterInput{
		GlobalClusterIdentifier:   aws.String(d.GlobalClusterID),
		TargetDbClusterIdentifier: aws.String(arn),
	}
	// The two flags are mutually exclusive.
	if allowDataLoss {
		in.AllowDataLoss = aws.Bool(true)
	} else {
		in.Switchover = aws.Bool(true)
	}
	if _, err := d.Clients.RDS(region).FailoverGlobalCluster(ctx, in); err != nil {
		return fmt.Errorf("FailoverGlobalCluster %s → %s (in %s, allowDataLoss=%t): %w", d.GlobalClusterID, nameOf(target), region, allowDataLoss, err)
	}
	return nil
}

// Detach calls RemoveFromGlobalCluster for the target in its region: the
// cluster becomes a standalone writable cluster.
func (d *Database) Detach(ctx context.Context, target failover.Member) error {
	region, arn, err := cluster(target)
	if err != nil {
		return err
	}
	_, err = d.Clients.RDS(region).RemoveFromGlobalCluster(ctx, &rds.RemoveFromGlobalClusterInput{
		GlobalClusterIdentifier: aws.String(d.GlobalClusterID),
		DbClusterIdentifier:     aws.String(arn),
	})
	if err != nil {
		return fmt.Errorf("RemoveFromGlobalCluster %s from %s (in %s): %w", nameOf(target), d.GlobalClusterID, region, err)
	}
	return nil
}

// named returns a member's region and cluster name, for the APIs keyed by
// the name (CloudWatch's dimension, snapshots): Topology sets both.
func named(m failover.Member) (region, name string, err error) {
	region, _, err = cluster(m)
	if err != nil {
		return "", "", err
	}
	if m.Name == "" {
		return "", "", fmt.Errorf("member %s has no cluster name", m.ID)
	}
	return region, m.Name, nil
}

// RecoverySnapshotPrefix starts the name of the snapshot Aurora takes of
// the old primary's storage after a global failover with data loss, when
// that region recovers: rds:unplanned-global-failover-<cluster>-<time>.
// It is a system snapshot subject to the old cluster's backup retention:
// copy it to a manual snapshot to keep it.
const RecoverySnapshotPrefix = "rds:unplanned-global-failover-"

// RecoverySnapshot looks for that snapshot in the old writer's region and
// returns the newest one's name, or "" when there is none yet.
func (d *Database) RecoverySnapshot(ctx context.Context, old failover.Member) (string, error) {
	region, name, err := named(old)
	if err != nil {
		return "", err
	}
	snaps, err := clusterSnapshots(ctx, d.Clients.RDS(region), name)
	if err != nil {
		return "", fmt.Errorf("cannot look in %s yet (%w); Aurora takes %s%s-<timestamp> there when the region recovers", region, err, RecoverySnapshotPrefix, name)
	}
	var found []rdstypes.DBClusterSnapshot
	for _, s := range snaps {
		if strings.HasPrefix(aws.ToString(s.DBClusterSnapshotIdentifier), RecoverySnapshotPrefix+name) {
			found = append(found, s)
		}
	}
	if len(found) == 0 {
		return "", nil
	}
	newest := slices.MaxFunc(found, func(a, b rdstypes.DBClusterSnapshot) int {
		return aws.ToTime(a.SnapshotCreateTime).Compare(aws.ToTime(b.SnapshotCreateTime))
	})
	return aws.ToString(newest.DBClusterSnapshotIdentifier), nil
}

// clusterSnapshots lists the automated and manual snapshots of the cluster
// named name in api's region, every page (DescribeDBClusterSnapshots
// returns 100 per page by default). It filters on the client, not with the
// DBClusterIdentifier parameter, which "must match the identifier of an
// existing DBCluster": destroy lists the final snapshots after the
// clusters are deleted.
func clusterSnapshots(ctx context.Context, api awsclient.RDSAPI, name string) ([]rdstypes.DBClusterSnapshot, error) {
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

// oneLine joins errors with "; " (errors.Join uses newlines), so a target's
// error stays one line; errors.Is and errors.As still see every error.
func oneLine(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return joined(errs)
}

type joined []error

func (j joined) Error() string {
	msgs := make([]string, len(j))
	for i, err := range j {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (j joined) Unwrap() []error { return j }
