package awsops

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// Stacks reads, watches and deletes stacks.
type Stacks struct {
	Clients *awsclient.Clients
	// Out receives progress lines (stack events); nil discards them.
	Out io.Writer
	// Clock and Poll pace the waits; nil/zero mean the wall clock and 15s.
	Clock failover.Clock
	Poll  time.Duration
	// Timeout bounds a stack deletion; zero means 60 minutes (an Aurora
	// cluster and its proxy take a while).
	Timeout time.Duration
	// CacheDir keeps the last description of each stack, for when its
	// region's CloudFormation API does not answer (see Open); "" keeps
	// nothing.
	CacheDir string
}

// savedStack is a stack's description as last read, kept on disk.
type savedStack struct {
	SavedAt time.Time `json:"savedAt"`
	Stack   Stack     `json:"stack"`
}

func (s *Stacks) savedPath(region, name string) string {
	return filepath.Join(s.CacheDir, region, name+".json")
}

// save keeps st's description; failing to keep it only costs the
// fallback, so errors are ignored.
func (s *Stacks) save(st Stack, now time.Time) {
	if s.CacheDir == "" {
		return
	}
	b, err := json.Marshal(savedStack{SavedAt: now.UTC(), Stack: st})
	if err != nil {
		return
	}
	_ = WriteFileAtomic(s.savedPath(st.Region, st.Name), b)
}

// WriteFileAtomic writes b to path through a temporary file and a rename,
// so a reader never sees half a file; the directory is created (private)
// when missing. Every file under the cache directory goes through it:
// this package's (saved stacks, the last run) and pkg/awsdestroy's
// record of what is kept.
func WriteFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// forget drops the saved description of a stack that no longer exists.
func (s *Stacks) forget(region, name string) {
	if s.CacheDir != "" {
		_ = os.Remove(s.savedPath(region, name))
	}
}

// saved returns the last saved description of the stack.
func (s *Stacks) saved(region, name string) (savedStack, error) {
	if s.CacheDir == "" {
		return savedStack{}, os.ErrNotExist
	}
	b, err := os.ReadFile(s.savedPath(region, name))
	if err != nil {
		return savedStack{}, err
	}
	var ss savedStack
	if err := json.Unmarshal(b, &ss); err != nil {
		return savedStack{}, err
	}
	if ss.Stack.Name != name || ss.Stack.Region != region {
		return savedStack{}, fmt.Errorf("%s holds another stack", s.savedPath(region, name))
	}
	return ss, nil
}

func (s *Stacks) clock() failover.Clock {
	if s.Clock == nil {
		return failover.RealClock
	}
	return s.Clock
}

func (s *Stacks) printf(format string, args ...any) {
	if s.Out != nil {
		fmt.Fprintf(s.Out, format, args...)
	}
}

// Describe returns the stack named name (or its ID) in region, or a
// *StackNotFoundError when it does not exist or is deleted.
func (s *Stacks) Describe(ctx context.Context, region, name string) (Stack, error) {
	out, err := s.Clients.CloudFormation(region).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if isNotFound(err) {
		return Stack{}, &StackNotFoundError{Name: name, Region: region}
	}
	if err != nil {
		return Stack{}, fmt.Errorf("describe stack %s in %s: %w", name, region, err)
	}
	if len(out.Stacks) == 0 || out.Stacks[0].StackStatus == cfntypes.StackStatusDeleteComplete {
		return Stack{}, &StackNotFoundError{Name: name, Region: region}
	}
	cs := out.Stacks[0]
	st := Stack{Name: aws.ToString(cs.StackName), ID: aws.ToString(cs.StackId), Region: region, Status: string(cs.StackStatus),
		Outputs: map[string]string{}, Parameters: map[string]string{}}
	for _, o := range cs.Outputs {
		st.Outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	for _, p := range cs.Parameters {
		st.Parameters[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	return st, nil
}

// Retained is something a stack deletion leaves behind on purpose.
type Retained struct {
	Region, Type, ID, Why string
	// Cleanup is the commands that delete it, when they are simple.
	Cleanup string `json:",omitempty"`
}

// RetainedResources lists the stack's resources whose DeletionPolicy keeps
// them (Retain, RetainExceptOnCreate), read from the processed template
// and the stack's resource list. Call it before deleting.
func (s *Stacks) RetainedResources(ctx context.Context, st Stack) ([]Retained, error) {
	cfn := s.Clients.CloudFormation(st.Region)
	tpl, err := cfn.GetTemplate(ctx, &cloudformation.GetTemplateInput{StackName: aws.String(st.ID), TemplateStage: cfntypes.TemplateStageProcessed})
	if err != nil {
		return nil, fmt.Errorf("get template of %s: %w", st.Name, err)
	}
	// The processed template (after the SAM transform) is JSON.
	var t struct {
		Resources map[string]struct {
			Type           string `json:"Type"`
			DeletionPolicy string `json:"DeletionPolicy"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(tpl.TemplateBody)), &t); err != nil {
		return nil, fmt.Errorf("template of %s is not JSON: %w", st.Name, err)
	}
	kept := map[string]string{}
	for id, r := range t.Resources {
		if r.DeletionPolicy == "Retain" || r.DeletionPolicy == "RetainExceptOnCreate" {
			kept[id] = r.Type
		}
	}
	if len(kept) == 0 {
		return nil, nil
	}
	resources, err := s.resources(ctx, st)
	if err != nil {
		return nil, err
	}
	var out []Retained
	for _, r := range resources {
		if typ, ok := kept[aws.ToString(r.LogicalResourceId)]; ok && aws.ToString(r.PhysicalResourceId) != "" {
			out = append(out, Retained{Region: st.Region, Type: typ, ID: aws.ToString(r.PhysicalResourceId),
				Why: fmt.Sprintf("DeletionPolicy Retain (%s)", aws.ToString(r.LogicalResourceId))})
		}
	}
	slices.SortFunc(out, func(a, b Retained) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// PhysicalIDs returns the physical IDs of the stack's resources of type
// typ (AWS::Cognito::UserPool, ...), read from the stack's resource list,
// which exists whatever the stack's status and whatever its outputs say.
func (s *Stacks) PhysicalIDs(ctx context.Context, st Stack, typ string) ([]string, error) {
	resources, err := s.resources(ctx, st)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range resources {
		if aws.ToString(r.ResourceType) == typ && aws.ToString(r.PhysicalResourceId) != "" &&
			r.ResourceStatus != cfntypes.ResourceStatusDeleteComplete {
			out = append(out, aws.ToString(r.PhysicalResourceId))
		}
	}
	return out, nil
}

// resources lists the stack's resources, every page.
func (s *Stacks) resources(ctx context.Context, st Stack) ([]cfntypes.StackResourceSummary, error) {
	id := st.ID
	if id == "" {
		id = st.Name
	}
	var out []cfntypes.StackResourceSummary
	p := cloudformation.NewListStackResourcesPaginator(s.Clients.CloudFormation(st.Region), &cloudformation.ListStackResourcesInput{StackName: aws.String(id)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list resources of %s in %s: %w", st.Name, st.Region, err)
		}
		out = append(out, page.StackResourceSummaries...)
	}
	return out, nil
}

// Delete deletes the stack and waits until it is gone, printing its events
// as they happen. A stack already gone is not an error. DELETE_FAILED
// returns the failed resources' reasons; running Delete again retries.
func (s *Stacks) Delete(ctx context.Context, st Stack) error {
	cfn := s.Clients.CloudFormation(st.Region)
	id := st.ID
	if id == "" {
		id = st.Name
	}
	clock := s.clock()
	began := clock.Now()
	s.printf("deleting stack %s in %s\n", st.Name, st.Region)
	if _, err := cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(id)}); err != nil {
		if isNotFound(err) {
			return nil
		}
		return fmt.Errorf("delete stack %s in %s: %w", st.Name, st.Region, err)
	}
	seen := map[string]bool{}
	poll := s.Poll
	if poll <= 0 {
		poll = 15 * time.Second
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Minute
	}
	for {
		out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(id)})
		// Events after the status, so the last ones (and the reasons of a
		// failure) are printed before returning.
		failed := s.printEvents(ctx, cfn, st, id, began, seen)
		switch {
		case isNotFound(err):
			return nil
		case err != nil:
			// A transient read failure: keep waiting until the timeout.
			s.printf("  (describe %s: %v)\n", st.Name, err)
		case len(out.Stacks) == 0:
			return nil
		default:
			switch status := out.Stacks[0].StackStatus; status {
			case cfntypes.StackStatusDeleteComplete:
				s.printf("  %s deleted in %s\n", st.Name, clock.Now().Sub(began).Round(time.Second))
				return nil
			case cfntypes.StackStatusDeleteFailed:
				reason := aws.ToString(out.Stacks[0].StackStatusReason)
				if len(failed) > 0 {
					reason = strings.Join(failed, "; ")
				}
				return fmt.Errorf("stack %s in %s: DELETE_FAILED: %s (fix the cause, then run destroy again)", st.Name, st.Region, reason)
			}
		}
		if clock.Now().Sub(began) > timeout {
			return fmt.Errorf("stack %s in %s: still deleting after %s (run destroy again to keep waiting)", st.Name, st.Region, timeout)
		}
		if err := clock.Sleep(ctx, poll); err != nil {
			return err
		}
	}
}

// printEvents prints the stack's events since began that were not printed
// yet, oldest first, and returns the reasons of failed deletions among
// them.
func (s *Stacks) printEvents(ctx context.Context, cfn awsclient.CloudFormationAPI, st Stack, id string, began time.Time, seen map[string]bool) []string {
	out, err := cfn.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(id)})
	if err != nil {
		return nil
	}
	var fresh []cfntypes.StackEvent
	// Events come newest first; one page is enough at a poll's pace.
	for _, e := range out.StackEvents {
		if seen[aws.ToString(e.EventId)] || aws.ToTime(e.Timestamp).Before(began.Add(-time.Minute)) {
			continue
		}
		seen[aws.ToString(e.EventId)] = true
		fresh = append(fresh, e)
	}
	slices.Reverse(fresh)
	var failed []string
	for _, e := range fresh {
		reason := aws.ToString(e.ResourceStatusReason)
		s.printf("  %s %-28s %-40s %s %s\n", aws.ToTime(e.Timestamp).UTC().Format("15:04:05"), aws.ToString(e.ResourceType),
			aws.ToString(e.LogicalResourceId), e.ResourceStatus, reason)
		if e.ResourceStatus == cfntypes.ResourceStatusDeleteFailed {
			failed = append(failed, fmt.Sprintf("%s: %s", aws.ToString(e.LogicalResourceId), reason))
		}
	}
	return failed
}
