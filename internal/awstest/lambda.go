package awstest

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// lambdaAPI is the Lambda API of one region, with the migrate function
// (<AppName>-migrate) answering the fence-ids action as the store's
// fence does: on the region's writer only (a read-only server is a
// function error, as Lambda reports a handler's error: X-Amz-Function-
// Error with {"errorMessage", "errorType"}), skipped when the fence
// already names the region, a gap only with data loss. It answers the
// fence-state action with the fence's row as the region's database reads
// it (the row replicates: both regions read the same), through the
// writer's endpoint or, in the other region, the reader's; a region
// whose cluster cannot be described (Status "", the fakes' lost region)
// answers neither. Reads are not logged, as no Describe call is: the log
// holds what changes something.
type lambdaAPI struct {
	f      *AWS
	region string
}

// The migrate function's direct-invoke protocol for the id fence, as
// handlers/migrate defines it, written out here rather than taken from
// the adapter so that a difference between the two shows.
type (
	fenceRequest struct {
		Action string `json:"action"`
		Fence  struct {
			Region     string  `json:"region"`
			DataLoss   bool    `json:"dataLoss"`
			LagSeconds float64 `json:"lagSeconds"`
			MinGap     int64   `json:"minGap"`
		} `json:"fence"`
	}
	fenceResult struct {
		Region        string  `json:"region"`
		Term          int64   `json:"term"`
		Skipped       bool    `json:"skipped"`
		MaxID         int64   `json:"maxId"`
		Floor         int64   `json:"floor"`
		Gap           int64   `json:"gap"`
		Rate          float64 `json:"rate"`
		WindowSeconds float64 `json:"windowSeconds"`
		Reason        string  `json:"reason"`
	}
	fenceState struct {
		Region   string `json:"region"`
		Term     int64  `json:"term"`
		Endpoint string `json:"endpoint"`
	}
	// functionError is the payload Lambda returns with
	// X-Amz-Function-Error for a handler's error (Lambda Developer
	// Guide, "Lambda function errors in Go").
	functionError struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
)

func (l lambdaAPI) Invoke(_ context.Context, in *lambda.InvokeInput, _ ...func(*lambda.Options)) (*lambda.InvokeOutput, error) {
	f := l.f
	f.mu.Lock()
	defer f.mu.Unlock()
	name := aws.ToString(in.FunctionName)
	var req fenceRequest
	if err := json.Unmarshal(in.Payload, &req); err != nil {
		return nil, err
	}
	if req.Action != "fence-state" {
		f.record(l.region, "Invoke %s %s region=%s dataLoss=%t lag=%gs", name, req.Action, req.Fence.Region, req.Fence.DataLoss, req.Fence.LagSeconds)
	}
	if name != "todomgmt-migrate" {
		return nil, &lambdatypes.ResourceNotFoundException{Message: aws.String("Function not found: " + name)}
	}
	if in.InvocationType != lambdatypes.InvocationTypeRequestResponse {
		return nil, fmt.Errorf("invocation type %q, want RequestResponse", in.InvocationType)
	}
	fail := func(msg string) (*lambda.InvokeOutput, error) {
		b, _ := json.Marshal(functionError{ErrorMessage: msg, ErrorType: "errorString"})
		return &lambda.InvokeOutput{StatusCode: 200, FunctionError: aws.String("Unhandled"), Payload: b}, nil
	}
	if req.Action == "fence-state" {
		var c *Cluster
		for _, x := range f.Clusters {
			if x.Region == l.region && !x.Deleted {
				c = x
			}
		}
		if c == nil || c.Status == "" {
			return fail("read the id fence: connect: dial tcp: i/o timeout (the reader endpoint does not answer either: i/o timeout)")
		}
		endpoint := "reader"
		if f.Global != nil && f.Global.Writer == c.ARN {
			endpoint = "writer"
		}
		b, _ := json.Marshal(fenceState{Region: f.Fence.Region, Term: f.Fence.Term, Endpoint: endpoint})
		return &lambda.InvokeOutput{StatusCode: 200, Payload: b}, nil
	}
	if req.Action != "fence-ids" {
		return fail("unknown action " + req.Action)
	}
	if w, _ := splitARN(f.Global.Writer); w != l.region {
		return fail("fence ids: the server is read-only (this region's cluster is not the writer)")
	}
	a := fenceResult{Region: req.Fence.Region, Term: f.Fence.Term, Skipped: true, MaxID: f.Fence.MaxID, Floor: f.Fence.MaxID + 1}
	if f.Fence.Region != req.Fence.Region {
		a.Skipped = false
		if req.Fence.DataLoss {
			a.Gap, a.Rate, a.WindowSeconds = 1_000_000, 0.25, req.Fence.LagSeconds+60
			a.Reason = "gap 1000000 (the floor)"
		}
		a.Floor = a.MaxID + a.Gap + 1
		f.Fence = Fence{Region: req.Fence.Region, Term: f.Fence.Term + 1, MaxID: a.Floor}
		a.Term = f.Fence.Term
	}
	b, _ := json.Marshal(a)
	return &lambda.InvokeOutput{StatusCode: 200, Payload: b}, nil
}
