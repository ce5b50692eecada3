package awstest

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// smAPI is Secrets Manager in one region: the primary's secrets live in
// us-east-1, their replication status comes from f.Replicas.
type smAPI struct {
	f      *AWS
	region string
}

func (m smAPI) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	m.f.mu.Lock()
	defer m.f.mu.Unlock()
	arn := aws.ToString(in.SecretId)
	reps, ok := m.f.Replicas[arn]
	if !ok || !strings.Contains(arn, ":"+m.region+":") {
		return nil, &smtypes.ResourceNotFoundException{Message: aws.String("Secrets Manager can't find the specified secret.")}
	}
	return &secretsmanager.DescribeSecretOutput{ARN: aws.String(arn), PrimaryRegion: aws.String(East), ReplicationStatus: slices.Clone(reps)}, nil
}
