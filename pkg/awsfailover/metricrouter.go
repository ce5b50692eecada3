package awsfailover

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// Route 53 mode: the standby region's alarm drives the PRIMARY record's
// health check.
const (
	RoutingNamespace = "ToDoMgmt/Routing"
	RoutingMetric    = "PrimaryEnabled"
)

// MetricRouter is the Route 53 front door, "standby takes over primary":
// the PRIMARY failover record is healthy while an alarm in the standby
// region is OK. The alarm goes to ALARM when the metric PrimaryEnabled
// drops below 1, so routing to the standby is a PutMetricData of 0 in the
// standby region, and back is 1: no control-plane call in the primary's
// region, which may be the one that is down.
type MetricRouter struct {
	AppName       string
	PrimaryRegion string
	StandbyRegion string
	// AlarmName is the stack output RoutingAlarmName of the standby stack.
	AlarmName string
	Clients   *awsclient.Clients
	// Now stamps the datapoints; nil is time.Now.
	Now func() time.Time
}

var _ failover.Router = (*MetricRouter)(nil)

// Active reads the alarm in the standby region: ALARM means the standby
// takes traffic. OK and INSUFFICIENT_DATA mean the primary (the health
// check keeps its last status on missing data and starts healthy).
func (m *MetricRouter) Active(ctx context.Context) (string, error) {
	state, found, err := m.alarmState(ctx)
	if err != nil {
		return "", err
	}
	if !found {
		return "", fmt.Errorf("alarm %s not found in %s", m.AlarmName, m.StandbyRegion)
	}
	if state == cwtypes.StateValueAlarm {
		return m.StandbyRegion, nil
	}
	return m.PrimaryRegion, nil
}

// Seed routes to the primary only while the alarm has no data yet (or
// does not exist yet): the front door's first creation. Once the alarm
// has data, traffic is routed and is left alone, so a deploy after a
// failover does not move it. It reports whether it wrote, and the
// alarm's state when it did not.
func (m *MetricRouter) Seed(ctx context.Context) (wrote bool, state cwtypes.StateValue, err error) {
	state, found, err := m.alarmState(ctx)
	if err != nil {
		return false, "", err
	}
	if found && state != cwtypes.StateValueInsufficientData {
		return false, state, nil
	}
	if err := m.Route(ctx, m.PrimaryRegion); err != nil {
		return false, "", err
	}
	return true, state, nil
}

// alarmState reads the routing alarm in the standby region; found is
// false when there is no such metric alarm.
func (m *MetricRouter) alarmState(ctx context.Context) (state cwtypes.StateValue, found bool, err error) {
	out, err := m.Clients.CloudWatch(m.StandbyRegion).DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
		AlarmNames: []string{m.AlarmName},
		AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm},
	})
	if err != nil {
		return "", false, fmt.Errorf("read alarm %s in %s: %w", m.AlarmName, m.StandbyRegion, err)
	}
	if len(out.MetricAlarms) == 0 {
		return "", false, nil
	}
	return out.MetricAlarms[0].StateValue, true, nil
}

// Route writes PrimaryEnabled (0 for the standby, 1 for the primary) in
// the standby region. Calling it again writes again, which is harmless and
// keeps the alarm fed while it evaluates.
func (m *MetricRouter) Route(ctx context.Context, region string) error {
	var v float64
	switch region {
	case m.PrimaryRegion:
		v = 1
	case m.StandbyRegion:
		v = 0
	default:
		return fmt.Errorf("route to %s: the front door knows %s (primary) and %s (standby)", region, m.PrimaryRegion, m.StandbyRegion)
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	_, err := m.Clients.CloudWatch(m.StandbyRegion).PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace: aws.String(RoutingNamespace),
		MetricData: []cwtypes.MetricDatum{{
			MetricName: aws.String(RoutingMetric),
			Dimensions: []cwtypes.Dimension{{Name: aws.String("AppName"), Value: aws.String(m.AppName)}},
			Value:      aws.Float64(v),
			Unit:       cwtypes.StandardUnitCount,
			Timestamp:  aws.Time(now()),
		}},
	})
	if err != nil {
		return fmt.Errorf("put %s/%s=%v in %s: %w", RoutingNamespace, RoutingMetric, v, m.StandbyRegion, err)
	}
	return nil
}
