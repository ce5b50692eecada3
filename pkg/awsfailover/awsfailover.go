// Package awsfailover implements pkg/failover's interfaces over AWS: the
// Aurora Global Database (Database: topology, switchover, failover,
// detach, the id fence through the migrate function, the lag history,
// the proxies' targets and the safeguards), the two front doors
// (KVSRouter over a CloudFront KeyValueStore, MetricRouter over a Route 53
// failover record driven by an alarm), and the regional APIs with their
// Cognito user pools (Prober, with Tokens as its token source). The
// operator's targets (pkg/awsops) and the readiness function
// (pkg/readiness) wire them to the orchestrator.
//
// Every AWS call goes through awsclient's narrow interfaces. The adapters
// are tested over internal/awstest's fakes and at the SDK boundary: real
// SDK clients whose requests are captured before they leave.
package awsfailover

import (
	"errors"
	"strings"
)

// ErrNoFrontDoor is returned when the stacks have no front door yet.
var ErrNoFrontDoor = errors.New("no front door deployed yet (FrontDoorMode none): run go tool mage deploy, whose second pass creates it")

// EnvKVSARN names the variable an operator sets to stand in for the
// primary stack's KeyValueStoreArn output when that stack cannot be
// described (pkg/awsops reads it); KVSRouter's errors name it.
const EnvKVSARN = "TODOMGMT_KVS_ARN"

// oneLine joins errors with "; " (errors.Join uses newlines), so a target's
// error stays one line; errors.Is and errors.As still see every error.
func oneLine(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return joined(errs)
}

type joined []error

func (j joined) Error() string {
	msgs := make([]string, len(j))
	for i, err := range j {
		msgs[i] = err.Error()
	}
	return strings.Join(msgs, "; ")
}

func (j joined) Unwrap() []error { return j }
