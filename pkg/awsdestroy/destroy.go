// Package awsdestroy tears the deployed ToDoMgmt stacks down: Destroyer
// deletes both regions in the order RDS allows, after a typed
// confirmation, and reports what it changed and what outlives the
// deployment (the final snapshots, what the template retains, the
// clusters' log groups), with the commands that delete it. Destroy is
// what the destroy target runs. The deployment is read through
// pkg/awsops.
package awsdestroy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	cogtypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/awsfailover"
	"github.com/todomgmt/todomgmt/pkg/awsops"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/console"
)

// Destroyer tears the deployment down in the order RDS allows:
//
//  1. read the roles: which stack's cluster is the writer now (after a
//     failover it is the "secondary" stack's);
//  2. confirm (the app name, typed or TODOMGMT_CONFIRM);
//  3. turn deletion protection off on both clusters and the global
//     cluster with ModifyDBCluster / ModifyGlobalCluster: one immediate
//     call each, where a stack update would need a full sam deploy of both
//     regions and could fail on a half-broken deployment; the drift does
//     not matter, the stacks are deleted next. A user pool the template
//     retains keeps its protection (CloudFormation leaves it in place); one
//     it deletes (a stack from an older template) is unprotected with
//     UpdateUserPool;
//  4. remove the reader cluster from the global cluster, wait, then the
//     writer (the last member), wait: DeleteGlobalCluster, which
//     CloudFormation calls when it deletes the primary stack's
//     GlobalCluster resource, needs a global cluster without members, and
//     a member cluster cannot be deleted;
//  5. delete the secondary-role stack, then the primary-role stack (which
//     owns the global cluster and the secrets replicated to the other
//     region), printing stack events and waiting on each;
//  6. delete the global cluster if it is still there;
//  7. list what is kept: final snapshots (DeletionPolicy Snapshot) and the
//     recovery snapshot of an unplanned failover, found by the cluster
//     identifiers the template gives (<AppName>-<region>), which do not
//     depend on a stack still existing; the resources the templates
//     retain (the KMS keys, the DB secrets and their replicas, the user
//     pools with their app clients, the API Gateway logging role), each
//     with why it is kept and the commands that delete it, and the log
//     groups RDS created for the clusters' log exports, read while the
//     stacks and clusters exist and recorded under the cache directory,
//     so a re-run still lists them; and, said as such, what it could not
//     check.
//
// It deletes none of what the templates retain: the final snapshots'
// users log in with the secrets, and the callers hold the app clients'
// secrets. The report prints the commands; the secrets' fixed names are
// what blocks a new deployment with the same AppName.
//
// Every step checks the current state first, so running it again after a
// partial failure continues where it stopped.
type Destroyer struct {
	Env     *awsops.Env
	Confirm console.Confirmer
	// Out receives progress; nil is Env.Out.
	Out io.Writer
	// Clock, Poll and Timeout pace the waits on cluster removal; zero
	// values mean the wall clock, 15s and 30 minutes.
	Clock   failover.Clock
	Poll    time.Duration
	Timeout time.Duration
}

// Report is what a destroy did and kept.
type Report struct {
	Changes  []string
	Retained []awsops.Retained
	// Unchecked says what may be kept but could not be checked.
	Unchecked []string
}

func (d *Destroyer) out() io.Writer {
	if d.Out != nil {
		return d.Out
	}
	if d.Env.Out != nil {
		return d.Env.Out
	}
	return io.Discard
}

func (d *Destroyer) printf(format string, args ...any) { fmt.Fprintf(d.out(), format, args...) }

func (d *Destroyer) clock() failover.Clock {
	if d.Clock == nil {
		return failover.RealClock
	}
	return d.Clock
}

// member is one cluster of the global cluster (or a stack's cluster).
type member struct {
	arn    awsfailover.ClusterARN
	writer bool
	role   string // stack role holding it, "" if none
}

// Run destroys the deployment. It returns the report even on failure;
// once confirmed, the report lists what is kept whether the run finished
// or not.
func (d *Destroyer) Run(ctx context.Context) (Report, error) {
	var rep Report
	live := map[string]*keptRegion{}
	listKept, err := d.run(ctx, &rep, live)
	if listKept {
		rep.Retained, rep.Unchecked = d.kept(ctx, live)
	}
	return rep, err
}

// run does Run's work, recording in live what it reads of the retained
// resources; listKept is false when it stopped before confirmation.
func (d *Destroyer) run(ctx context.Context, rep *Report, live map[string]*keptRegion) (listKept bool, err error) {
	e := d.Env
	if err := e.RequireFresh(); err != nil {
		return false, err
	}
	db := e.Database()
	stacks := e.ExistingStacks()
	slices.Reverse(stacks) // deletion order: the secondary-role stack first
	roleOf := func(arn string) string {
		for _, s := range stacks {
			if s.Output("ClusterArn") == arn {
				return strings.TrimSpace(s.Parameters["Role"] + " stack " + s.Name)
			}
		}
		return "no stack"
	}

	gc, err := db.DescribeGlobalCluster(ctx)
	var nf *awsfailover.GlobalClusterNotFoundError
	hasGlobal := true
	switch {
	case errors.As(err, &nf):
		hasGlobal = false
	case err != nil:
		return false, err
	}
	var members []member
	if hasGlobal {
		if fs := gc.FailoverState; fs != nil && fs.Status != "" {
			return false, fmt.Errorf("an operation is in progress on %s (failover state %s): wait until it ends, then destroy", db.GlobalClusterID, fs.Status)
		}
		for _, m := range gc.GlobalClusterMembers {
			ca, err := awsfailover.ParseClusterARN(aws.ToString(m.DBClusterArn))
			if err != nil {
				return false, err
			}
			members = append(members, member{arn: ca, writer: aws.ToBool(m.IsWriter), role: roleOf(ca.ARN)})
		}
	}
	if !hasGlobal && len(stacks) == 0 {
		d.printf("nothing to destroy: no stack %s in %s, no stack %s in %s, no global cluster %s\n",
			e.Config.Primary.StackName, e.Config.Primary.Region, e.Config.Secondary.StackName, e.Config.Secondary.Region, db.GlobalClusterID)
		return true, nil
	}

	// What will go, for the confirmation.
	var sum strings.Builder
	fmt.Fprintf(&sum, "destroy %s:\n", e.Config.AppName())
	for _, s := range stacks {
		fmt.Fprintf(&sum, "  delete stack %s in %s (%s, role %s)\n", s.Name, s.Region, s.Status, s.Parameters["Role"])
	}
	if hasGlobal {
		fmt.Fprintf(&sum, "  global cluster %s (%s):\n", db.GlobalClusterID, aws.ToString(gc.Status))
		for _, m := range members {
			role := "reader"
			if m.writer {
				role = "WRITER"
			}
			fmt.Fprintf(&sum, "    %-6s %s in %s (%s)\n", role, m.arn.Name, m.arn.Region, m.role)
		}
	}
	fmt.Fprintf(&sum, "  kept: the clusters' final snapshots, the DB secrets (and their replicas), the user pools with their app clients, the KMS keys; all other data is deleted")
	if err := d.Confirm.Confirm(ctx, sum.String(), e.Config.AppName()); err != nil {
		return false, fmt.Errorf("destroy not confirmed, nothing changed: %w", err)
	}

	// Retained resources are read from the templates before the stacks go
	// (and recorded below, for a re-run that no longer has the stacks).
	for _, s := range stacks {
		r, err := e.Stacks.RetainedResources(ctx, *s)
		if err != nil {
			d.printf("warning: %v\n", err)
			continue
		}
		for i := range r {
			r[i] = explainKept(r[i], d.peerOf(s.Region))
		}
		k := keptIn(live, s.Region)
		k.Stack, k.StackReadAt, k.StackRetained = s.Name, d.clock().Now().UTC(), r
	}

	// Deletion protection, on every cluster we know of.
	clusters := map[string]awsfailover.ClusterARN{}
	for _, m := range members {
		clusters[m.arn.ARN] = m.arn
	}
	for _, s := range stacks {
		if ca, err := awsfailover.ParseClusterARN(s.Output("ClusterArn")); err == nil {
			clusters[ca.ARN] = ca
		}
	}
	for _, arn := range slices.Sorted(maps.Keys(clusters)) {
		if err := d.unprotectCluster(ctx, clusters[arn], rep, live); err != nil {
			d.saveKept(live)
			return true, err
		}
	}
	// Before anything is deleted.
	d.saveKept(live)
	if hasGlobal && aws.ToBool(gc.DeletionProtection) {
		region := d.anyRegion(members)
		if _, err := e.Clients.RDS(region).ModifyGlobalCluster(ctx, &rds.ModifyGlobalClusterInput{
			GlobalClusterIdentifier: aws.String(db.GlobalClusterID), DeletionProtection: aws.Bool(false),
		}); err != nil {
			return true, fmt.Errorf("turn off deletion protection of global cluster %s: %w", db.GlobalClusterID, err)
		}
		rep.Changes = append(rep.Changes, fmt.Sprintf("deletion protection off: global cluster %s", db.GlobalClusterID))
		d.printf("deletion protection off: global cluster %s\n", db.GlobalClusterID)
	}
	// The template protects the user pools too (DeletionProtection ACTIVE).
	// A pool it retains stays, protected; an older template's pool would
	// make CloudFormation's DeleteUserPool fail. Without a reading of what
	// the stack retains, the pool is taken for one CloudFormation deletes.
	for _, s := range stacks {
		pools, err := e.Stacks.PhysicalIDs(ctx, *s, "AWS::Cognito::UserPool")
		if err != nil {
			return true, err
		}
		for _, id := range pools {
			if retains(live[s.Region], "AWS::Cognito::UserPool", id) {
				continue
			}
			changed, err := unprotectUserPool(ctx, e.Clients.Cognito(s.Region), id)
			if err != nil {
				return true, fmt.Errorf("turn off deletion protection of user pool %s in %s: %w", id, s.Region, err)
			}
			if changed {
				rep.Changes = append(rep.Changes, fmt.Sprintf("deletion protection off: user pool %s in %s", id, s.Region))
				d.printf("deletion protection off: user pool %s in %s\n", id, s.Region)
			}
		}
	}

	// Readers first, the writer last: the global cluster ends empty.
	slices.SortStableFunc(members, func(a, b member) int {
		switch {
		case a.writer == b.writer:
			return 0
		case b.writer:
			return -1
		}
		return 1
	})
	for _, m := range members {
		if err := d.removeMember(ctx, db, m, rep); err != nil {
			return true, err
		}
	}

	for _, s := range stacks {
		if err := e.Stacks.Delete(ctx, *s); err != nil {
			return true, err
		}
		rep.Changes = append(rep.Changes, fmt.Sprintf("deleted stack %s in %s", s.Name, s.Region))
	}

	if hasGlobal {
		_, err := e.Clients.RDS(d.anyRegion(members)).DeleteGlobalCluster(ctx, &rds.DeleteGlobalClusterInput{GlobalClusterIdentifier: aws.String(db.GlobalClusterID)})
		var gnf *rdstypes.GlobalClusterNotFoundFault
		switch {
		case errors.As(err, &gnf):
		case err != nil:
			return true, fmt.Errorf("delete global cluster %s: %w", db.GlobalClusterID, err)
		default:
			rep.Changes = append(rep.Changes, fmt.Sprintf("deleted global cluster %s", db.GlobalClusterID))
		}
	}
	// A new deployment starts without failover history.
	if f, ok := awsops.RunFileOf(e); ok {
		if err := f.Clear(); err != nil {
			d.printf("warning: %v\n", err)
		}
	}
	return true, nil
}

func (d *Destroyer) anyRegion(members []member) string {
	for _, m := range members {
		if m.writer {
			return m.arn.Region
		}
	}
	return d.Env.Config.Primary.Region
}

func (d *Destroyer) unprotectCluster(ctx context.Context, ca awsfailover.ClusterARN, rep *Report, live map[string]*keptRegion) error {
	api := d.Env.Clients.RDS(ca.Region)
	out, err := api.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{DBClusterIdentifier: aws.String(ca.ARN)})
	var nf *rdstypes.DBClusterNotFoundFault
	switch {
	case errors.As(err, &nf):
		return nil
	case err != nil:
		return fmt.Errorf("describe cluster %s in %s: %w", ca.Name, ca.Region, err)
	case len(out.DBClusters) == 0:
		return nil
	}
	// RDS creates the exported log groups itself: they outlive the cluster
	// and the stack.
	var groups []awsops.Retained
	for _, kind := range out.DBClusters[0].EnabledCloudwatchLogsExports {
		groups = append(groups, awsops.Retained{Region: ca.Region, Type: "AWS::Logs::LogGroup",
			ID:  fmt.Sprintf("/aws/rds/cluster/%s/%s", ca.Name, kind),
			Why: "created by the cluster's log export, not by the stack (aws logs delete-log-group to remove)"})
	}
	k := keptIn(live, ca.Region)
	k.Cluster, k.LogsReadAt, k.LogGroups = ca.Name, d.clock().Now().UTC(), groups
	if !aws.ToBool(out.DBClusters[0].DeletionProtection) {
		return nil
	}
	if _, err := api.ModifyDBCluster(ctx, &rds.ModifyDBClusterInput{
		DBClusterIdentifier: aws.String(ca.Name), DeletionProtection: aws.Bool(false), ApplyImmediately: aws.Bool(true),
	}); err != nil {
		return fmt.Errorf("turn off deletion protection of %s in %s: %w", ca.Name, ca.Region, err)
	}
	rep.Changes = append(rep.Changes, fmt.Sprintf("deletion protection off: %s in %s", ca.Name, ca.Region))
	d.printf("deletion protection off: %s in %s\n", ca.Name, ca.Region)
	return nil
}

// unprotectUserPool sets a user pool's DeletionProtection to INACTIVE when
// it is ACTIVE, in the pool's region (api). A pool that is already
// unprotected or gone is left alone. It reports whether it changed the
// pool.
//
// UpdateUserPool resets every setting the request leaves out to its
// default (API reference: "If you don't provide a value for an attribute,
// Amazon Cognito sets it to its default value"); only UserPoolId is
// required. That is safe here because the stack deletion that follows
// deletes the pool. Should that deletion fail and the pool live on, the
// request carries over the settings whose default would matter:
// AllowAdminCreateUserOnly (the default, false, would open self sign-up)
// and the feature plan (the default tier may differ from the pool's).
func unprotectUserPool(ctx context.Context, api awsclient.CognitoAPI, poolID string) (bool, error) {
	out, err := api.DescribeUserPool(ctx, &cognitoidentityprovider.DescribeUserPoolInput{UserPoolId: aws.String(poolID)})
	var nf *cogtypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		return false, nil
	case err != nil:
		return false, err
	case out.UserPool == nil || out.UserPool.DeletionProtection != cogtypes.DeletionProtectionTypeActive:
		return false, nil
	}
	p := out.UserPool
	in := &cognitoidentityprovider.UpdateUserPoolInput{
		UserPoolId:         aws.String(poolID),
		DeletionProtection: cogtypes.DeletionProtectionTypeInactive,
		UserPoolTier:       p.UserPoolTier,
	}
	if p.AdminCreateUserConfig != nil {
		// Only the flag: UnusedAccountValidityDays is "no longer in use"
		// and the template sets no invitation message.
		in.AdminCreateUserConfig = &cogtypes.AdminCreateUserConfigType{AllowAdminCreateUserOnly: p.AdminCreateUserConfig.AllowAdminCreateUserOnly}
	}
	if _, err := api.UpdateUserPool(ctx, in); err != nil {
		return false, err
	}
	return true, nil
}

// removeMember detaches m from the global cluster (in m's region) and
// waits until the global cluster no longer lists it.
func (d *Destroyer) removeMember(ctx context.Context, db *awsfailover.Database, m member, rep *Report) error {
	role := "reader"
	if m.writer {
		role = "writer"
	}
	d.printf("removing the %s %s (%s) from global cluster %s\n", role, m.arn.Name, m.arn.Region, db.GlobalClusterID)
	_, err := d.Env.Clients.RDS(m.arn.Region).RemoveFromGlobalCluster(ctx, &rds.RemoveFromGlobalClusterInput{
		GlobalClusterIdentifier: aws.String(db.GlobalClusterID), DbClusterIdentifier: aws.String(m.arn.ARN),
	})
	if err != nil && !isNotMember(err) {
		return fmt.Errorf("remove %s from %s: %w", m.arn.Name, db.GlobalClusterID, err)
	}
	if err == nil {
		rep.Changes = append(rep.Changes, fmt.Sprintf("removed %s (%s) from global cluster %s", m.arn.Name, m.arn.Region, db.GlobalClusterID))
	}
	clock := d.clock()
	poll, timeout := d.Poll, d.Timeout
	if poll <= 0 {
		poll = 15 * time.Second
	}
	if timeout <= 0 {
		timeout = 30 * time.Minute
	}
	began := clock.Now()
	for {
		gc, err := db.DescribeGlobalCluster(ctx)
		var nf *awsfailover.GlobalClusterNotFoundError
		if errors.As(err, &nf) {
			return nil
		}
		if err == nil && !slices.ContainsFunc(gc.GlobalClusterMembers, func(x rdstypes.GlobalClusterMember) bool {
			return aws.ToString(x.DBClusterArn) == m.arn.ARN
		}) {
			d.printf("  %s left the global cluster after %s\n", m.arn.Name, clock.Now().Sub(began).Round(time.Second))
			return nil
		}
		if clock.Now().Sub(began) > timeout {
			return fmt.Errorf("%s is still a member of %s after %s (run destroy again to keep waiting)", m.arn.Name, db.GlobalClusterID, timeout)
		}
		if err := clock.Sleep(ctx, poll); err != nil {
			return err
		}
	}
}

// isNotMember recognises RemoveFromGlobalCluster's answer for a cluster
// that already left.
func isNotMember(err error) bool {
	var nf *rdstypes.DBClusterNotFoundFault
	var gnf *rdstypes.GlobalClusterNotFoundFault
	return errors.As(err, &nf) || errors.As(err, &gnf)
}

// keptRegion is what destroy read, in one region, of what outlives the
// stack: the resources its template retains and the log groups RDS made
// for the cluster's log exports. It is recorded under the cache
// directory, so a re-run lists them after the stack and cluster are gone.
type keptRegion struct {
	Stack         string            `json:"stack,omitempty"`
	StackReadAt   time.Time         `json:"stackReadAt,omitzero"`
	StackRetained []awsops.Retained `json:"stackRetained,omitempty"`
	Cluster       string            `json:"cluster,omitempty"`
	LogsReadAt    time.Time         `json:"logsReadAt,omitzero"`
	LogGroups     []awsops.Retained `json:"logGroups,omitempty"`
}

func keptIn(m map[string]*keptRegion, region string) *keptRegion {
	if m[region] == nil {
		m[region] = &keptRegion{}
	}
	return m[region]
}

// keptPath is where what destroy read is recorded ("" without a cache
// directory).
func (d *Destroyer) keptPath() string {
	if d.Env.Stacks == nil || d.Env.Stacks.CacheDir == "" {
		return ""
	}
	return filepath.Join(d.Env.Stacks.CacheDir, "destroy", d.Env.Config.AppName()+".json")
}

// recordedKept reads the record; none is an empty one.
func (d *Destroyer) recordedKept() (map[string]*keptRegion, error) {
	out := map[string]*keptRegion{}
	p := d.keptPath()
	if p == "" {
		return out, nil
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return map[string]*keptRegion{}, fmt.Errorf("%s: %w", p, err)
	}
	return out, nil
}

// saveKept merges what this run read into the record (a part read now
// replaces the recorded one, the rest stays); failing costs only the
// listing on a re-run, so it warns.
func (d *Destroyer) saveKept(live map[string]*keptRegion) {
	if err := d.writeKept(live); err != nil {
		d.printf("warning: cannot record what is kept, a re-run may not list it: %v\n", err)
	}
}

func (d *Destroyer) writeKept(live map[string]*keptRegion) error {
	p := d.keptPath()
	if p == "" {
		return nil
	}
	rec, err := d.recordedKept()
	if err != nil {
		// Unreadable: start again from what was read now.
		rec = map[string]*keptRegion{}
	}
	for region, k := range live {
		r := keptIn(rec, region)
		if !k.StackReadAt.IsZero() {
			r.Stack, r.StackReadAt, r.StackRetained = k.Stack, k.StackReadAt, k.StackRetained
		}
		if !k.LogsReadAt.IsZero() {
			r.Cluster, r.LogsReadAt, r.LogGroups = k.Cluster, k.LogsReadAt, k.LogGroups
		}
	}
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return awsops.WriteFileAtomic(p, b)
}

// retains reports whether the stack read into k retains the resource.
func retains(k *keptRegion, typ, id string) bool {
	if k == nil {
		return false
	}
	return slices.ContainsFunc(k.StackRetained, func(r awsops.Retained) bool { return r.Type == typ && r.ID == id })
}

// peerOf returns the region of the other target.
func (d *Destroyer) peerOf(region string) string {
	for _, t := range d.Env.Config.Targets() {
		if t.Region != region {
			return t.Region
		}
	}
	return ""
}

// explainKept adds to r, a resource the template retains, why it is kept
// and how to delete it once it is no longer wanted; peer is the region of
// the secrets' replicas.
func explainKept(r awsops.Retained, peer string) awsops.Retained {
	switch r.Type {
	case "AWS::SecretsManager::Secret":
		r.Why += "; the final snapshot's DB users log in with it"
		var cmds []string
		if peer != "" {
			r.Why += fmt.Sprintf("; its replica in %s is kept too", peer)
			cmds = append(cmds, fmt.Sprintf("aws secretsmanager remove-regions-from-replication --region %s --secret-id %s --remove-replica-regions %s", r.Region, r.ID, peer))
		}
		r.Why += "; its name blocks a new stack with the same AppName until it is deleted"
		r.Cleanup = strings.Join(append(cmds, fmt.Sprintf("aws secretsmanager delete-secret --region %s --secret-id %s --force-delete-without-recovery", r.Region, r.ID)), " && ")
	case "AWS::Cognito::UserPool":
		r.Why += "; its app clients and their secrets, deletion protection still on; a new stack creates a new pool"
		r.Cleanup = fmt.Sprintf("aws cognito-idp update-user-pool --region %s --user-pool-id %s --deletion-protection INACTIVE && aws cognito-idp delete-user-pool --region %s --user-pool-id %s", r.Region, r.ID, r.Region, r.ID)
	case "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolResourceServer":
		r.Why += "; deleted with its user pool"
	case "AWS::KMS::Key":
		r.Why += "; the final snapshots are encrypted with it: delete it after them"
		r.Cleanup = fmt.Sprintf("aws kms schedule-key-deletion --region %s --key-id %s --pending-window-in-days 30", r.Region, r.ID)
	}
	return r
}

// kept lists, per region (primary first), what outlives the deployment:
// the resources the template retains and the clusters' log groups, as
// read by this run or else as recorded by an earlier one, and the
// clusters' final and recovery snapshots, looked up now by cluster
// identifier. What it cannot check is said as such.
func (d *Destroyer) kept(ctx context.Context, live map[string]*keptRegion) ([]awsops.Retained, []string) {
	e := d.Env
	rec, err := d.recordedKept()
	var unchecked []string
	if err != nil {
		unchecked = append(unchecked, fmt.Sprintf("the record of what an earlier destroy read: %v", err))
	}
	var out []awsops.Retained
	for _, t := range e.Config.Targets() {
		l, r := live[t.Region], rec[t.Region]
		if l == nil {
			l = &keptRegion{}
		}
		if r == nil {
			r = &keptRegion{}
		}
		recorded := func(rs []awsops.Retained, at time.Time, what string) {
			for _, x := range rs {
				x.Why += fmt.Sprintf("; recorded %s while %s existed, not checked since", at.Format(time.RFC3339), what)
				out = append(out, x)
			}
		}
		switch {
		case !l.StackReadAt.IsZero():
			out = append(out, l.StackRetained...)
		case !r.StackReadAt.IsZero():
			recorded(r.StackRetained, r.StackReadAt, "stack "+r.Stack)
		default:
			app := e.Config.AppName()
			secrets := ""
			if t.Env == awsops.RolePrimary {
				secrets = fmt.Sprintf(" the DB secrets %s/db/master and %s/db/app with their replicas in the other region,", app, app)
			}
			unchecked = append(unchecked, fmt.Sprintf("%s: what stack %s retains (DeletionPolicy Retain; template.yaml: the database's KMS key, described %q,%s the user pool %s-%s with its app client, and the API Gateway logging role): the stack is gone and no earlier destroy recorded it; look in the console",
				t.Region, t.StackName, app+" Aurora storage and database secrets", secrets, app, t.Region))
		}
		cluster := e.Config.ClusterIdentifier(t)
		switch {
		case !l.LogsReadAt.IsZero():
			out = append(out, l.LogGroups...)
		case !r.LogsReadAt.IsZero():
			recorded(r.LogGroups, r.LogsReadAt, "cluster "+r.Cluster)
		default:
			unchecked = append(unchecked, fmt.Sprintf("%s: log groups /aws/rds/cluster/%s/* (RDS creates one per exported log type; template.yaml exports error and slowquery): the cluster is gone and no earlier destroy recorded them",
				t.Region, cluster))
		}
		snaps, err := d.clusterSnapshotsKept(ctx, t.Region, cluster)
		if err != nil {
			unchecked = append(unchecked, fmt.Sprintf("%s: snapshots of cluster %s: %v", t.Region, cluster, err))
		}
		out = append(out, snaps...)
	}
	return out, unchecked
}

// clusterSnapshotsKept lists the final (manual) and recovery snapshots of
// the cluster named cluster in region.
func (d *Destroyer) clusterSnapshotsKept(ctx context.Context, region, cluster string) ([]awsops.Retained, error) {
	snaps, err := awsfailover.ClusterSnapshots(ctx, d.Env.Clients.RDS(region), cluster)
	if err != nil {
		return nil, err
	}
	var out []awsops.Retained
	for _, s := range snaps {
		id := aws.ToString(s.DBClusterSnapshotIdentifier)
		switch {
		case strings.HasPrefix(id, awsfailover.RecoverySnapshotPrefix):
			out = append(out, awsops.Retained{Region: region, Type: "AWS::RDS::DBClusterSnapshot", ID: id, Why: "recovery snapshot of an unplanned failover (system snapshot: expires with the backup retention)"})
		case aws.ToString(s.SnapshotType) == "manual":
			out = append(out, awsops.Retained{Region: region, Type: "AWS::RDS::DBClusterSnapshot", ID: id, Why: "final snapshot (DeletionPolicy Snapshot)"})
		}
	}
	return out, nil
}

// Destroy destroys the deployment (a Destroyer over e, asking confirm)
// and writes its report to w: after a failure too, what changed and what
// is kept so far; nothing when it stopped before any of that.
func Destroy(ctx context.Context, e *awsops.Env, confirm console.Confirmer, w io.Writer) error {
	rep, err := (&Destroyer{Env: e, Confirm: confirm}).Run(ctx)
	if err == nil || len(rep.Changes) > 0 || len(rep.Retained) > 0 || len(rep.Unchecked) > 0 {
		WriteReport(w, rep)
	}
	return err
}

// WriteReport prints what changed, what is kept and what could not
// be checked.
func WriteReport(w io.Writer, r Report) {
	if len(r.Changes) == 0 {
		fmt.Fprintln(w, "changed: nothing")
	}
	for _, c := range r.Changes {
		fmt.Fprintf(w, "changed: %s\n", c)
	}
	if len(r.Retained) == 0 && len(r.Unchecked) == 0 {
		fmt.Fprintln(w, "kept: nothing")
	}
	for _, k := range r.Retained {
		fmt.Fprintf(w, "kept: %s %s %s (%s)\n", k.Region, k.Type, k.ID, k.Why)
		if k.Cleanup != "" {
			fmt.Fprintf(w, "      to delete it: %s\n", k.Cleanup)
		}
	}
	for _, u := range r.Unchecked {
		fmt.Fprintf(w, "not checked: %s\n", u)
	}
	fmt.Fprintln(w, "also kept by design: the SAM CLI's artifact bucket (stack aws-sam-cli-managed-default in each region); delete it with sam delete or the console if unused")
}
