package awsops

import (
	"context"
	"io"
	"strings"
	"testing"
)

// TestWriteToken: the token alone on out, from the pool of the region or
// role named; the secret only when asked, and only on diag.
func TestWriteToken(t *testing.T) {
	f, _, e, _ := deployment(t, east)
	for _, tt := range []struct {
		region, pool string
		show         bool
		wantDiag     string
	}{
		{region: RoleSecondary, pool: "us-west-2 "},
		{region: east, pool: "us-east-1 ", show: true, wantDiag: "client id client-us-east-1, client secret s3cr3t-east\n"},
	} {
		var out, diag strings.Builder
		if err := WriteToken(context.Background(), e, tt.region, tt.show, &out, &diag); err != nil {
			t.Fatalf("WriteToken(%s): %v", tt.region, err)
		}
		if out.String() != "tok-1\n" || diag.String() != tt.wantDiag {
			t.Errorf("WriteToken(%s, show %v): out %q, diag %q; want %q, %q", tt.region, tt.show, out.String(), diag.String(), "tok-1\n", tt.wantDiag)
		}
		if calls := f.Log("DescribeUserPoolClient"); len(calls) == 0 || !strings.HasPrefix(calls[len(calls)-1], tt.pool) {
			t.Errorf("WriteToken(%s) read the client in %q, want %q", tt.region, calls, tt.pool)
		}
	}
	if err := WriteToken(context.Background(), e, "eu-west-1", false, io.Discard, io.Discard); err == nil {
		t.Errorf("WriteToken(eu-west-1) = nil error, want an unknown region")
	}
}
