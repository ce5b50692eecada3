package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/todomgmt/todomgmt/pkg/dbconn"
)

// fakeSecrets is Secrets Manager holding one secret.
type fakeSecrets struct {
	arn, value string
	err        error
	asked      []string
}

func (f *fakeSecrets) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	f.asked = append(f.asked, aws.ToString(in.SecretId))
	if f.err != nil {
		return nil, f.err
	}
	if aws.ToString(in.SecretId) != f.arn {
		return nil, errors.New("ResourceNotFoundException")
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(f.value)}, nil
}

const testARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:todomgmt-app-AbCdEf"

func TestAppPassword(t *testing.T) {
	for _, tt := range []struct {
		name    string
		secret  *fakeSecrets
		user    string
		want    string
		wantErr string
	}{
		{name: "username and password", secret: &fakeSecrets{arn: testARN, value: `{"username":"todo_app","password":"s3cr3t!"}`}, user: "todo_app", want: "s3cr3t!"},
		{name: "password only", secret: &fakeSecrets{arn: testARN, value: `{"password":"s3cr3t!"}`}, user: "todo_app", want: "s3cr3t!"},
		{name: "other user", secret: &fakeSecrets{arn: testARN, value: `{"username":"admin","password":"s3cr3t!"}`}, user: "todo_app", wantErr: "admin"},
		{name: "no password", secret: &fakeSecrets{arn: testARN, value: `{"username":"todo_app"}`}, user: "todo_app", wantErr: "no password"},
		{name: "not JSON", secret: &fakeSecrets{arn: testARN, value: `s3cr3t!`}, user: "todo_app", wantErr: "not a JSON object"},
		{name: "password of the wrong type", secret: &fakeSecrets{arn: testARN, value: `{"password":97531}`}, user: "todo_app", wantErr: "not a JSON object"},
		{name: "Secrets Manager error", secret: &fakeSecrets{arn: testARN, err: errors.New("AccessDeniedException")}, user: "todo_app", wantErr: "AccessDeniedException"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := &migrator{secrets: func(context.Context) (secretGetter, error) { return tt.secret, nil }}
			got, err := m.appPassword(context.Background(), testARN, tt.user)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "97531") {
					t.Errorf("error %q quotes the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if len(tt.secret.asked) != 1 || tt.secret.asked[0] != testARN {
				t.Errorf("asked for %v, want [%s]", tt.secret.asked, testARN)
			}
		})
	}
}

func TestRunConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"no connection configured", map[string]string{}, dbconn.EnvHost},
		{"bad port", map[string]string{dbconn.EnvHost: "proxy", dbconn.EnvPort: "x"}, dbconn.EnvPort},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := &migrator{
				getenv: func(k string) string { return tt.env[k] },
				open: func(context.Context, dbconn.Config) (*dbconn.Pools, error) {
					t.Fatal("opened pools despite a configuration error")
					return nil, nil
				},
			}
			_, err := m.Run(context.Background())
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}
}
