package awsclient

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

const (
	east = "us-east-1"
	west = "us-west-2"
)

func TestLoadConfigWithoutCredentials(t *testing.T) {
	for _, tt := range []struct {
		name, profile, config string
		// wantCause is in the message when the cause says more than
		// "none found".
		wantCause string
	}{
		{name: "nothing configured"},
		// Like an expired SSO session: a profile whose credential source
		// fails. The operator must see why, not only "no credentials".
		{name: "failing credential source", profile: "broken",
			config: "[profile broken]\ncredential_process = false\n", wantCause: "credential_process"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
				t.Setenv(k, "")
			}
			dir := t.TempDir()
			if err := os.WriteFile(dir+"/config", []byte(tt.config), 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("AWS_CONFIG_FILE", dir+"/config")
			t.Setenv("AWS_SHARED_CREDENTIALS_FILE", dir+"/credentials")
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			t.Setenv("AWS_PROFILE", tt.profile)
			_, err := LoadConfig(context.Background(), east)
			if !errors.Is(err, ErrNoCredentials) {
				t.Fatalf("error %v, want ErrNoCredentials", err)
			}
			if err.Error() == ErrNoCredentials.Error() {
				t.Errorf("error %q carries no cause", err)
			}
			if !strings.Contains(err.Error(), tt.wantCause) {
				t.Errorf("error %q, want the cause %q", err, tt.wantCause)
			}
		})
	}
}

func TestNewCachesClientsWithAnHTTPTimeout(t *testing.T) {
	c := New(aws.Config{Region: east})
	if c.HTTP == nil || c.HTTP.Timeout == 0 {
		t.Errorf("New: HTTP client without timeout")
	}
	if c.RDS(east) != c.RDS(east) || c.RDS(east) == c.RDS(west) {
		t.Errorf("New: clients are not cached per region")
	}
	if c.SNS == nil || c.SNS(east) != c.SNS(east) || c.SNS(east) == c.SNS(west) {
		t.Errorf("New: SNS clients are not built and cached per region")
	}
}
