package awsfailover

// The replication lag of a secondary cluster, read from CloudWatch.
//
// Aurora publishes an Aurora MySQL global database's lag metrics for each
// secondary cluster, in the secondary's region, namespace AWS/RDS, in
// milliseconds, with the dimensions DBClusterIdentifier and SourceRegion
// (Amazon Aurora User Guide, "Monitoring an Amazon Aurora global
// database" and "Metrics reference for Amazon Aurora"):
//   - AuroraGlobalDBReplicationLag: how far the secondary is behind the
//     primary;
//   - AuroraGlobalDBRPOLag: the recovery point objective lag, the time
//     until a commit on the primary is stored on the secondary;
//   - AuroraGlobalDBProgressLag (Aurora MySQL 3.09 and later): the lag
//     between the primary and the secondary, which "may continue to
//     increase until the resolution of the unplanned event" while the
//     secondary keeps serving reads ("Cross-Region resiliency for Global
//     Database secondary clusters").
//
// The primary publishes none of them, so a cluster's series ends when it
// is promoted. CloudWatch keeps one-minute datapoints for 15 days
// (GetMetricData, API reference), which is what lets a plan made hours
// after the fault read the lag around it.

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

// lagMetrics are the secondary's lag metrics; the largest is the bound.
var lagMetrics = []string{"AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag", "AuroraGlobalDBProgressLag"}

const (
	// lagPeriod is the metrics' resolution: RDS publishes them every
	// minute, and they are read as the Maximum per minute.
	lagPeriod = time.Minute
	// lagFreshness is how old the latest datapoint may be to count as
	// the lag now; a series older than that has stopped.
	lagFreshness = 5 * time.Minute
	// DefaultLagLookback is how much lag history LagEvidence reads when
	// Database.LagLookback is zero: a plan a day after the fault still
	// finds it.
	DefaultLagLookback = 24 * time.Hour
	// faultWindow is how far before the fault the datapoints are taken:
	// the lag at the moment the writer became unreachable, with a few
	// minutes of margin for the metric's resolution.
	faultWindow = 5 * time.Minute
	// climbMin is the smallest lag that counts as part of a climb: far
	// above a healthy global database's (typically under a second).
	climbMin = 30 * time.Second
)

// lagPoint is one datapoint of one lag metric.
type lagPoint struct {
	metric string
	at     time.Time
	value  time.Duration
}

// lagSeries returns the cluster's lag datapoints between start and end,
// oldest first. ListMetrics finds the dimension sets the metrics are
// published with (it returns a metric that has the given dimension among
// others, so SourceRegion need not be guessed); GetMetricData reads them,
// every page. Metrics Insights is not used: a GetMetricData call may hold
// only one Insights query, and it reaches back three hours only.
func lagSeries(ctx context.Context, cw awsclient.CloudWatchAPI, name string, start, end time.Time) ([]lagPoint, error) {
	var metrics []cwtypes.Metric
	lp := cloudwatch.NewListMetricsPaginator(cw, &cloudwatch.ListMetricsInput{
		Namespace:  aws.String("AWS/RDS"),
		Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("DBClusterIdentifier"), Value: aws.String(name)}},
	})
	for lp.HasMorePages() {
		page, err := lp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the metrics of %s: %w", name, err)
		}
		for _, m := range page.Metrics {
			if slices.Contains(lagMetrics, aws.ToString(m.MetricName)) {
				metrics = append(metrics, m)
			}
		}
	}
	if len(metrics) == 0 {
		return nil, nil
	}
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(end), ScanBy: cwtypes.ScanByTimestampAscending}
	names := map[string]string{}
	for i, m := range metrics {
		id := fmt.Sprintf("lag%d", i)
		names[id] = aws.ToString(m.MetricName)
		in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
			Id:         aws.String(id),
			MetricStat: &cwtypes.MetricStat{Metric: &metrics[i], Period: aws.Int32(int32(lagPeriod / time.Second)), Stat: aws.String("Maximum")},
			ReturnData: aws.Bool(true),
		})
	}
	var out []lagPoint
	gp := cloudwatch.NewGetMetricDataPaginator(cw, in)
	for gp.HasMorePages() {
		page, err := gp.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("read the lag metrics of %s: %w", name, err)
		}
		for _, r := range page.MetricDataResults {
			name := names[aws.ToString(r.Id)]
			for j, ts := range r.Timestamps {
				if j < len(r.Values) {
					out = append(out, lagPoint{metric: name, at: ts, value: time.Duration(r.Values[j] * float64(time.Millisecond))})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b lagPoint) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.metric, b.metric))
	})
	return out, nil
}

// currentLag is the secondary's lag at end, read from pts (its last
// quarter of an hour): the largest of each metric's latest datapoint,
// when that datapoint is under lagFreshness old.
func currentLag(pts []lagPoint, end time.Time) (time.Duration, bool) {
	latest := map[string]lagPoint{}
	for _, p := range pts {
		if l, ok := latest[p.metric]; !ok || p.at.After(l.at) {
			latest[p.metric] = p
		}
	}
	var lag time.Duration
	known := false
	for _, p := range latest {
		if end.Sub(p.at) > lagFreshness {
			continue
		}
		lag, known = max(lag, p.value), true
	}
	return lag, known
}

// lagEvidence finds the fault in a secondary's lag history (pts, oldest
// first, read at now) and bounds the lost writes with the largest lag in
// the minutes before it:
//
//   - the lag climbs with the clock at the end of the history (Aurora
//     MySQL 3.09 and later keep publishing while nothing arrives):
//     timestamp minus lag, the primary's time the secondary had caught up
//     to, stays put; that is when replication stopped;
//   - the datapoints stop (older engines stop publishing while the
//     primary is unreachable, and a promoted cluster publishes none): the
//     writer became unreachable, or the member was promoted, in the minute
//     after the last one;
//   - neither: replication was still live at the last datapoint, and the
//     bound is the lag over its last minutes (the fault, if any, is not
//     in the replication: an API outage, say).
//
// A climb is checked first, so a series that climbed and then stopped
// (promoted after the fault) dates the fault from the climb.
func lagEvidence(pts []lagPoint, now time.Time, lookback time.Duration) failover.LagEvidence {
	if len(pts) == 0 {
		return failover.LagEvidence{Why: fmt.Sprintf("no lag datapoint in the last %s (the cluster was not a secondary then, or CloudWatch has none)", lookback)}
	}
	// The largest value per timestamp: the series the fault is found in.
	var series []lagPoint
	for _, p := range pts {
		if n := len(series); n > 0 && series[n-1].at.Equal(p.at) {
			series[n-1].value = max(series[n-1].value, p.value)
			continue
		}
		series = append(series, p)
	}
	last := series[len(series)-1]
	var ev failover.LagEvidence
	switch c := climbStart(series); {
	case c >= 0:
		fault := last.at.Add(-last.value)
		ev.FaultAt, ev.From, ev.To = fault, fault.Add(-faultWindow), fault
		ev.Why = fmt.Sprintf("the lag climbs with the clock from %s on (%d datapoints, %s at %s): replication stopped at %s, and the writer was unreachable from then; writes the old writer took after that, if it kept running, are lost too",
			stamp(series[c].at), len(series)-c, last.value.Round(time.Second), stamp(last.at), stamp(fault))
	case now.Sub(last.at) > lagFreshness:
		ev.FaultAt, ev.From, ev.To = last.at, last.at.Add(-faultWindow), last.at
		ev.Why = fmt.Sprintf("the datapoints stop after %s (%s before this read): the writer became unreachable, or this cluster was promoted, within a minute after it",
			stamp(last.at), now.Sub(last.at).Round(time.Second))
	default:
		ev.From, ev.To = last.at.Add(-faultWindow), last.at
		ev.Why = fmt.Sprintf("replication was live at %s (the lag is still published and not climbing): no fault in the history, so the bound is the lag over its last %s",
			stamp(last.at), faultWindow)
	}
	for _, p := range pts {
		if p.at.Before(ev.From) || p.at.After(ev.To) {
			continue
		}
		ev.Used = append(ev.Used, failover.LagDatapoint{Metric: p.metric, At: p.at, Value: p.value})
		ev.Bound, ev.Known = max(ev.Bound, p.value), true
	}
	if !ev.Known {
		ev.Why += fmt.Sprintf("; but no datapoint between %s and %s to bound it (the history read starts at %s)",
			stamp(ev.From), stamp(ev.To), stamp(now.Add(-lookback)))
	}
	return ev
}

// climbStart returns the index where a climb at the end of the series
// starts, or -1: at least two datapoints, each at least climbMin, whose
// origin (timestamp minus lag) stays within half a period of the last
// one's. A lag that grows one second per second means nothing arrives;
// a transient spike moves its origin along with the clock.
func climbStart(series []lagPoint) int {
	n := len(series)
	last := series[n-1]
	origin := last.at.Add(-last.value)
	c := -1
	for i := n - 1; i >= 0; i-- {
		p := series[i]
		drift := p.at.Add(-p.value).Sub(origin)
		if p.value < climbMin || drift > lagPeriod/2 || drift < -lagPeriod/2 {
			break
		}
		c = i
	}
	if c < 0 || n-c < 2 {
		return -1
	}
	return c
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
