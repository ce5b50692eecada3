package designcheck

import (
	"strconv"
	"testing"
	"time"

	"github.com/todomgmt/todomgmt/pkg/awsops"
)

// TestOperatorsBackupRetentionIsTheTemplates: failover:plan (pkg/awsops)
// checks the clusters' backup retention against awsops.BackupRetention;
// it must be what the template sets.
func TestOperatorsBackupRetentionIsTheTemplates(t *testing.T) {
	in := loadSource(t)
	c := in.Source.Resource("DbCluster")
	days, err := strconv.Atoi(mustStr(c.Prop("BackupRetentionPeriod")))
	if err != nil {
		t.Fatalf("DbCluster's BackupRetentionPeriod %q: %v", mustStr(c.Prop("BackupRetentionPeriod")), err)
	}
	if got := time.Duration(days) * 24 * time.Hour; got != awsops.BackupRetention {
		t.Errorf("the template keeps backups %s, awsops.BackupRetention is %s", got, awsops.BackupRetention)
	}
}
