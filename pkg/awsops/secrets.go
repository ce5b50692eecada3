package awsops

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// SecretReplica is one replica of one of the primary's DB secrets, as
// Secrets Manager reports it in the primary region (DescribeSecret's
// ReplicationStatus).
type SecretReplica struct {
	// Secret is the primary secret's ARN.
	Secret string
	Region string
	// Status is InSync, InProgress or Failed; "" when the region has no
	// replica at all.
	Status, Message string
	// KeyID is the replica's KMS key; OwnKey reports whether it is the
	// region's own key (its stack's DbKeyArn output).
	KeyID  string
	OwnKey bool
}

// SecretsReport is the replication of the primary's DB secrets, or why
// it is unknown.
type SecretsReport struct {
	Replicas []SecretReplica
	Err      error
}

// secretsReport describes the primary stack's secrets (MasterSecretArn,
// AppSecretArn outputs) in the primary region and reports, for the
// secondary's region, their replicas' status and key. A stack without
// those outputs (an older template) gives an empty report.
func secretsReport(ctx context.Context, e *Env) SecretsReport {
	if e.Primary == nil || e.Secondary == nil {
		return SecretsReport{}
	}
	ctx, cancel := context.WithTimeout(ctx, alarmsTimeout)
	defer cancel()
	var rep SecretsReport
	for _, out := range []string{"MasterSecretArn", "AppSecretArn"} {
		arn := e.Primary.Output(out)
		if arn == "" {
			continue
		}
		d, err := e.Clients.SecretsManager(e.Primary.Region).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
		if err != nil {
			return SecretsReport{Err: fmt.Errorf("describe secret %s in %s: %w", arn, e.Primary.Region, err)}
		}
		r := SecretReplica{Secret: arn, Region: e.Secondary.Region}
		for _, st := range d.ReplicationStatus {
			if aws.ToString(st.Region) != r.Region {
				continue
			}
			r.Status, r.Message, r.KeyID = string(st.Status), aws.ToString(st.StatusMessage), aws.ToString(st.KmsKeyId)
		}
		r.OwnKey = sameKey(r.KeyID, e.Secondary.Output("DbKeyArn"), "alias/"+e.Config.AppName()+"-db")
		rep.Replicas = append(rep.Replicas, r)
	}
	return rep
}

// sameKey reports whether a key named by id (an ARN, a key id or an
// alias: ReplicationStatus may give any) is the key whose ARN is arn and
// whose alias is alias (the template's DbKeyAlias).
func sameKey(id, arn, alias string) bool {
	if id == "" || arn == "" {
		return false
	}
	_, keyID, _ := strings.Cut(arn, ":key/")
	return id == arn || id == keyID || id == alias || strings.HasSuffix(id, ":"+alias)
}

// problems are the replicas that do not keep the secondary's credentials
// in step.
func (r SecretsReport) problems() []string {
	var out []string
	for _, x := range r.Replicas {
		switch x.Status {
		case "":
			out = append(out, fmt.Sprintf("secret %s has no replica in %s: that region's proxy has no credentials to read", x.Secret, x.Region))
		case string(smtypes.StatusTypeFailed):
			out = append(out, fmt.Sprintf("the replica of %s in %s failed to replicate (%s): a password change does not reach that region's proxy", x.Secret, x.Region, x.Message))
		}
	}
	return out
}
