package logformat

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestDefault(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "outside Lambda", env: map[string]string{}, want: "text"},
		{name: "in Lambda", env: map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "api"}, want: "json"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Default(func(k string) string { return tt.env[k] }); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		format   string
		wantJSON bool
	}{
		{"json", true},
		{"text", false},
		{"", false},
	} {
		t.Run(tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			New(&buf, tt.format).Info("hello", "k", "v")
			line := strings.TrimSpace(buf.String())
			if got := json.Valid([]byte(line)); got != tt.wantJSON {
				t.Errorf("format %q wrote %q: JSON %v, want %v", tt.format, line, got, tt.wantJSON)
			}
			if !strings.Contains(line, "hello") {
				t.Errorf("format %q wrote %q, want the message in it", tt.format, line)
			}
		})
	}
}
