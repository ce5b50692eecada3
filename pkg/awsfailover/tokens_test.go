package awsfailover

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/awsclient"
)

func TestTokens(t *testing.T) {
	f, a, pools, clients := tokenDeployment(t)
	tokens := &Tokens{Pools: pools, Clients: clients}
	// The primary's pool client is broken: the secondary's issues the token.
	f.Secrets["us-east-1_POOL"] = "wrong"
	tok, err := tokens.Token(context.Background())
	if err != nil || tok != "tok-1" {
		t.Fatalf("Token = %q, %v; want tok-1 from the secondary pool", tok, err)
	}
	if _, err := tokens.Token(context.Background()); err != nil || a.Tokens != 1 {
		t.Errorf("second Token: %v, token endpoint called %d times, want the cached token", err, a.Tokens)
	}
	calls := f.Log("DescribeUserPoolClient")
	if len(calls) != 2 || !strings.HasPrefix(calls[0], "us-east-1 ") || !strings.HasPrefix(calls[1], "us-west-2 ") {
		t.Errorf("DescribeUserPoolClient calls %q, want each pool read in its own region", calls)
	}
	// A failure never shows the secret.
	f.Secrets["us-west-2_POOL"] = "wrong-too"
	_, err = (&Tokens{Pools: pools, Clients: clients}).Token(context.Background())
	if err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %v, want a failure that does not contain the secret", err)
	}
}

// TestTokensWithALostRegion: the primary region's Cognito leaves calls
// hanging. Each pool's attempt is bounded, the region named first is
// asked first, and a pool that failed is passed over for a while.
func TestTokensWithALostRegion(t *testing.T) {
	for _, tt := range []struct {
		name   string
		prefer string
		// eastTries are the attempts on the hanging pool over three
		// fetches: now, again at once, and after the pass-over period.
		eastTries []int
	}{
		// The failover's target first: the lost pool is never asked.
		{name: "target first", prefer: west, eastTries: []int{0, 0, 0}},
		// No preference: the primary's pool first; it hangs until its
		// own timeout, then is passed over until the period ends.
		{name: "configuration order", eastTries: []int{1, 1, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, a, pools, clients := tokenDeployment(t)
			f.CognitoHang[east] = true
			clock := awstest.NewClock(time.Date(2026, 11, 5, 9, 0, 0, 0, time.UTC))
			tokens := &Tokens{Pools: pools, Clients: clients, PoolTimeout: 20 * time.Millisecond, PassOver: 2 * time.Minute, Now: clock.Now}
			for i, pause := range []time.Duration{0, time.Minute, 2 * time.Minute} {
				_ = clock.Sleep(context.Background(), pause)
				tokens.token = "" // as if it had expired
				tok, err := tokens.TokenFor(context.Background(), tt.prefer)
				if err != nil || tok != "tok-1" {
					t.Fatalf("fetch %d: Token = %q, %v; want tok-1 from %s's pool", i+1, tok, err, west)
				}
				if got := len(f.Log("DescribeUserPoolClient")) - countPrefix(f.Log("DescribeUserPoolClient"), west); got != tt.eastTries[i] {
					t.Errorf("fetch %d: %d attempts on the hanging pool in %s so far, want %d", i+1, got, east, tt.eastTries[i])
				}
			}
			if a.Tokens != 3 {
				t.Errorf("token endpoint called %d times, want 3", a.Tokens)
			}
		})
	}
}

func countPrefix(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix+" ") {
			n++
		}
	}
	return n
}

// tokenDeployment is the linked fakes (awstest.NewDeployment) with the
// pools of both stacks, primary first, as the stacks' outputs give them,
// and clients that reach the fake token endpoint.
func tokenDeployment(tb testing.TB) (*awstest.AWS, *awstest.API, []Pool, *awsclient.Clients) {
	tb.Helper()
	f, a := awstest.NewDeployment(tb, east)
	var pools []Pool
	for _, s := range f.Stacks {
		pools = append(pools, Pool{Region: s.Region, UserPoolID: s.Outputs["UserPoolId"], ClientID: s.Outputs["AppClientId"], TokenURL: s.Outputs["TokenUrl"]})
	}
	clients := f.Clients()
	clients.HTTP = a.Server.Client()
	return f, a, pools, clients
}
