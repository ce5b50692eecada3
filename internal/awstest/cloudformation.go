package awstest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/smithy-go"
)

// cfnAPI is the CloudFormation API of one region.
type cfnAPI struct {
	f      *AWS
	region string
}

func notExist(name string) error {
	return &smithy.GenericAPIError{Code: "ValidationError", Message: "Stack with id " + name + " does not exist"}
}

func (c cfnAPI) find(name string) *Stack {
	for _, s := range c.f.Stacks {
		if s.Region == c.region && (s.Name == name || s.ID == name) {
			return s
		}
	}
	return nil
}

func (c cfnAPI) DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error) {
	f := c.f
	f.mu.Lock()
	if f.CFNHang[c.region] {
		// A lost region that leaves the connection hanging: only the
		// caller's deadline ends the call.
		f.mu.Unlock()
		<-ctx.Done()
		return nil, fmt.Errorf("describe stacks: %w", ctx.Err())
	}
	defer f.mu.Unlock()
	name := aws.ToString(in.StackName)
	if err := f.CFNDown[c.region]; err != nil {
		return nil, err
	}
	s := c.find(name)
	if s == nil || s.Status == "DELETE_COMPLETE" && name == s.Name {
		return nil, notExist(name)
	}
	if s.deleting {
		c.progress(s)
	}
	cs := cfntypes.Stack{StackName: aws.String(s.Name), StackId: aws.String(s.ID), StackStatus: cfntypes.StackStatus(s.Status)}
	for k, v := range s.Outputs {
		cs.Outputs = append(cs.Outputs, cfntypes.Output{OutputKey: aws.String(k), OutputValue: aws.String(v)})
	}
	for k, v := range s.Parameters {
		cs.Parameters = append(cs.Parameters, cfntypes.Parameter{ParameterKey: aws.String(k), ParameterValue: aws.String(v)})
	}
	return &cloudformation.DescribeStacksOutput{Stacks: []cfntypes.Stack{cs}}, nil
}

// progress advances a deletion: after two polls it fails or completes,
// following RDS's rules.
func (c cfnAPI) progress(s *Stack) {
	s.polls++
	if s.polls < 2 {
		return
	}
	f := c.f
	s.deleting = false
	fail := func(logical, reason string) {
		s.Status = "DELETE_FAILED"
		f.event(s, logical, cfntypes.ResourceStatusDeleteFailed, reason)
	}
	cl := f.Clusters[s.Cluster]
	switch {
	case s.FailOnce != "":
		fail("DbCluster", s.FailOnce)
		s.FailOnce = ""
		return
	case cl != nil && !cl.Deleted && cl.Protected:
		fail("DbCluster", "Cannot delete protected Cluster, please disable deletion protection and try again.")
		return
	case cl != nil && f.Global != nil && slices.Contains(f.Global.Members, cl.ARN):
		fail("DbCluster", "This cluster is a part of a global cluster, please remove it from globalcluster first")
		return
	case f.Pools[s.Pool] != nil && !f.Pools[s.Pool].Deleted && f.Pools[s.Pool].Protected && s.policyOf("AWS::Cognito::UserPool") != "Retain":
		fail("UserPool", "Deletion protection must be inactivated first. (Service: CognitoIdentityProvider, Status Code: 400, InvalidParameterException)")
		return
	case s.OwnsGlobal && f.Global != nil && len(f.Global.Members) > 0:
		fail("GlobalCluster", "Global cluster still has members")
		return
	}
	if cl != nil && !cl.Deleted {
		cl.Deleted = true
		f.Snapshots[cl.Region] = append(f.Snapshots[cl.Region], rdstypes.DBClusterSnapshot{
			DBClusterIdentifier: aws.String(cl.Name), DBClusterSnapshotIdentifier: aws.String(cl.Name + "-final"), SnapshotType: aws.String("manual")})
		f.event(s, "DbCluster", cfntypes.ResourceStatusDeleteComplete, "")
	}
	if p := f.Pools[s.Pool]; p != nil && s.policyOf("AWS::Cognito::UserPool") != "Retain" {
		p.Deleted = true
	}
	if s.OwnsGlobal && f.Global != nil {
		f.Global.Protected = false // the template's property is what CloudFormation last set; the fake keeps it simple
		if err := f.deleteGlobal(); err != nil {
			fail("GlobalCluster", err.Error())
			return
		}
	}
	s.Status = "DELETE_COMPLETE"
	f.event(s, s.Name, cfntypes.ResourceStatusDeleteComplete, "")
}

func (c cfnAPI) DescribeStackEvents(_ context.Context, in *cloudformation.DescribeStackEventsInput, _ ...func(*cloudformation.Options)) (*cloudformation.DescribeStackEventsOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	s := c.find(aws.ToString(in.StackName))
	if s == nil {
		return nil, notExist(aws.ToString(in.StackName))
	}
	return &cloudformation.DescribeStackEventsOutput{StackEvents: slices.Clone(s.events)}, nil
}

func (c cfnAPI) DeleteStack(_ context.Context, in *cloudformation.DeleteStackInput, _ ...func(*cloudformation.Options)) (*cloudformation.DeleteStackOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record(c.region, "DeleteStack %s", aws.ToString(in.StackName))
	s := c.find(aws.ToString(in.StackName))
	if s == nil || s.Status == "DELETE_COMPLETE" {
		return &cloudformation.DeleteStackOutput{}, nil
	}
	s.deleting, s.polls, s.Status = true, 0, "DELETE_IN_PROGRESS"
	f.event(s, s.Name, cfntypes.ResourceStatusDeleteInProgress, "User Initiated")
	return &cloudformation.DeleteStackOutput{}, nil
}

func (c cfnAPI) ListStackResources(_ context.Context, in *cloudformation.ListStackResourcesInput, _ ...func(*cloudformation.Options)) (*cloudformation.ListStackResourcesOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	s := c.find(aws.ToString(in.StackName))
	out := &cloudformation.ListStackResourcesOutput{}
	for _, r := range s.Resources {
		out.StackResourceSummaries = append(out.StackResourceSummaries, cfntypes.StackResourceSummary{
			LogicalResourceId: aws.String(r.Logical), PhysicalResourceId: aws.String(r.Physical), ResourceType: aws.String(r.Type)})
	}
	return out, nil
}

// GetTemplate returns the processed template (JSON, as after the SAM
// transform) with each resource's type and DeletionPolicy.
func (c cfnAPI) GetTemplate(_ context.Context, in *cloudformation.GetTemplateInput, _ ...func(*cloudformation.Options)) (*cloudformation.GetTemplateOutput, error) {
	if in.TemplateStage != cfntypes.TemplateStageProcessed {
		return nil, fmt.Errorf("want the processed template")
	}
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	s := c.find(aws.ToString(in.StackName))
	if s == nil {
		return nil, notExist(aws.ToString(in.StackName))
	}
	type res struct {
		Type           string `json:"Type"`
		DeletionPolicy string `json:"DeletionPolicy,omitempty"`
	}
	t := struct {
		Resources map[string]res `json:"Resources"`
	}{Resources: map[string]res{}}
	for _, r := range s.Resources {
		t.Resources[r.Logical] = res{r.Type, r.Policy}
	}
	b, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	return &cloudformation.GetTemplateOutput{TemplateBody: aws.String(string(b))}, nil
}
