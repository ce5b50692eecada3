package awstest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
)

// lagMetrics are the lag metrics Aurora publishes for an Aurora MySQL
// global database's secondary clusters (Amazon Aurora User Guide,
// "Monitoring an Amazon Aurora global database").
var lagMetrics = []string{"AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag", "AuroraGlobalDBProgressLag"}

// cwAPI is CloudWatch in one region.
type cwAPI struct {
	f      *AWS
	region string
}

// secondaries returns the clusters in the region that are secondaries of
// the global cluster: the ones Aurora publishes lag metrics for.
func (c cwAPI) secondaries() map[string]bool {
	f := c.f
	out := map[string]bool{}
	if f.Global == nil {
		return out
	}
	for _, arn := range f.Global.Members {
		if cl := f.Clusters[arn]; cl != nil && arn != f.Global.Writer && cl.Region == c.region {
			out[cl.Name] = true
		}
	}
	return out
}

// ListMetrics lists the Aurora global lag metrics of the region's
// secondaries (DBClusterIdentifier and SourceRegion, as Aurora publishes
// them) and of any cluster of the region with a lag history; a filter
// on a dimension matches a metric that also has others (ListMetrics, API
// reference).
func (c cwAPI) ListMetrics(_ context.Context, in *cloudwatch.ListMetricsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.ListMetricsOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	names := c.secondaries()
	for name := range f.LagHistory {
		for _, cl := range f.Clusters {
			if cl.Name == name && cl.Region == c.region {
				names[name] = true
			}
		}
	}
	w, _ := splitARN(f.Global.Writer)
	out := &cloudwatch.ListMetricsOutput{}
	for name := range names {
		for _, m := range lagMetrics {
			metric := cwtypes.Metric{Namespace: aws.String("AWS/RDS"), MetricName: aws.String(m), Dimensions: []cwtypes.Dimension{
				{Name: aws.String("DBClusterIdentifier"), Value: aws.String(name)}, {Name: aws.String("SourceRegion"), Value: aws.String(w)}}}
			if matches(metric, in) {
				out.Metrics = append(out.Metrics, metric)
			}
		}
	}
	return out, nil
}

func matches(m cwtypes.Metric, in *cloudwatch.ListMetricsInput) bool {
	if in.Namespace != nil && aws.ToString(in.Namespace) != aws.ToString(m.Namespace) ||
		in.MetricName != nil && aws.ToString(in.MetricName) != aws.ToString(m.MetricName) {
		return false
	}
	for _, f := range in.Dimensions {
		found := false
		for _, d := range m.Dimensions {
			found = found || aws.ToString(d.Name) == aws.ToString(f.Name) && (f.Value == nil || aws.ToString(d.Value) == aws.ToString(f.Value))
		}
		if !found {
			return false
		}
	}
	return true
}

// GetMetricData answers MetricStat queries of the lag metrics from the
// cluster's lag history, or with 150 ms shortly before EndTime for a
// secondary without one. As the API reference says, a request may hold
// one Metrics Insights query at most.
func (c cwAPI) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	insights := 0
	for _, q := range in.MetricDataQueries {
		if strings.HasPrefix(strings.TrimSpace(aws.ToString(q.Expression)), "SELECT") {
			insights++
		}
	}
	if insights > 1 {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "only one Metrics Insights query is allowed per request"}
	}
	start, end := aws.ToTime(in.StartTime), aws.ToTime(in.EndTime)
	out := &cloudwatch.GetMetricDataOutput{}
	secondaries := c.secondaries()
	for _, q := range in.MetricDataQueries {
		r := cwtypes.MetricDataResult{Id: q.Id}
		if q.MetricStat == nil || q.MetricStat.Metric == nil {
			out.MetricDataResults = append(out.MetricDataResults, r)
			continue
		}
		metric, cluster := aws.ToString(q.MetricStat.Metric.MetricName), ""
		for _, d := range q.MetricStat.Metric.Dimensions {
			if aws.ToString(d.Name) == "DBClusterIdentifier" {
				cluster = aws.ToString(d.Value)
			}
		}
		history, ok := f.LagHistory[cluster]
		if !ok && secondaries[cluster] {
			history = []LagPoint{{Metric: metric, At: end.Add(-30 * time.Second), Value: 150 * time.Millisecond}}
		}
		for _, p := range history {
			if p.Metric == metric && !p.At.Before(start) && p.At.Before(end) {
				r.Timestamps = append(r.Timestamps, p.At)
				r.Values = append(r.Values, float64(p.Value)/float64(time.Millisecond))
			}
		}
		out.MetricDataResults = append(out.MetricDataResults, r)
	}
	return out, nil
}

func (c cwAPI) PutMetricData(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	d := in.MetricData[0]
	f.record(c.region, "PutMetricData %s/%s=%v", aws.ToString(in.Namespace), aws.ToString(d.MetricName), aws.ToFloat64(d.Value))
	return &cloudwatch.PutMetricDataOutput{}, nil
}

// TopicARN is the alarm topic of the stack in region.
func TopicARN(region string) string {
	return "arn:aws:sns:" + region + ":111122223333:todomgmt-alarms"
}

// Alarm is a metric alarm of the fake deployment, notifying topic.
func Alarm(name, topic string, state cwtypes.StateValue, reason string) cwtypes.MetricAlarm {
	return cwtypes.MetricAlarm{AlarmName: aws.String(name), StateValue: state, StateReason: aws.String(reason),
		StateUpdatedTimestamp: aws.Time(time.Date(2026, 11, 5, 8, 30, 0, 0, time.UTC)),
		AlarmActions:          []string{topic}, OKActions: []string{topic}}
}

// DescribeAlarms answers the router's question (AlarmNames: the routing
// alarm's state) and status's (StateValue with ActionPrefix, which
// matches an alarm with an action starting with it, and AlarmNamePrefix),
// one alarm per page to exercise NextToken. AlarmNamePrefix with
// AlarmNames is a validation error, as the API reference says.
func (c cwAPI) DescribeAlarms(_ context.Context, in *cloudwatch.DescribeAlarmsInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error) {
	f := c.f
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.CWDown[c.region]; err != nil {
		return nil, err
	}
	if len(in.AlarmNames) == 0 {
		var match []cwtypes.MetricAlarm
		for _, a := range f.RegionAlarms[c.region] {
			if in.StateValue != "" && a.StateValue != in.StateValue ||
				in.AlarmNamePrefix != nil && !strings.HasPrefix(aws.ToString(a.AlarmName), aws.ToString(in.AlarmNamePrefix)) ||
				in.ActionPrefix != nil && !slices.ContainsFunc(a.AlarmActions, func(x string) bool { return strings.HasPrefix(x, aws.ToString(in.ActionPrefix)) }) {
				continue
			}
			match = append(match, a)
		}
		start := 0
		if t := aws.ToString(in.NextToken); t != "" {
			fmt.Sscan(t, &start)
		}
		out := &cloudwatch.DescribeAlarmsOutput{}
		if start < len(match) {
			out.MetricAlarms = match[start : start+1]
			if start+1 < len(match) {
				out.NextToken = aws.String(fmt.Sprint(start + 1))
			}
		}
		return out, nil
	}
	if in.AlarmNamePrefix != nil {
		return nil, &smithy.GenericAPIError{Code: "ValidationError", Message: "AlarmNamePrefix and AlarmNames cannot be used together"}
	}
	st, ok := f.Alarms[in.AlarmNames[0]]
	if !ok {
		return &cloudwatch.DescribeAlarmsOutput{}, nil
	}
	return &cloudwatch.DescribeAlarmsOutput{MetricAlarms: []cwtypes.MetricAlarm{{StateValue: st}}}, nil
}
