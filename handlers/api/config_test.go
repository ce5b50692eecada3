package main

import (
	"strings"
	"testing"
	"time"
)

func TestLoadConfig(t *testing.T) {
	const dsn = "todo_app:pw@tcp(127.0.0.1:3306)/todomgmt"
	for _, tt := range []struct {
		name        string
		env         map[string]string
		wantRegion  string
		wantTimeout time.Duration
		wantFormat  string
		wantSAM     bool
		wantErr     string
	}{
		{name: "defaults", env: map[string]string{"TODOMGMT_DB_DSN": dsn}, wantRegion: "local", wantTimeout: 8 * time.Second, wantFormat: "text"},
		{name: "in Lambda", env: map[string]string{"TODOMGMT_DB_DSN": dsn, "AWS_REGION": "eu-west-1", "AWS_LAMBDA_FUNCTION_NAME": "api"}, wantRegion: "eu-west-1", wantTimeout: 8 * time.Second, wantFormat: "json"},
		{name: "explicit", env: map[string]string{"TODOMGMT_DB_DSN": dsn, "AWS_REGION": "eu-west-1", "TODOMGMT_REGION": "us-east-1", "TODOMGMT_REQUEST_TIMEOUT": "2500ms", "TODOMGMT_LOG_FORMAT": "json", "AWS_SAM_LOCAL": "true"}, wantRegion: "us-east-1", wantTimeout: 2500 * time.Millisecond, wantFormat: "json", wantSAM: true},
		{name: "IAM mode", env: map[string]string{"TODOMGMT_DB_HOST": "proxy.example.com", "AWS_LAMBDA_FUNCTION_NAME": "api", "TODOMGMT_LOG_FORMAT": "text"}, wantRegion: "local", wantTimeout: 8 * time.Second, wantFormat: "text"},
		{name: "bad timeout", env: map[string]string{"TODOMGMT_DB_DSN": dsn, "TODOMGMT_REQUEST_TIMEOUT": "8"}, wantErr: "TODOMGMT_REQUEST_TIMEOUT"},
		{name: "negative timeout", env: map[string]string{"TODOMGMT_DB_DSN": dsn, "TODOMGMT_REQUEST_TIMEOUT": "-1s"}, wantErr: "TODOMGMT_REQUEST_TIMEOUT"},
		{name: "bad log format", env: map[string]string{"TODOMGMT_DB_DSN": dsn, "TODOMGMT_LOG_FORMAT": "xml"}, wantErr: "TODOMGMT_LOG_FORMAT"},
		{name: "no database", env: map[string]string{}, wantErr: "TODOMGMT_DB_DSN"},
		// The region names the id fence: a bad one must stop the function,
		// never fall back to another name.
		{name: "bad region", env: map[string]string{"TODOMGMT_DB_DSN": dsn, "TODOMGMT_REGION": "US_EAST_1"}, wantErr: "TODOMGMT_REGION"},
		{name: "bad AWS region", env: map[string]string{"TODOMGMT_DB_DSN": dsn, "AWS_REGION": "eu west 1"}, wantErr: "AWS_REGION"},
		{name: "blank region falls through", env: map[string]string{"TODOMGMT_DB_DSN": dsn, "TODOMGMT_REGION": "  ", "AWS_REGION": "eu-west-1"}, wantRegion: "eu-west-1", wantTimeout: 8 * time.Second, wantFormat: "text"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one naming %s", err, tt.wantErr)
				}
				if c.LogFormat == "" {
					t.Errorf("LogFormat empty on error; main needs one to log the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Region != tt.wantRegion || c.RequestTimeout != tt.wantTimeout || c.LogFormat != tt.wantFormat || c.SAMLocal != tt.wantSAM {
				t.Errorf("got region %q, timeout %v, format %q, samLocal %v; want %q, %v, %q, %v",
					c.Region, c.RequestTimeout, c.LogFormat, c.SAMLocal, tt.wantRegion, tt.wantTimeout, tt.wantFormat, tt.wantSAM)
			}
		})
	}
}
