package lab

import (
	"context"
	"errors"
	"testing"

	"github.com/testcontainers/testcontainers-go"
)

// TestDockerClientKeepsOnlySuccess checks that a failed client creation is
// not cached: the next call tries again, and a created client is reused.
func TestDockerClientKeepsOnlySuccess(t *testing.T) {
	var calls int
	want := &testcontainers.DockerClient{}
	d := newDockerContainers("")
	d.newClient = func(ctx context.Context) (*testcontainers.DockerClient, error) {
		calls++
		if _, ok := ctx.Deadline(); !ok {
			t.Errorf("call %d: the client is created without a deadline", calls)
		}
		if calls == 1 {
			return nil, errors.New("engine not ready")
		}
		return want, nil
	}
	for i, tt := range []struct {
		wantErr   bool
		wantCalls int
	}{
		{wantErr: true, wantCalls: 1},
		{wantErr: false, wantCalls: 2},
		{wantErr: false, wantCalls: 2},
	} {
		got, err := d.client()
		if (err != nil) != tt.wantErr {
			t.Fatalf("client() #%d error = %v, want error %v", i+1, err, tt.wantErr)
		}
		if !tt.wantErr && got != want {
			t.Errorf("client() #%d = %p, want the created client %p", i+1, got, want)
		}
		if calls != tt.wantCalls {
			t.Errorf("after client() #%d: %d creation(s), want %d", i+1, calls, tt.wantCalls)
		}
	}
}
