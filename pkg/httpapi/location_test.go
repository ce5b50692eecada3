package httpapi_test

import (
	"net/url"
	"testing"
)

// TestLocationResolves checks that the Location of a created todo, resolved
// as a client resolves it against the URL it posted to, names the todo on
// every mount point: the execute-api URL with its stage, and the front door
// or custom domain without one. newEnv seeds three todos, so the new one is 4.
func TestLocationResolves(t *testing.T) {
	for _, tt := range []struct {
		name, target, clientURL, want string
	}{
		{"resource API, front door", "/v1/todos", "https://front.example/v1/todos", "https://front.example/v1/todos/4"},
		{"resource API, stage", "/v1/todos", "https://abc.execute-api.example/prod/v1/todos", "https://abc.execute-api.example/prod/v1/todos/4"},
		{"sample contract, front door", "/v1", "https://front.example/v1", "https://front.example/v1/todos/4"},
		{"sample contract, stage", "/v1", "https://abc.execute-api.example/prod/v1", "https://abc.execute-api.example/prod/v1/todos/4"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			w := e.do(t, request{method: "POST", target: tt.target, body: `{"task":"x"}`})
			if w.Code != 201 {
				t.Fatalf("POST %s: got %d, want 201", tt.target, w.Code)
			}
			base, _ := url.Parse(tt.clientURL)
			ref, err := url.Parse(w.Header().Get("Location"))
			if err != nil {
				t.Fatalf("Location %q: %v", w.Header().Get("Location"), err)
			}
			if got := base.ResolveReference(ref).String(); got != tt.want {
				t.Errorf("Location %q resolved against %s: got %s, want %s", ref, tt.clientURL, got, tt.want)
			}
		})
	}
}
