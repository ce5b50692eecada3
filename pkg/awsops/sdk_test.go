package awsops

// Tests at the SDK boundary: real SDK clients (static credentials), whose
// requests are captured. A middleware in the Initialize step records the
// operation, the client's region and the typed input, and answers with a
// canned output when the test has one; otherwise the request goes on
// through the SDK (serialisation, endpoint, signing) to an HTTP client
// that records the wire request and answers with a canned body.

import (
	"bytes"
	"context"
	"errors"
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

type sdkCall struct {
	Service, Op, Region string
	Input               any
}

type wireCall struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   string
}

// sdkRecorder captures what real SDK clients send.
type sdkRecorder struct {
	mu    sync.Mutex
	calls []sdkCall
	wire  []wireCall
	// canned answers an operation at the Initialize step: key is the
	// operation name. A nil func lets the request through to the wire.
	canned map[string]func(region string, in any) (any, error)
	// wireBody answers a wire request; nil answers 200 with an empty body.
	wireBody func(r wireCall) (int, string)
	// wireHeader adds response headers to a wire answer (Lambda's
	// X-Amz-Function-Error, say); nil adds none.
	wireHeader func(r wireCall) http.Header
}

func newRecorder(tb testing.TB) *sdkRecorder {
	tb.Helper()
	return &sdkRecorder{canned: map[string]func(string, any) (any, error){}}
}

func (s *sdkRecorder) Do(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	c := wireCall{Method: r.Method, URL: r.URL, Header: r.Header.Clone(), Body: string(body)}
	s.mu.Lock()
	s.wire = append(s.wire, c)
	s.mu.Unlock()
	status, rb := 200, ""
	if s.wireBody != nil {
		status, rb = s.wireBody(c)
	}
	h := http.Header{"Content-Type": {"text/xml"}}
	if s.wireHeader != nil {
		for k, v := range s.wireHeader(c) {
			h[http.CanonicalHeaderKey(k)] = v
		}
	}
	return &http.Response{StatusCode: status, Status: fmt.Sprintf("%d", status), Header: h,
		Body: io.NopCloser(bytes.NewBufferString(rb)), Request: r}, nil
}

func (s *sdkRecorder) config() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		HTTPClient:  s,
		APIOptions: []func(*middleware.Stack) error{func(st *middleware.Stack) error {
			return st.Initialize.Add(middleware.InitializeMiddlewareFunc("capture", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				op, region := awsmiddleware.GetOperationName(ctx), awsmiddleware.GetRegion(ctx)
				s.mu.Lock()
				s.calls = append(s.calls, sdkCall{Service: awsmiddleware.GetServiceID(ctx), Op: op, Region: region, Input: in.Parameters})
				answer := s.canned[op]
				s.mu.Unlock()
				if answer == nil {
					return next.HandleInitialize(ctx, in)
				}
				out, err := answer(region, in.Parameters)
				return middleware.InitializeOutput{Result: out}, middleware.Metadata{}, err
			}), middleware.After)
		}},
	}
}

func (s *sdkRecorder) clients() *awsclient.Clients {
	c := awsclient.New(s.config())
	c.HTTP = &http.Client{Transport: roundTripper(s.Do)}
	return c
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Calls returns the captured operations, optionally only those named.
func (s *sdkRecorder) Calls(ops ...string) []sdkCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []sdkCall
	for _, c := range s.calls {
		if len(ops) == 0 || contains(ops, c.Op) {
			out = append(out, c)
		}
	}
	return out
}

func (s *sdkRecorder) Wire() []wireCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]wireCall(nil), s.wire...)
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// form parses an AWS query protocol body.
func form(tb testing.TB, body string) url.Values {
	tb.Helper()
	v, err := url.ParseQuery(body)
	if err != nil {
		tb.Fatalf("body %q: %v", body, err)
	}
	return v
}

// queryResponse is a minimal AWS query protocol answer for op.
func queryResponse(op string) string {
	return fmt.Sprintf(`<%sResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/"><%sResult></%sResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></%sResponse>`, op, op, op, op)
}

// credentialScope returns the region of a SigV4 Authorization header's
// credential scope (Credential=AKID/date/region/service/aws4_request).
func credentialScope(h http.Header) (region, service string) {
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

// cmpIgnoreUnexported lets cmp compare SDK structs, whose only unexported
// field is an empty serde marker.
func cmpIgnoreUnexported() cmp.Option {
	return cmp.Exporter(func(reflect.Type) bool { return true })
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }
