package iamtoken

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
)

// AWS's documented example key pair.
const (
	keyID  = "AKIAIOSFODNN7EXAMPLE"
	secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// sdkToken signs a token with the AWS SDK, as pkg/dbconn does.
func sdkToken(tb testing.TB, endpoint, region, user, sessionToken string) string {
	tb.Helper()
	tok, err := auth.BuildAuthToken(context.Background(), endpoint, region, user,
		credentials.NewStaticCredentialsProvider(keyID, secret, sessionToken))
	if err != nil {
		tb.Fatal(err)
	}
	return tok
}

func expect() Expect {
	return Expect{Endpoint: "127.0.0.1:3306", Region: "us-east-1", User: "todo_iam", Keys: map[string]string{keyID: secret}}
}

func TestVerifyAcceptsTheSDKsTokens(t *testing.T) {
	for _, tt := range []struct{ name, endpoint, session string }{
		{"long-term key", "127.0.0.1:3306", ""},
		{"with a session token, as Lambda's role credentials have", "127.0.0.1:3306", "IQoJb3JpZ2luX2VjE/+a=b&c"},
		{"a proxy host name", "todomgmt.proxy-abc.us-east-1.rds.amazonaws.com:3306", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := expect()
			e.Endpoint = tt.endpoint
			if err := Verify(sdkToken(t, tt.endpoint, "us-east-1", "todo_iam", tt.session), e); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	good := sdkToken(t, "127.0.0.1:3306", "us-east-1", "todo_iam", "")
	withSession := sdkToken(t, "127.0.0.1:3306", "us-east-1", "todo_iam", "session-1")
	for _, tt := range []struct {
		name  string
		token string
		edit  func(*Expect)
		want  string
	}{
		{"another user's token", sdkToken(t, "127.0.0.1:3306", "us-east-1", "admin", ""), nil, "DBUser"},
		{"another endpoint's token", sdkToken(t, "127.0.0.1:3307", "us-east-1", "todo_iam", ""), nil, "endpoint"},
		{"another region's token", sdkToken(t, "127.0.0.1:3306", "eu-west-1", "todo_iam", ""), nil, "region"},
		{"a wrong secret", good, func(e *Expect) { e.Keys[keyID] = "not-the-secret" }, "signature does not match"},
		{"an unknown key", good, func(e *Expect) { e.Keys = map[string]string{"AKIAOTHER": secret} }, "unknown access key"},
		{"expired", good, func(e *Expect) { e.Now = time.Now().Add(16 * time.Minute) }, "expired"},
		{"signed in the future", good, func(e *Expect) { e.Now = time.Now().Add(-10 * time.Minute) }, "future"},
		{"a changed signature", good[:len(good)-1] + flip(good[len(good)-1]), nil, "signature does not match"},
		{"a changed session token", strings.Replace(withSession, "session-1", "session-2", 1), nil, "signature does not match"},
		{"a longer validity", strings.Replace(good, "X-Amz-Expires=900", "X-Amz-Expires=3600", 1), nil, "X-Amz-Expires"},
		{"a parameter twice", good + "&DBUser=todo_iam", nil, "2 times"},
		{"cut short (pam_exec passes at most 511 bytes)", good[:len(good)-20], nil, "X-Amz-Signature"},
		{"not a URL", "s3cret", nil, "presigned URL"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := expect()
			if tt.edit != nil {
				tt.edit(&e)
			}
			err := Verify(tt.token, e)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func flip(c byte) string {
	if c == '0' {
		return "1"
	}
	return "0"
}

func TestURIEncode(t *testing.T) {
	for in, want := range map[string]string{
		"AKID/20261206/us-east-1/rds-db/aws4_request": "AKID%2F20261206%2Fus-east-1%2Frds-db%2Faws4_request",
		"a b+c=d&e~f.g_h-i":                           "a%20b%2Bc%3Dd%26e~f.g_h-i",
	} {
		if got := uriEncode(in); got != want {
			t.Errorf("uriEncode(%q): got %q, want %q", in, got, want)
		}
	}
}
