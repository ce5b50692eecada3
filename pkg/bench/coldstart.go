package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/todomgmt/todomgmt/pkg/lambdaruntime"
)

// ColdStarts starts the bootstrap binary at bin n times, each time against a
// fresh Runtime API server with env, sends payload as its first invocation,
// and returns for each start the time from process start to the function's
// response: runtime start, main's wiring (configuration, pools, handler),
// the first database connection and query, and the invoke round trip. The
// response must be an API Gateway proxy response with status want.
func ColdStarts(ctx context.Context, bin string, env []string, payload []byte, want, n int) ([]time.Duration, error) {
	out := make([]time.Duration, 0, n)
	for i := range n {
		d, err := coldStart(ctx, bin, env, payload, want)
		if err != nil {
			return out, fmt.Errorf("cold start %d: %w", i+1, err)
		}
		out = append(out, d)
	}
	return out, nil
}

func coldStart(ctx context.Context, bin string, env []string, payload []byte, want int) (time.Duration, error) {
	srv, err := lambdaruntime.NewServer()
	if err != nil {
		return 0, err
	}
	defer srv.Close()
	p, err := lambdaruntime.Start(ctx, srv, bin, env)
	if err != nil {
		return 0, err
	}
	// The environment is thrown away after one invocation; its graceful
	// shutdown is not part of a cold start.
	defer p.Stop(0)

	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	r, err := p.Invoke(ctx, payload)
	elapsed := time.Since(p.Started())
	if err != nil {
		return 0, err
	}
	if r.Error {
		return 0, fmt.Errorf("the function failed: %s", r.Payload)
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(r.Payload, &resp); err != nil {
		return 0, fmt.Errorf("response %s: %w", r.Payload, err)
	}
	if resp.StatusCode != want {
		return 0, fmt.Errorf("got status %d, want %d; body %s; output:\n%s", resp.StatusCode, want, resp.Body, p.Output())
	}
	return elapsed, nil
}
