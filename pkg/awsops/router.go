package awsops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore"
	kvstypes "github.com/aws/aws-sdk-go-v2/service/cloudfrontkeyvaluestore/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// ActiveRegionKey is the KeyValueStore key naming the active region; the
// CloudFront Function routes every request to the origin with that id.
const ActiveRegionKey = "active-region"

// KVSRouter is the CloudFront front door: one key of a KeyValueStore names
// the region that takes traffic. Switching writes that key with the
// store's ETag (optimistic concurrency); the distribution is not edited.
type KVSRouter struct {
	// ARN is the KeyValueStore's ARN (stack output KeyValueStoreArn).
	ARN string
	// Regions are the values the function accepts (the origins' ids).
	Regions []string
	// Fallback is the region the function uses while the key is absent:
	// the primary stack's region.
	Fallback string
	Client   awsclient.KVSAPI
}

var _ failover.Router = (*KVSRouter)(nil)

// Active reads the key; an absent key means the function's fallback.
func (k *KVSRouter) Active(ctx context.Context) (string, error) {
	v, ok, _, err := k.get(ctx)
	if err != nil {
		return "", err
	}
	if !ok || !slices.Contains(k.Regions, v) {
		// The function falls back to its default for a missing or
		// unknown value: report what it does.
		return k.Fallback, nil
	}
	return v, nil
}

// get reads the key. GetKey answers ResourceNotFoundException both for a
// missing key and for a missing store (a wrong ARN): the store is then
// described, and only a store that exists makes the key absent. A wrong
// ARN must not read as "absent, so the fallback region is active". When
// it described the store, get also returns the store's ETag.
func (k *KVSRouter) get(ctx context.Context) (value string, ok bool, etag *string, err error) {
	out, err := k.Client.GetKey(ctx, &cloudfrontkeyvaluestore.GetKeyInput{KvsARN: aws.String(k.ARN), Key: aws.String(ActiveRegionKey)})
	var nf *kvstypes.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		d, derr := k.Client.DescribeKeyValueStore(ctx, &cloudfrontkeyvaluestore.DescribeKeyValueStoreInput{KvsARN: aws.String(k.ARN)})
		var snf *kvstypes.ResourceNotFoundException
		switch {
		case errors.As(derr, &snf):
			return "", false, nil, fmt.Errorf("the front door's KeyValueStore %s does not exist (check the primary stack's KeyValueStoreArn output, or %s): %w", k.ARN, EnvKVSARN, derr)
		case derr != nil:
			return "", false, nil, fmt.Errorf("read %s: the key is absent or the store is missing, and describing the store failed: %w", ActiveRegionKey, derr)
		}
		return "", false, d.ETag, nil
	case err != nil:
		return "", false, nil, fmt.Errorf("read %s from the front door's KeyValueStore: %w", ActiveRegionKey, err)
	}
	return aws.ToString(out.Value), true, nil, nil
}

// Route sets the key to region unless it already holds it. The write
// carries the store's current ETag (IfMatch); when another writer got in
// between, it reads the ETag again and retries a few times.
func (k *KVSRouter) Route(ctx context.Context, region string) error {
	if !slices.Contains(k.Regions, region) {
		return fmt.Errorf("route to %s: not a front door origin (origins: %v)", region, k.Regions)
	}
	_, err := k.put(ctx, region, false)
	return err
}

// Seed sets the key to region only when it is absent: the first deploy
// names the primary, later deploys never move traffic. It reports whether
// it wrote.
func (k *KVSRouter) Seed(ctx context.Context, region string) (bool, error) {
	return k.put(ctx, region, true)
}

func (k *KVSRouter) put(ctx context.Context, region string, onlyIfAbsent bool) (bool, error) {
	const attempts = 3
	var lastErr error
	for range attempts {
		v, ok, etag, err := k.get(ctx)
		if err != nil {
			return false, err
		}
		if ok && (v == region || onlyIfAbsent) {
			return false, nil
		}
		if etag == nil {
			d, err := k.Client.DescribeKeyValueStore(ctx, &cloudfrontkeyvaluestore.DescribeKeyValueStoreInput{KvsARN: aws.String(k.ARN)})
			if err != nil {
				return false, fmt.Errorf("describe the front door's KeyValueStore: %w", err)
			}
			etag = d.ETag
		}
		_, err = k.Client.PutKey(ctx, &cloudfrontkeyvaluestore.PutKeyInput{
			KvsARN:  aws.String(k.ARN),
			Key:     aws.String(ActiveRegionKey),
			Value:   aws.String(region),
			IfMatch: etag,
		})
		var conflict *kvstypes.ConflictException
		if errors.As(err, &conflict) {
			lastErr = err
			continue
		}
		if err != nil {
			return false, fmt.Errorf("write %s=%s to the front door's KeyValueStore: %w", ActiveRegionKey, region, err)
		}
		return true, nil
	}
	return false, fmt.Errorf("write %s=%s: the KeyValueStore kept changing: %w", ActiveRegionKey, region, lastErr)
}

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
