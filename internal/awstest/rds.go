package awstest

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// rdsAPI is the RDS API of one region.
type rdsAPI struct {
	f      *AWS
	region string
}

func (r rdsAPI) DescribeGlobalClusters(_ context.Context, in *rds.DescribeGlobalClustersInput, _ ...func(*rds.Options)) (*rds.DescribeGlobalClustersOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.Global == nil || aws.ToString(in.GlobalClusterIdentifier) != f.Global.ID {
		return nil, &rdstypes.GlobalClusterNotFoundFault{Message: aws.String("no such global cluster")}
	}
	gc := rdstypes.GlobalCluster{GlobalClusterIdentifier: aws.String(f.Global.ID), Status: aws.String("available"), DeletionProtection: aws.Bool(f.Global.Protected)}
	for _, m := range f.Global.Members {
		gm := rdstypes.GlobalClusterMember{DBClusterArn: aws.String(m), IsWriter: aws.Bool(m == f.Global.Writer)}
		if m != f.Global.Writer {
			gm.SynchronizationStatus = rdstypes.GlobalClusterMemberSynchronizationStatusConnected
		}
		gc.GlobalClusterMembers = append(gc.GlobalClusterMembers, gm)
	}
	return &rds.DescribeGlobalClustersOutput{GlobalClusters: []rdstypes.GlobalCluster{gc}}, nil
}

func (r rdsAPI) DescribeDBClusters(_ context.Context, in *rds.DescribeDBClustersInput, _ ...func(*rds.Options)) (*rds.DescribeDBClustersOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.cluster(r.region, aws.ToString(in.DBClusterIdentifier))
	if err != nil {
		return nil, err
	}
	out := rdstypes.DBCluster{DBClusterArn: aws.String(c.ARN), DBClusterIdentifier: aws.String(c.Name), Status: aws.String(c.Status),
		EngineVersion: aws.String(c.Engine), DeletionProtection: aws.Bool(c.Protected), EnabledCloudwatchLogsExports: []string{"error", "slowquery"},
		BackupRetentionPeriod: aws.Int32(c.Retention)}
	for range c.Instances {
		out.DBClusterMembers = append(out.DBClusterMembers, rdstypes.DBClusterMember{})
	}
	return &rds.DescribeDBClustersOutput{DBClusters: []rdstypes.DBCluster{out}}, nil
}

func (r rdsAPI) SwitchoverGlobalCluster(_ context.Context, in *rds.SwitchoverGlobalClusterInput, _ ...func(*rds.Options)) (*rds.SwitchoverGlobalClusterOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	target := aws.ToString(in.TargetDbClusterIdentifier)
	f.record(r.region, "SwitchoverGlobalCluster %s", target)
	if w, _ := splitARN(f.Global.Writer); w != r.region {
		return nil, fmt.Errorf("switchover called in %s, the writer is in %s", r.region, w)
	}
	if !slices.Contains(f.Global.Members, target) {
		return nil, &rdstypes.DBClusterNotFoundFault{Message: aws.String(target + " is not a member (an ARN is needed)")}
	}
	f.Global.Writer = target
	return &rds.SwitchoverGlobalClusterOutput{}, nil
}

func (r rdsAPI) FailoverGlobalCluster(_ context.Context, in *rds.FailoverGlobalClusterInput, _ ...func(*rds.Options)) (*rds.FailoverGlobalClusterOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	target := aws.ToString(in.TargetDbClusterIdentifier)
	f.record(r.region, "FailoverGlobalCluster %s allowDataLoss=%t", target, aws.ToBool(in.AllowDataLoss))
	if t, _ := splitARN(target); t != r.region {
		return nil, fmt.Errorf("failover called in %s, the target is in %s", r.region, t)
	}
	f.Global.Writer = target
	return &rds.FailoverGlobalClusterOutput{}, nil
}

func (r rdsAPI) RemoveFromGlobalCluster(_ context.Context, in *rds.RemoveFromGlobalClusterInput, _ ...func(*rds.Options)) (*rds.RemoveFromGlobalClusterOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	arn := aws.ToString(in.DbClusterIdentifier)
	f.record(r.region, "RemoveFromGlobalCluster %s", arn)
	c, err := f.cluster(r.region, arn)
	if err != nil {
		return nil, err
	}
	if f.Global == nil || !slices.Contains(f.Global.Members, arn) {
		return nil, &rdstypes.GlobalClusterNotFoundFault{Message: aws.String("not a member")}
	}
	if arn == f.Global.Writer && len(f.Global.Members) > 1 {
		return nil, &rdstypes.InvalidGlobalClusterStateFault{Message: aws.String("remove the secondary clusters before the primary")}
	}
	f.Global.Members = slices.DeleteFunc(f.Global.Members, func(m string) bool { return m == arn })
	_ = c
	return &rds.RemoveFromGlobalClusterOutput{}, nil
}

func (r rdsAPI) ModifyDBCluster(_ context.Context, in *rds.ModifyDBClusterInput, _ ...func(*rds.Options)) (*rds.ModifyDBClusterOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r.region, "ModifyDBCluster %s protection=%t", aws.ToString(in.DBClusterIdentifier), aws.ToBool(in.DeletionProtection))
	c, err := f.cluster(r.region, aws.ToString(in.DBClusterIdentifier))
	if err != nil {
		return nil, err
	}
	c.Protected = aws.ToBool(in.DeletionProtection)
	return &rds.ModifyDBClusterOutput{}, nil
}

func (r rdsAPI) ModifyGlobalCluster(_ context.Context, in *rds.ModifyGlobalClusterInput, _ ...func(*rds.Options)) (*rds.ModifyGlobalClusterOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r.region, "ModifyGlobalCluster protection=%t", aws.ToBool(in.DeletionProtection))
	f.Global.Protected = aws.ToBool(in.DeletionProtection)
	return &rds.ModifyGlobalClusterOutput{}, nil
}

func (r rdsAPI) DeleteGlobalCluster(_ context.Context, in *rds.DeleteGlobalClusterInput, _ ...func(*rds.Options)) (*rds.DeleteGlobalClusterOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(r.region, "DeleteGlobalCluster %s", aws.ToString(in.GlobalClusterIdentifier))
	return nil, f.deleteGlobal()
}

func (r rdsAPI) DescribeDBClusterSnapshots(_ context.Context, in *rds.DescribeDBClusterSnapshotsInput, _ ...func(*rds.Options)) (*rds.DescribeDBClusterSnapshotsOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	// As documented: DBClusterIdentifier, when given, must name an
	// existing cluster; results come in pages (of 2 here, to exercise the
	// Marker).
	var all []rdstypes.DBClusterSnapshot
	if id := aws.ToString(in.DBClusterIdentifier); id != "" {
		if _, err := f.cluster(r.region, id); err != nil {
			return nil, err
		}
		for _, s := range f.Snapshots[r.region] {
			if aws.ToString(s.DBClusterIdentifier) == id {
				all = append(all, s)
			}
		}
	} else {
		all = f.Snapshots[r.region]
	}
	const pageSize = 2
	start := 0
	if m := aws.ToString(in.Marker); m != "" {
		fmt.Sscan(m, &start)
	}
	end := min(start+pageSize, len(all))
	out := &rds.DescribeDBClusterSnapshotsOutput{DBClusterSnapshots: slices.Clone(all[start:end])}
	if end < len(all) {
		out.Marker = aws.String(fmt.Sprint(end))
	}
	return out, nil
}

func (r rdsAPI) DescribeDBProxyTargets(_ context.Context, in *rds.DescribeDBProxyTargetsInput, _ ...func(*rds.Options)) (*rds.DescribeDBProxyTargetsOutput, error) {
	f := r.f
	f.mu.Lock()
	defer f.mu.Unlock()
	// As DBProxyTarget documents it: the tracked cluster, then one
	// RDS_INSTANCE per instance, in the READ_WRITE role on the global
	// writer's cluster and READ_ONLY on a secondary's.
	out := &rds.DescribeDBProxyTargetsOutput{Targets: []rdstypes.DBProxyTarget{{Type: rdstypes.TargetTypeTrackedCluster}}}
	for _, c := range f.Clusters {
		if c.Region == r.region {
			reason := c.ProxyReason
			if reason == "" {
				reason = rdstypes.TargetHealthReasonConnectionFailed
			}
			role := rdstypes.TargetRoleReadOnly
			if f.Global != nil && f.Global.Writer == c.ARN {
				role = rdstypes.TargetRoleReadWrite
			}
			t := rdstypes.DBProxyTarget{Type: rdstypes.TargetTypeRdsInstance, Role: role, TargetHealth: &rdstypes.TargetHealth{State: c.ProxyState}}
			if c.ProxyState != rdstypes.TargetStateAvailable {
				t.TargetHealth.Reason = reason
			}
			out.Targets = append(out.Targets, t)
		}
	}
	return out, nil
}
