package awstest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/middleware"
	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
)

// Call is an operation a client was asked for: its service, name, the
// client's region and the typed input.
type Call struct {
	Service, Op, Region string
	Input               any
}

// WireCall is a request as it left the SDK.
type WireCall struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   string
}

// Recorder captures what real SDK clients (static credentials) send,
// for tests at the SDK boundary. A middleware in the Initialize step
// records the operation, the client's region and the typed input, and
// answers with a canned output when the test has one; otherwise the
// request goes on through the SDK (serialisation, endpoint, signing) to
// an HTTP client that records the wire request and answers with a canned
// body. Tests set the exported fields before the clients are used.
type Recorder struct {
	mu    sync.Mutex
	calls []Call
	wire  []WireCall
	// Canned answers an operation at the Initialize step: key is the
	// operation name. A nil func lets the request through to the wire.
	Canned map[string]func(region string, in any) (any, error)
	// WireBody answers a wire request; nil answers 200 with an empty body.
	WireBody func(r WireCall) (int, string)
	// WireHeader adds response headers to a wire answer (Lambda's
	// X-Amz-Function-Error, say); nil adds none.
	WireHeader func(r WireCall) http.Header
	// served answers an operation from other clients (AnswerFrom),
	// before Canned; key is the operation name.
	served map[string]served
}

// served answers an operation with the call's context, region and input.
type served func(ctx context.Context, region string, in any) (any, error)

// NewRecorder returns a recorder without canned answers.
func NewRecorder(tb testing.TB) *Recorder {
	tb.Helper()
	return &Recorder{Canned: map[string]func(string, any) (any, error){}}
}

// Do answers a wire request (the SDK's and the Clients' HTTP client).
func (s *Recorder) Do(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	c := WireCall{Method: r.Method, URL: r.URL, Header: r.Header.Clone(), Body: string(body)}
	s.mu.Lock()
	s.wire = append(s.wire, c)
	s.mu.Unlock()
	status, rb := 200, ""
	if s.WireBody != nil {
		status, rb = s.WireBody(c)
	}
	h := http.Header{"Content-Type": {"text/xml"}}
	if s.WireHeader != nil {
		for k, v := range s.WireHeader(c) {
			h[http.CanonicalHeaderKey(k)] = v
		}
	}
	return &http.Response{StatusCode: status, Status: fmt.Sprintf("%d", status), Header: h,
		Body: io.NopCloser(bytes.NewBufferString(rb)), Request: r}, nil
}

// Config is an SDK configuration whose clients go through the recorder.
func (s *Recorder) Config() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		HTTPClient:  s,
		APIOptions: []func(*middleware.Stack) error{func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("capture", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				op, region := awsmiddleware.GetOperationName(ctx), awsmiddleware.GetRegion(ctx)
				s.mu.Lock()
				s.calls = append(s.calls, Call{Service: awsmiddleware.GetServiceID(ctx), Op: op, Region: region, Input: in.Parameters})
				serve, answer := s.served[op], s.Canned[op]
				s.mu.Unlock()
				var out any
				var err error
				switch {
				case serve != nil:
					out, err = serve(ctx, region, in.Parameters)
				case answer != nil:
					out, err = answer(region, in.Parameters)
				default:
					return next.HandleInitialize(ctx, in)
				}
				return middleware.InitializeOutput{Result: out}, middleware.Metadata{}, err
			}), middleware.After)
		}},
	}
}

// AnswerFrom has the recorder answer the reads the failover adapters
// make (RDS, CloudWatch and Cognito describes, gets and lists, and the
// KeyValueStore's) with what c answers, in the region and under the
// context of each call: a test counts the calls of real SDK clients
// while a stateful fake (AWS.Clients) decides what they return.
// Operations it does not list go to Canned, then to the wire.
func (s *Recorder) AnswerFrom(c *awsclient.Clients) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.served = map[string]served{
		"DescribeGlobalClusters":     regional(c.RDS, awsclient.RDSAPI.DescribeGlobalClusters),
		"DescribeDBClusters":         regional(c.RDS, awsclient.RDSAPI.DescribeDBClusters),
		"DescribeDBClusterSnapshots": regional(c.RDS, awsclient.RDSAPI.DescribeDBClusterSnapshots),
		"DescribeDBProxyTargets":     regional(c.RDS, awsclient.RDSAPI.DescribeDBProxyTargets),
		"ListMetrics":                regional(c.CloudWatch, awsclient.CloudWatchAPI.ListMetrics),
		"GetMetricData":              regional(c.CloudWatch, awsclient.CloudWatchAPI.GetMetricData),
		"DescribeAlarms":             regional(c.CloudWatch, awsclient.CloudWatchAPI.DescribeAlarms),
		"DescribeUserPool":           regional(c.Cognito, awsclient.CognitoAPI.DescribeUserPool),
		"DescribeUserPoolClient":     regional(c.Cognito, awsclient.CognitoAPI.DescribeUserPoolClient),
		"GetKey":                     regional(func(string) awsclient.KVSAPI { return c.KVS }, awsclient.KVSAPI.GetKey),
		"DescribeKeyValueStore":      regional(func(string) awsclient.KVSAPI { return c.KVS }, awsclient.KVSAPI.DescribeKeyValueStore),
	}
}

// regional answers with op called on the API of the call's region.
func regional[API, In, Out, Opt any](api func(region string) API, op func(API, context.Context, In, ...Opt) (Out, error)) served {
	return func(ctx context.Context, region string, in any) (any, error) {
		return op(api(region), ctx, in.(In))
	}
}

// Clients are SDK clients of every service through the recorder.
func (s *Recorder) Clients() *awsclient.Clients {
	c := awsclient.New(s.Config())
	c.HTTP = &http.Client{Transport: roundTripper(s.Do)}
	return c
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Calls returns the captured operations, optionally only those named.
func (s *Recorder) Calls(ops ...string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if len(ops) == 0 || contains(ops, c.Op) {
			out = append(out, c)
		}
	}
	return out
}

// Wire returns the requests that reached the wire.
func (s *Recorder) Wire() []WireCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WireCall(nil), s.wire...)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Form parses an AWS query protocol body.
func Form(tb testing.TB, body string) url.Values {
	tb.Helper()
	v, err := url.ParseQuery(body)
	if err != nil {
		tb.Fatalf("body %q: %v", body, err)
	}
	return v
}

// QueryResponse is a minimal AWS query protocol answer for op.
func QueryResponse(op string) string {
	return fmt.Sprintf(`<%sResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><%sResult></%sResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></%sResponse>`, op, op, op, op)
}

// CredentialScope returns the region of a SigV4 Authorization header's
// credential scope (Credential=AKID/date/region/service/aws4_request).
func CredentialScope(h http.Header) (region, service string) {
	a := h.Get("Authorization")
	i := strings.Index(a, "Credential=")
	if i < 0 {
		return "", ""
	}
	parts := strings.Split(strings.SplitN(a[i+len("Credential="):], ",", 2)[0], "/")
	if len(parts) < 5 {
		return "", ""
	}
	return parts[2], parts[3]
}

// CmpIgnoreUnexported lets cmp compare SDK structs, whose only unexported
// field is an empty serde marker.
func CmpIgnoreUnexported() cmp.Option {
	return cmp.Exporter(func(reflect.Type) bool { return true })
}
