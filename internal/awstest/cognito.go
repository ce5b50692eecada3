package awstest

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	cogtypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// cognitoAPI holds the app clients' secrets.
type cognitoAPI struct {
	f      *AWS
	region string
}

func (c cognitoAPI) DescribeUserPoolClient(ctx context.Context, in *cognitoidentityprovider.DescribeUserPoolClientInput, _ ...func(*cognitoidentityprovider.Options)) (*cognitoidentityprovider.DescribeUserPoolClientOutput, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	pool := aws.ToString(in.UserPoolId)
	if !strings.HasPrefix(pool, c.region) {
		return nil, fmt.Errorf("pool %s asked for in %s", pool, c.region)
	}
	c.f.record(c.region, "DescribeUserPoolClient %s", pool)
	if c.f.CognitoHang[c.region] {
		// A lost region that leaves the call hanging.
		c.f.mu.Unlock()
		<-ctx.Done()
		c.f.mu.Lock()
		return nil, fmt.Errorf("DescribeUserPoolClient: %w", ctx.Err())
	}
	return &cognitoidentityprovider.DescribeUserPoolClientOutput{UserPoolClient: &cogtypes.UserPoolClientType{
		ClientId: in.ClientId, ClientSecret: aws.String(c.f.Secrets[pool])}}, nil
}

func (c cognitoAPI) pool(id string) (*Pool, error) {
	if !strings.HasPrefix(id, c.region) {
		return nil, fmt.Errorf("pool %s asked for in %s", id, c.region)
	}
	p := c.f.Pools[id]
	if p == nil || p.Deleted {
		return nil, &cogtypes.ResourceNotFoundException{Message: aws.String("User pool " + id + " does not exist.")}
	}
	return p, nil
}

func (c cognitoAPI) DescribeUserPool(_ context.Context, in *cognitoidentityprovider.DescribeUserPoolInput, _ ...func(*cognitoidentityprovider.Options)) (*cognitoidentityprovider.DescribeUserPoolOutput, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	p, err := c.pool(aws.ToString(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	dp := cogtypes.DeletionProtectionTypeInactive
	if p.Protected {
		dp = cogtypes.DeletionProtectionTypeActive
	}
	return &cognitoidentityprovider.DescribeUserPoolOutput{UserPool: &cogtypes.UserPoolType{Id: in.UserPoolId, DeletionProtection: dp,
		UserPoolTier: p.Tier, AdminCreateUserConfig: &cogtypes.AdminCreateUserConfigType{AllowAdminCreateUserOnly: p.AdminOnly, UnusedAccountValidityDays: 7}}}, nil
}

// UpdateUserPool sets what the request carries and resets the rest to
// Cognito's defaults.
func (c cognitoAPI) UpdateUserPool(_ context.Context, in *cognitoidentityprovider.UpdateUserPoolInput, _ ...func(*cognitoidentityprovider.Options)) (*cognitoidentityprovider.UpdateUserPoolOutput, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.record(c.region, "UpdateUserPool %s protection=%s", aws.ToString(in.UserPoolId), in.DeletionProtection)
	p, err := c.pool(aws.ToString(in.UserPoolId))
	if err != nil {
		return nil, err
	}
	p.Protected = in.DeletionProtection == cogtypes.DeletionProtectionTypeActive
	p.AdminOnly = in.AdminCreateUserConfig != nil && in.AdminCreateUserConfig.AllowAdminCreateUserOnly
	p.Tier = in.UserPoolTier
	if p.Tier == "" {
		p.Tier = cogtypes.UserPoolTierTypeEssentials
	}
	return &cognitoidentityprovider.UpdateUserPoolOutput{}, nil
}
