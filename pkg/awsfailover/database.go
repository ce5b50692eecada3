package awsfailover

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

// Database is the Aurora Global Database as a failover.Database. Member
// IDs are cluster ARNs, because the global-cluster operations need ARNs to
// find a cluster in another region. Topology and TopologyFrom describe the
// global cluster and each member cluster in its own region, and parse
// each ARN they get from AWS into the member's Region and Name. The
// methods a plan uses act on the topology and members as Topology
// reported them: none describes the global cluster or a member cluster
// again, nor parses an ARN back into a region. DescribeGlobalCluster
// describes the global cluster for destroy, which acts before any plan.
type Database struct {
	// GlobalClusterID names the global cluster.
	GlobalClusterID string
	// Regions are asked for the global cluster, all at once; the first
	// answer wins, so a region that is down does not block the topology.
	// TopologyFrom asks one region only.
	Regions []string
	Clients *awsclient.Clients
	// MigrateFunctions names each region's migrate function, by region:
	// FenceIDs invokes the target region's, FenceState each region's.
	// Empty (the readiness function's Database): no fence is read.
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
	_ failover.LagHistorian        = (*Database)(nil)
	_ failover.IDFencer            = (*Database)(nil)
	_ failover.ProxyInspector      = (*Database)(nil)
	_ failover.SafeguardReader     = (*Database)(nil)
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

// DescribeGlobalCluster returns the global cluster as the first of
// Regions to answer describes it (DescribeGlobalClusters), or a
// *GlobalClusterNotFoundError: what destroy needs to remove the members
// in order.
func (d *Database) DescribeGlobalCluster(ctx context.Context) (rdstypes.GlobalCluster, error) {
	return d.describeGlobal(ctx, d.Regions)
}

// GlobalClusterNotFoundError says the global cluster does not exist.
type GlobalClusterNotFoundError struct{ ID string }

func (e *GlobalClusterNotFoundError) Error() string {
	return fmt.Sprintf("global cluster %s not found", e.ID)
}

// Topology describes the global cluster (DescribeGlobalClusters, from the
// first region to answer: its status, operation and deletion protection)
// and each member in its own region (DescribeDBClusters: status,
// instances, engine version, deletion protection and backup retention;
// CloudWatch: replication lag). A member whose region does not answer
// keeps an empty status, an unknown lag and unknown safeguards.
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
	// Optional in the API's GlobalCluster shape: absent is unknown, not off.
	if gc.DeletionProtection != nil {
		t.DeletionProtection, t.DeletionProtectionKnown = *gc.DeletionProtection, true
	}
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
		// Both optional in the API's DBCluster shape: a cluster that
		// does not tell them has unknown safeguards, not unprotected ones.
		if c.DeletionProtection != nil && c.BackupRetentionPeriod != nil {
			m.DeletionProtection = *c.DeletionProtection
			m.BackupRetention = time.Duration(*c.BackupRetentionPeriod) * 24 * time.Hour
			m.SafeguardsKnown = true
		}
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

// RecoverySnapshot looks for that snapshot in the old writer's region and
// returns the newest one's name, or "" when there is none yet.
func (d *Database) RecoverySnapshot(ctx context.Context, old failover.Member) (string, error) {
	region, name, err := named(old)
	if err != nil {
		return "", err
	}
	snaps, err := ClusterSnapshots(ctx, d.Clients.RDS(region), name)
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

// lookback is how much lag history LagEvidence reads.
func (d *Database) lookback() time.Duration {
	if d.LagLookback <= 0 {
		return DefaultLagLookback
	}
	return d.LagLookback
}

// lag is the secondary's lag now (currentLag over the last quarter of
// an hour of its lag metrics).
func (d *Database) lag(ctx context.Context, region, name string) (time.Duration, bool) {
	end := d.now()
	pts, err := lagSeries(ctx, d.Clients.CloudWatch(region), name, end.Add(-15*time.Minute), end)
	if err != nil {
		return 0, false
	}
	return currentLag(pts, end)
}

// LagEvidence reads the member's lag history over the lookback (from its
// region's CloudWatch, which is up when the member is a failover's
// target) and finds in it the moment the writer became unreachable; see
// lagEvidence.
func (d *Database) LagEvidence(ctx context.Context, m failover.Member) (failover.LagEvidence, error) {
	region, name, err := named(m)
	if err != nil {
		return failover.LagEvidence{}, err
	}
	end := d.now()
	pts, err := lagSeries(ctx, d.Clients.CloudWatch(region), name, end.Add(-d.lookback()), end)
	if err != nil {
		return failover.LagEvidence{}, fmt.Errorf("read the lag history of %s in %s: %w", name, region, err)
	}
	ev := lagEvidence(pts, end, d.lookback())
	ev.Region = region
	return ev, nil
}

// FenceIDs invokes the target region's migrate function (Lambda Invoke,
// RequestResponse) with the fence-ids action: the function runs the
// store's fence on its region's writer as the master user. A function
// error (the server is read-only, the connection failed, ...) is an
// error carrying the function's message. The caller bounds the call
// with ctx.
func (d *Database) FenceIDs(ctx context.Context, target failover.Member, req failover.FenceRequest) (failover.FenceResult, error) {
	// The target's region, as the plan knows it: a member of the
	// global database, or a detached writer outside it (a region alone).
	region := target.Region
	if region == "" {
		return failover.FenceResult{}, fmt.Errorf("fence ids: member %q has no region", target.ID)
	}
	name := d.MigrateFunctions[region]
	if name == "" {
		return failover.FenceResult{}, fmt.Errorf("fence ids in %s: no migrate function known there", region)
	}
	return invokeFence(ctx, d.Clients.Lambda(region), name, region, req)
}

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
	return ReadProxyTargets(ctx, d.Clients.RDS(region), name)
}

// Safeguards reports member m's safeguards as topology t described them
// (the global cluster's deletion protection from DescribeGlobalClusters,
// m's deletion protection and backup retention from DescribeDBClusters),
// with the recovery snapshots an unplanned failover left of m's cluster,
// each with its manual copy if there is one: the one call it makes,
// DescribeDBClusterSnapshots in m's region (a copy names its source in
// SourceDBClusterSnapshotArn). What the deployment asks comes from
// WantDeletionProtection and WantBackupRetention. When t does not tell
// the safeguards (m's region did not answer the topology's describe), it
// returns an error without a call.
func (d *Database) Safeguards(ctx context.Context, t failover.Topology, m failover.Member) (failover.Safeguards, error) {
	g := failover.Safeguards{Cluster: m.Name, WantDeletionProtection: d.WantDeletionProtection, WantBackupRetention: d.WantBackupRetention}
	switch {
	case m.Region == "":
		return g, fmt.Errorf("member %s has no region", m.ID)
	case m.Name == "":
		return g, fmt.Errorf("member %s has no cluster name", m.ID)
	case !t.DeletionProtectionKnown:
		return g, fmt.Errorf("the topology does not tell the deletion protection of the global cluster %s", d.GlobalClusterID)
	case !m.SafeguardsKnown:
		return g, fmt.Errorf("the cluster %s was not described in %s with the topology (the region did not answer)", m.Name, m.Region)
	}
	g.GlobalDeletionProtection = t.DeletionProtection
	g.DeletionProtection, g.BackupRetention = m.DeletionProtection, m.BackupRetention
	all, err := regionSnapshots(ctx, d.Clients.RDS(m.Region))
	if err != nil {
		return g, fmt.Errorf("list the snapshots in %s: %w", m.Region, err)
	}
	g.RecoverySnapshots = recoverySnapshots(all, m.Name, g.BackupRetention)
	g.Known = true
	return g, nil
}
