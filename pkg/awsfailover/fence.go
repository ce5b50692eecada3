package awsfailover

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// fenceInvoke is the migrate function's direct-invoke request for the id
// fence (handlers/migrate: {"action":"fence-ids","fence":{...}}).
type fenceInvoke struct {
	Action string       `json:"action"`
	Fence  fencePayload `json:"fence"`
}

type fencePayload struct {
	Region     string  `json:"region"`
	DataLoss   bool    `json:"dataLoss"`
	LagSeconds float64 `json:"lagSeconds"`
	MinGap     int64   `json:"minGap"`
}

// fenceAnswer is the function's answer: the store's FenceResult.
type fenceAnswer struct {
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

// functionError is the payload Lambda returns with X-Amz-Function-Error:
// the error the handler returned (or the runtime's, for a crash or a
// timeout).
type functionError struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// invokeFence invokes the migrate function name in region (Lambda
// Invoke, RequestResponse) with the fence-ids action and req: the
// function runs the store's fence on its region's writer as the master
// user. A function error (the server is read-only, the connection
// failed, ...) is an error carrying the function's message; an answer
// that is not the fence asked for is an error too.
func invokeFence(ctx context.Context, api awsclient.LambdaAPI, name, region string, req failover.FenceRequest) (failover.FenceResult, error) {
	payload, err := json.Marshal(fenceInvoke{Action: "fence-ids", Fence: fencePayload{
		Region: req.Region, DataLoss: req.DataLoss, LagSeconds: req.Lag.Seconds(), MinGap: req.MinGap,
	}})
	if err != nil {
		return failover.FenceResult{}, err
	}
	out, err := invokeMigrate(ctx, api, name, region, payload)
	if err != nil {
		return failover.FenceResult{}, err
	}
	var a fenceAnswer
	if err := json.Unmarshal(out, &a); err != nil {
		return failover.FenceResult{}, fmt.Errorf("%s in %s: the fence's answer is not JSON: %w", name, region, err)
	}
	switch {
	case a.Region != req.Region:
		// Never report a fence the function did not make.
		return failover.FenceResult{}, fmt.Errorf("%s in %s: the fence names %q, want %q", name, region, a.Region, req.Region)
	case a.Term < 1:
		return failover.FenceResult{}, fmt.Errorf("%s in %s: the fence's answer has no term: %s", name, region, out)
	case a.WindowSeconds < 0:
		return failover.FenceResult{}, fmt.Errorf("%s in %s: the fence's window is negative: %s", name, region, out)
	}
	return failover.FenceResult{
		Region: a.Region, Term: a.Term, Skipped: a.Skipped, MaxID: a.MaxID, Floor: a.Floor, Gap: a.Gap,
		Rate: a.Rate, Window: time.Duration(a.WindowSeconds * float64(time.Second)), Reason: a.Reason,
	}, nil
}

// invokeMigrate invokes the migrate function name in region (Lambda
// Invoke, RequestResponse) with payload and returns its answer. A
// function error (Lambda's X-Amz-Function-Error, with the handler's
// {"errorMessage", "errorType"}) is an error carrying the function's
// message.
func invokeMigrate(ctx context.Context, api awsclient.LambdaAPI, name, region string, payload []byte) ([]byte, error) {
	out, err := api.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(name),
		InvocationType: lambdatypes.InvocationTypeRequestResponse,
		Payload:        payload,
	})
	if err != nil {
		return nil, fmt.Errorf("invoke %s in %s: %w", name, region, err)
	}
	if fe := aws.ToString(out.FunctionError); fe != "" {
		var e functionError
		msg := string(out.Payload)
		if json.Unmarshal(out.Payload, &e) == nil && e.ErrorMessage != "" {
			msg = e.ErrorMessage
		}
		return nil, fmt.Errorf("%s in %s: function error (%s): %s", name, region, fe, msg)
	}
	return out.Payload, nil
}
