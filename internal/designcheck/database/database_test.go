package database

import (
	"strconv"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/internal/designcheck"
	"github.com/todomgmt/todomgmt/internal/designcheck/checktest"
	"github.com/todomgmt/todomgmt/pkg/awsops"
)

// TestOperatorsBackupRetentionIsTheTemplates: failover:plan (pkg/awsops)
// checks the clusters' backup retention against awsops.BackupRetention;
// it must be what the template sets.
func TestOperatorsBackupRetentionIsTheTemplates(t *testing.T) {
	in := checktest.Source(t)
	c := in.Source.Resource("DbCluster")
	days, err := strconv.Atoi(designcheck.StrValue(c.Prop("BackupRetentionPeriod")))
	if err != nil {
		t.Fatalf("DbCluster's BackupRetentionPeriod %q: %v", designcheck.StrValue(c.Prop("BackupRetentionPeriod")), err)
	}
	if got := time.Duration(days) * 24 * time.Hour; got != awsops.BackupRetention {
		t.Errorf("the template keeps backups %s, awsops.BackupRetention is %s", got, awsops.BackupRetention)
	}
}

func TestActionMatches(t *testing.T) {
	for _, tt := range []struct {
		pattern, action string
		want            bool
	}{
		{"kms:*", "kms:Encrypt", true},
		{"kms:ReEncrypt*", "kms:ReEncryptFrom", true},
		{"kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext", true},
		{"KMS:decrypt", "kms:Decrypt", true},
		{"kms:Create*", "kms:CreateGrant", true},
		{"kms:Describe?ey", "kms:DescribeKey", true},
		{"kms:DescribeKey", "kms:Decrypt", false},
		{"kms:Put*", "kms:PutKeyPolicy", true},
		{"kms:Get*", "kms:GenerateDataKey", false},
		{"kms:Encrypt.", "kms:EncryptX", false},
	} {
		if got := actionMatches(tt.pattern, tt.action); got != tt.want {
			t.Errorf("actionMatches(%q, %q) = %v, want %v", tt.pattern, tt.action, got, tt.want)
		}
	}
}
