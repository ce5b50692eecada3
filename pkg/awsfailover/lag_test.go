package awsfailover

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/internal/awstest"
	"github.com/todomgmt/todomgmt/pkg/failover"
)

const (
	replLag     = "AuroraGlobalDBReplicationLag"
	rpoLag      = "AuroraGlobalDBRPOLag"
	progressLag = "AuroraGlobalDBProgressLag"
)

// at is a wall-clock time on the day of the tests' fault.
func at(hhmmss string) time.Time {
	t, err := time.Parse(time.TimeOnly, hhmmss)
	if err != nil {
		panic(err)
	}
	return time.Date(2026, 11, 5, t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
}

// minutes returns metric's one-minute datapoints from first to last
// (inclusive), with value(t) at each.
func minutes(metric string, first, last time.Time, value func(time.Time) time.Duration) []lagPoint {
	var out []lagPoint
	for t := first; !t.After(last); t = t.Add(time.Minute) {
		out = append(out, lagPoint{metric: metric, at: t, value: value(t)})
	}
	return out
}

func constant(d time.Duration) func(time.Time) time.Duration {
	return func(time.Time) time.Duration { return d }
}

// climbing is a lag that grows with the clock from stall on: what the
// secondary publishes while nothing arrives.
func climbing(stall time.Time) func(time.Time) time.Duration {
	return func(t time.Time) time.Duration { return t.Sub(stall) }
}

// series joins datapoints, sorted as lagSeries returns them.
func series(parts ...[]lagPoint) []lagPoint {
	var out []lagPoint
	for _, p := range parts {
		out = append(out, p...)
	}
	sortPoints(out)
	return out
}

func sortPoints(pts []lagPoint) {
	for i := 1; i < len(pts); i++ {
		for j := i; j > 0 && (pts[j].at.Before(pts[j-1].at) || pts[j].at.Equal(pts[j-1].at) && pts[j].metric < pts[j-1].metric); j-- {
			pts[j], pts[j-1] = pts[j-1], pts[j]
		}
	}
}

func used(pts []lagPoint, from, to time.Time) []failover.LagDatapoint {
	var out []failover.LagDatapoint
	for _, p := range pts {
		if !p.at.Before(from) && !p.at.After(to) {
			out = append(out, failover.LagDatapoint{Metric: p.metric, At: p.at, Value: p.value})
		}
	}
	return out
}

// TestLagEvidence: the fault is found in the secondary's lag history
// whichever way Aurora shows it (the series stops, or it climbs with the
// clock), and the bound is the largest lag in the five minutes before
// it, whenever the plan runs.
func TestLagEvidence(t *testing.T) {
	healthy := series(
		minutes(replLag, at("09:00:00"), at("09:30:00"), constant(200*time.Millisecond)),
		minutes(rpoLag, at("09:00:00"), at("09:30:00"), constant(350*time.Millisecond)),
		// A spike well before the fault: not in the window.
		[]lagPoint{{metric: replLag, at: at("09:10:30"), value: 9 * time.Second}},
		// The lag just before the fault.
		[]lagPoint{{metric: rpoLag, at: at("09:28:30"), value: 1200 * time.Millisecond}},
	)
	stall := at("09:30:20")
	climb := minutes(progressLag, at("09:31:00"), at("12:00:00"), climbing(stall))
	for _, tt := range []struct {
		name string
		pts  []lagPoint
		now  time.Time
		want failover.LagEvidence
		why  string
	}{
		{
			name: "no datapoints",
			now:  at("12:00:00"),
			want: failover.LagEvidence{},
			why:  "no lag datapoint in the last 24h0m0s",
		},
		{
			name: "live: no fault in the history",
			pts:  healthy,
			now:  at("09:31:00"),
			want: failover.LagEvidence{Bound: 1200 * time.Millisecond, Known: true, From: at("09:25:00"), To: at("09:30:00"),
				Used: used(healthy, at("09:25:00"), at("09:30:00"))},
			why: "replication was live at 2026-11-05T09:30:00Z",
		},
		{
			name: "the datapoints stop, read minutes later",
			pts:  healthy,
			now:  at("09:40:00"),
			want: failover.LagEvidence{Bound: 1200 * time.Millisecond, Known: true, FaultAt: at("09:30:00"), From: at("09:25:00"), To: at("09:30:00"),
				Used: used(healthy, at("09:25:00"), at("09:30:00"))},
			why: "the datapoints stop after 2026-11-05T09:30:00Z (10m0s before this read)",
		},
		{
			name: "the datapoints stop, read hours later: the same bound",
			pts:  healthy,
			now:  at("15:00:00"),
			want: failover.LagEvidence{Bound: 1200 * time.Millisecond, Known: true, FaultAt: at("09:30:00"), From: at("09:25:00"), To: at("09:30:00"),
				Used: used(healthy, at("09:25:00"), at("09:30:00"))},
			why: "the datapoints stop after 2026-11-05T09:30:00Z (5h30m0s before this read)",
		},
		{
			name: "the lag climbs with the clock, read hours later",
			pts:  series(healthy, climb),
			now:  at("12:00:30"),
			want: failover.LagEvidence{Bound: 1200 * time.Millisecond, Known: true, FaultAt: stall, From: stall.Add(-5 * time.Minute), To: stall,
				Used: used(healthy, stall.Add(-5*time.Minute), stall)},
			why: "the lag climbs with the clock from 2026-11-05T09:31:00Z on (150 datapoints, 2h29m40s at 2026-11-05T12:00:00Z): replication stopped at 2026-11-05T09:30:20Z",
		},
		{
			name: "climbed, then stopped when promoted: the fault is where it climbed",
			pts:  series(healthy, minutes(progressLag, at("09:31:00"), at("09:45:00"), climbing(stall))),
			now:  at("12:00:00"),
			want: failover.LagEvidence{Bound: 1200 * time.Millisecond, Known: true, FaultAt: stall, From: stall.Add(-5 * time.Minute), To: stall,
				Used: used(healthy, stall.Add(-5*time.Minute), stall)},
			why: "replication stopped at 2026-11-05T09:30:20Z",
		},
		{
			name: "a spike that moves with the clock is not a climb",
			pts: series(healthy, []lagPoint{
				{metric: replLag, at: at("09:31:00"), value: 40 * time.Second},
				{metric: replLag, at: at("09:32:00"), value: 45 * time.Second},
			}),
			now: at("09:32:30"),
			want: failover.LagEvidence{Bound: 45 * time.Second, Known: true, From: at("09:27:00"), To: at("09:32:00"),
				Used: used(series(healthy, []lagPoint{
					{metric: replLag, at: at("09:31:00"), value: 40 * time.Second},
					{metric: replLag, at: at("09:32:00"), value: 45 * time.Second},
				}), at("09:27:00"), at("09:32:00"))},
			why: "replication was live at 2026-11-05T09:32:00Z",
		},
		{
			name: "one high datapoint at the end is not a climb",
			pts:  series(healthy, []lagPoint{{metric: progressLag, at: at("09:31:00"), value: 40 * time.Second}}),
			now:  at("09:50:00"),
			want: failover.LagEvidence{Bound: 40 * time.Second, Known: true, FaultAt: at("09:31:00"), From: at("09:26:00"), To: at("09:31:00"),
				Used: used(series(healthy, []lagPoint{{metric: progressLag, at: at("09:31:00"), value: 40 * time.Second}}), at("09:26:00"), at("09:31:00"))},
			why: "the datapoints stop after 2026-11-05T09:31:00Z",
		},
		{
			name: "climbing since before the history read: no bound",
			pts:  minutes(progressLag, at("09:31:00"), at("12:00:00"), climbing(stall)),
			now:  at("12:00:30"),
			want: failover.LagEvidence{FaultAt: stall, From: stall.Add(-5 * time.Minute), To: stall},
			why:  "no datapoint between 2026-11-05T09:25:20Z and 2026-11-05T09:30:20Z to bound it",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := lagEvidence(tt.pts, tt.now, DefaultLagLookback)
			if !strings.Contains(got.Why, tt.why) {
				t.Errorf("why %q, want it to contain %q", got.Why, tt.why)
			}
			got.Why = ""
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("evidence (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLagEvidenceReadsTheHistory: the history is read in the member's
// region over the lookback, as MetricStat queries of the listed metrics,
// every page.
func TestLagEvidenceReadsTheHistory(t *testing.T) {
	now := at("12:00:00")
	rec := awstest.NewRecorder(t)
	rec.Canned["ListMetrics"] = lagMetricsOf("todomgmt-us-west-2", east)
	pages := 0
	rec.Canned["GetMetricData"] = func(_ string, in any) (any, error) {
		q := in.(*cloudwatch.GetMetricDataInput)
		pages++
		out := &cloudwatch.GetMetricDataOutput{}
		for _, mq := range q.MetricDataQueries {
			r := cwtypes.MetricDataResult{Id: mq.Id}
			if aws.ToString(mq.MetricStat.Metric.MetricName) == rpoLag {
				// Two pages: the history up to the fault, then the rest.
				if q.NextToken == nil {
					r.Timestamps = []time.Time{at("09:27:00"), at("09:28:00")}
					r.Values = []float64{300, 700}
				} else {
					r.Timestamps = []time.Time{at("09:29:00"), at("09:30:00")}
					r.Values = []float64{1100, 250}
				}
			}
			out.MetricDataResults = append(out.MetricDataResults, r)
		}
		if q.NextToken == nil {
			out.NextToken = aws.String("page2")
		}
		return out, nil
	}
	db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients(), Now: func() time.Time { return now }}
	ev, err := db.LagEvidence(context.Background(), members[westARN])
	if err != nil {
		t.Fatal(err)
	}
	if pages != 2 {
		t.Errorf("%d GetMetricData pages read, want 2", pages)
	}
	if !ev.Known || ev.Bound != 1100*time.Millisecond || !ev.FaultAt.Equal(at("09:30:00")) || ev.Region != west || len(ev.Used) != 4 {
		t.Errorf("evidence %+v, want a bound of 1.1s from the 4 datapoints before the stop at 09:30 in %s", ev, west)
	}
	checkLagQueries(t, rec, now.Add(-DefaultLagLookback), now, 2)
}

func TestLagEvidenceErrors(t *testing.T) {
	rec := awstest.NewRecorder(t)
	rec.Canned["ListMetrics"] = func(string, any) (any, error) { return nil, errors.New("AccessDenied: cloudwatch:ListMetrics") }
	db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients()}
	if _, err := db.LagEvidence(context.Background(), members[westARN]); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("error %v, want the ListMetrics failure", err)
	}
	if _, err := db.LagEvidence(context.Background(), failover.Member{Region: west, ID: "todomgmt-us-west-2"}); err == nil || !strings.Contains(err.Error(), "not a DB cluster ARN") {
		t.Errorf("error %v, want an ARN error", err)
	}
}

// TestTopologyFromAsksOneRegion: TopologyFrom describes the global
// cluster in the named region only, so an unplanned failover sees the
// target region's view even when the lost region still answers with
// its own.
func TestTopologyFromAsksOneRegion(t *testing.T) {
	rec := awstest.NewRecorder(t)
	rec.Canned["DescribeGlobalClusters"] = func(region string, in any) (any, error) {
		if region == east {
			// The lost region's stale view: itself the writer.
			return globalCluster(eastARN)(region, in)
		}
		return globalCluster(westARN)(region, in)
	}
	rec.Canned["DescribeDBClusters"] = func(string, any) (any, error) { return &rds.DescribeDBClustersOutput{}, nil }
	rec.Canned["ListMetrics"] = func(string, any) (any, error) { return &cloudwatch.ListMetricsOutput{}, nil }
	db := &Database{GlobalClusterID: global, Regions: []string{east, west}, Clients: rec.Clients()}
	top, err := db.TopologyFrom(context.Background(), west)
	if err != nil {
		t.Fatal(err)
	}
	if w, ok := top.Writer(); !ok || w.Region != west {
		t.Errorf("writer %+v, want %s as %s sees it", w, west, west)
	}
	for _, c := range rec.Calls("DescribeGlobalClusters") {
		if c.Region != west {
			t.Errorf("DescribeGlobalClusters called in %s, want only %s", c.Region, west)
		}
	}

	rec.Canned["DescribeGlobalClusters"] = func(region string, in any) (any, error) {
		if region == west {
			return nil, &net503{}
		}
		return globalCluster(eastARN)(region, in)
	}
	if _, err := db.TopologyFrom(context.Background(), west); err == nil || !strings.Contains(err.Error(), "us-west-2: ") || strings.Contains(err.Error(), east) {
		t.Errorf("error %v, want the target region's failure (no other region asked)", err)
	}
}
