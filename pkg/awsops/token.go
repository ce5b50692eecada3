package awsops

import (
	"context"
	"fmt"
	"io"
)

// WriteToken writes to out a new client-credentials access token from
// region's Cognito (region may be a role, primary or secondary), and
// nothing else, so that `TOKEN=$(go tool mage token primary)` captures
// the token alone. With showSecret it also writes the app client's id and
// secret to diag.
func WriteToken(ctx context.Context, e *Env, region string, showSecret bool, out, diag io.Writer) error {
	if t, ok := e.Config.Target(region); ok {
		region = t.Region
	}
	pool, err := e.Pool(region)
	if err != nil {
		return err
	}
	tokens := e.Tokens()
	tok, err := tokens.TokenFrom(ctx, pool)
	if err != nil {
		return err
	}
	if showSecret {
		secret, err := tokens.Secret(ctx, pool)
		if err != nil {
			return err
		}
		fmt.Fprintf(diag, "client id %s, client secret %s\n", pool.ClientID, secret)
	}
	_, err = fmt.Fprintln(out, tok)
	return err
}
