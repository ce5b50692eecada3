package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
)

func TestRun(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "pamcheck.json")
	if err := os.WriteFile(cfg, []byte(`{"endpoint":"127.0.0.1:3306","region":"us-east-1","keys":{"AKIDEXAMPLE":"secret"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	token := func(session string) string {
		tok, err := auth.BuildAuthToken(context.Background(), "127.0.0.1:3306", "us-east-1", "todo_iam",
			credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", session))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	for _, tt := range []struct {
		name, user, stdin, want string
	}{
		{"a token as pam_exec passes it (NUL-terminated)", "todo_iam", token("") + "\x00", ""},
		{"another user", "root", token(""), "DBUser"},
		{"a password", "todo_iam", "hunter2\x00", "presigned URL"},
		{"a token cut by pam_exec", "todo_iam", token(strings.Repeat("s", 600))[:511], "pam_exec cuts passwords at 511"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := run([]string{cfg}, tt.user, strings.NewReader(tt.stdin))
			if tt.want == "" {
				if err != nil {
					t.Errorf("got %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
