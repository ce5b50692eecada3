package awsops

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// Alarm is one of the app's alarms in ALARM.
type Alarm struct {
	Name, Reason string
	Since        time.Time
	// Routing marks the Route 53 routing alarm, whose ALARM state means
	// the traffic goes to the secondary: a route, not a fault.
	Routing bool
}

// RegionAlarms are a region's alarms in ALARM, or why they are unknown.
type RegionAlarms struct {
	InAlarm []Alarm
	Err     error
}

func (a RegionAlarms) String() string {
	switch {
	case a.Err != nil:
		return "unknown"
	case len(a.InAlarm) == 0:
		return "none in ALARM"
	}
	return fmt.Sprintf("%d in ALARM", len(a.InAlarm))
}

// alarmsTimeout bounds each region's DescribeAlarms: a region that is down
// may leave the call hanging, and status must still print the other.
const alarmsTimeout = 15 * time.Second

// regionAlarms reads the app's alarms in ALARM in the stack's region:
// DescribeAlarms with StateValue ALARM and, as ActionPrefix, the stack's
// alarm topic (every alarm of the template notifies it, and nothing else
// in the account need); a stack without the AlarmTopicArn output (an
// older template) falls back to the alarms named <AppName>-*. routing is
// the Route 53 routing alarm's name ("" without one).
func regionAlarms(ctx context.Context, e *Env, s *Stack, routing string) RegionAlarms {
	ctx, cancel := context.WithTimeout(ctx, alarmsTimeout)
	defer cancel()
	in := &cloudwatch.DescribeAlarmsInput{StateValue: cwtypes.StateValueAlarm}
	if topic := s.Output("AlarmTopicArn"); topic != "" {
		in.ActionPrefix = aws.String(topic)
	} else {
		in.AlarmNamePrefix = aws.String(e.Config.AppName() + "-")
	}
	var out RegionAlarms
	p := cloudwatch.NewDescribeAlarmsPaginator(e.Clients.CloudWatch(s.Region), in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return RegionAlarms{Err: fmt.Errorf("CloudWatch in %s does not answer: %w", s.Region, err)}
		}
		for _, a := range page.MetricAlarms {
			name := aws.ToString(a.AlarmName)
			out.InAlarm = append(out.InAlarm, Alarm{Name: name, Reason: aws.ToString(a.StateReason),
				Since: aws.ToTime(a.StateUpdatedTimestamp), Routing: name == routing})
		}
	}
	slices.SortFunc(out.InAlarm, func(a, b Alarm) int { return strings.Compare(a.Name, b.Name) })
	return out
}
