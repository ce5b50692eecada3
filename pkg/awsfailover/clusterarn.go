package awsfailover

import (
	"fmt"
	"strings"
)

// ClusterARN is an Aurora DB cluster ARN split into the parts this
// package needs: arn:aws:rds:<region>:<account>:cluster:<name>.
type ClusterARN struct {
	ARN, Region, Name string
}

// ParseClusterARN parses a DB cluster ARN.
func ParseClusterARN(arn string) (ClusterARN, error) {
	p := strings.Split(arn, ":")
	if len(p) != 7 || p[0] != "arn" || p[2] != "rds" || p[3] == "" || p[5] != "cluster" || p[6] == "" {
		return ClusterARN{}, fmt.Errorf("%q is not a DB cluster ARN (arn:aws:rds:<region>:<account>:cluster:<name>)", arn)
	}
	return ClusterARN{ARN: arn, Region: p[3], Name: p[6]}, nil
}
