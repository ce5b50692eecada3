package readiness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/todomgmt/todomgmt/pkg/apiclient"
	"github.com/todomgmt/todomgmt/pkg/awsclient"
	"github.com/todomgmt/todomgmt/pkg/awsfailover"
	"github.com/todomgmt/todomgmt/pkg/failover"
	"github.com/todomgmt/todomgmt/pkg/failover/assess"
	"github.com/todomgmt/todomgmt/pkg/failover/orchestrator"
	"github.com/todomgmt/todomgmt/pkg/failover/plan"
)

// The metric: one datum per plan and run, in the function's region. The
// alarms (template.yaml) and the role's PutMetricData condition name the
// same namespace.
const (
	Namespace  = "ToDoMgmt/Readiness"
	MetricName = "Ready"
	// DimensionAppName and DimensionPlan are the datum's dimensions; the
	// plan's value is failover.KindPlanned or KindUnplanned.
	DimensionAppName = "AppName"
	DimensionPlan    = "Plan"
	// LogMessage is the msg of the log line of each plan.
	LogMessage = "readiness"
)

// publishTimeout bounds PutMetricData, in the function's own region.
const publishTimeout = 10 * time.Second

// MetricsAPI is the part of the CloudWatch API the function uses.
type MetricsAPI interface {
	PutMetricData(context.Context, *cloudwatch.PutMetricDataInput, ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// Checker evaluates and reports readiness.
type Checker struct {
	AppName string
	// Region is the region whose point of view is judged.
	Region string
	// Orchestrator reads the deployment; it is never asked to execute.
	Orchestrator *orchestrator.Orchestrator
	// Options are the plans' options (the lag bound).
	Options plan.Options
	// Metrics puts the datums in the function's region.
	Metrics MetricsAPI
	// Logger receives one line per plan (JSON in Lambda).
	Logger *slog.Logger
}

// New builds the checker of cfg over clients (pkg/awsclient):
// the global database and its proxies and safeguards as seen from both
// regions, the front door of cfg.FrontDoorMode, and both regions' APIs and
// user pools.
func New(cfg Config, clients *awsclient.Clients, logger *slog.Logger) *Checker {
	regions := []string{cfg.Region, cfg.PeerRegion}
	db := &awsfailover.Database{
		GlobalClusterID: cfg.GlobalClusterID, Regions: regions, Clients: clients,
		Proxies:                map[string]string{cfg.Region: cfg.ProxyName, cfg.PeerRegion: cfg.ProxyName},
		WantDeletionProtection: cfg.WantDeletionProtection, WantBackupRetention: cfg.WantBackupRetention,
	}
	apis := map[string]string{cfg.Region: cfg.APIURL}
	pools := map[string]string{cfg.Region: cfg.UserPoolID}
	if cfg.PeerAPIURL != "" {
		apis[cfg.PeerRegion] = cfg.PeerAPIURL
	}
	if cfg.PeerUserPoolID != "" {
		pools[cfg.PeerRegion] = cfg.PeerUserPoolID
	}
	// Tokens without pools: the function never writes, and a write
	// attempted by mistake fails for want of a token.
	prober := &awsfailover.Prober{
		Prober:    &apiclient.Prober{APIs: apis, HTTP: clients.HTTP, Tokens: &awsfailover.Tokens{Clients: clients}},
		UserPools: pools, Clients: clients,
	}
	return &Checker{
		AppName: cfg.AppName,
		Region:  cfg.Region,
		Orchestrator: &orchestrator.Orchestrator{
			DB: db, Router: router(cfg, clients), Prober: prober, Regions: regions,
			Timeouts: orchestrator.Timeouts{Probe: cfg.ProbeTimeout},
		},
		Options: plan.Options{MaxLag: cfg.MaxLag},
		Metrics: clients.CloudWatch(cfg.Region),
		Logger:  logger,
	}
}

// router is the front door the function reads: the KeyValueStore in
// CloudFront mode (its ARN known once the primary's second deploy pass
// created it), the standby region's routing alarm in Route 53 mode.
func router(cfg Config, clients *awsclient.Clients) failover.Router {
	standby := cfg.PeerRegion
	if cfg.PrimaryRegion == cfg.PeerRegion {
		standby = cfg.Region
	}
	switch {
	case cfg.FrontDoorMode == FrontDoorCloudFront && cfg.KVSARN != "":
		return &awsfailover.KVSRouter{ARN: cfg.KVSARN, Regions: []string{cfg.Region, cfg.PeerRegion}, Fallback: cfg.PrimaryRegion, Client: clients.KVS}
	case cfg.FrontDoorMode == FrontDoorCloudFront:
		return noRouter{errors.New("the front door's KeyValueStore is not known to this stack yet (the secondary learns it from the primary's second deploy pass: run go tool mage deploy)")}
	case cfg.FrontDoorMode == FrontDoorRoute53:
		return &awsfailover.MetricRouter{AppName: cfg.AppName, PrimaryRegion: cfg.PrimaryRegion, StandbyRegion: standby, AlarmName: cfg.RoutingAlarm, Clients: clients}
	}
	return noRouter{awsfailover.ErrNoFrontDoor}
}

// noRouter is a front door that cannot be read, and says why.
type noRouter struct{ err error }

func (r noRouter) Active(context.Context) (string, error) { return "", r.err }
func (r noRouter) Route(context.Context, string) error    { return r.err }

// Result is what a run found, which the function returns.
type Result struct {
	Region string        `json:"region"`
	At     time.Time     `json:"at"`
	Took   time.Duration `json:"took"`
	Plans  []PlanResult  `json:"plans"`
}

// PlanResult is one plan's readiness.
type PlanResult struct {
	Plan    failover.Kind  `json:"plan"`
	Ready   bool           `json:"ready"`
	To      string         `json:"to,omitempty"`
	Failing []plan.Finding `json:"failing"`
}

// Run evaluates readiness from the checker's region, logs one line per
// plan and publishes one datum per plan. It fails only when the datums
// cannot be published: a failing check is a 0, and a run that publishes
// nothing leaves the alarms' missing data, which they treat as not ready.
func (c *Checker) Run(ctx context.Context) (Result, error) {
	began := time.Now()
	s, rs := c.Orchestrator.Readiness(ctx, c.Region, c.Options)
	res := Result{Region: c.Region, At: s.At, Took: time.Since(began)}
	for _, r := range rs {
		res.Plans = append(res.Plans, PlanResult{Plan: r.Kind, Ready: r.Ready, To: r.To, Failing: r.Failing})
		c.log(ctx, r, res.Took)
	}
	if err := c.publish(ctx, s.At, rs); err != nil {
		return res, err
	}
	return res, nil
}

// log writes r as one line: INFO when ready, WARN when not, the failing
// checks with their details, and what was passed and skipped.
func (c *Checker) log(ctx context.Context, r assess.Readiness, took time.Duration) {
	level := slog.LevelInfo
	if !r.Ready {
		level = slog.LevelWarn
	}
	c.Logger.LogAttrs(ctx, level, LogMessage,
		slog.String("plan", string(r.Kind)),
		slog.String("region", r.From),
		slog.String("to", r.To),
		slog.Bool("ready", r.Ready),
		slog.Any("failing", r.Failing),
		slog.Any("skipped", orEmpty(r.Skipped)),
		slog.Any("passed", r.Passed),
		slog.Int64("tookMs", took.Milliseconds()),
	)
}

func orEmpty(s []plan.Skip) []plan.Skip {
	if s == nil {
		return []plan.Skip{}
	}
	return s
}

// publish puts one Ready datum per plan, stamped with the evaluation's
// start.
func (c *Checker) publish(ctx context.Context, at time.Time, rs []assess.Readiness) error {
	in := &cloudwatch.PutMetricDataInput{Namespace: aws.String(Namespace)}
	for _, r := range rs {
		v := 0.0
		if r.Ready {
			v = 1
		}
		in.MetricData = append(in.MetricData, cwtypes.MetricDatum{
			MetricName: aws.String(MetricName),
			Dimensions: []cwtypes.Dimension{
				{Name: aws.String(DimensionAppName), Value: aws.String(c.AppName)},
				{Name: aws.String(DimensionPlan), Value: aws.String(string(r.Kind))},
			},
			Value:     aws.Float64(v),
			Unit:      cwtypes.StandardUnitNone,
			Timestamp: aws.Time(at),
		})
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout)
	defer cancel()
	if _, err := c.Metrics.PutMetricData(ctx, in); err != nil {
		return fmt.Errorf("put %s/%s in %s: %w", Namespace, MetricName, c.Region, err)
	}
	return nil
}

// Handle is the function's handler: the payload is the scheduled
// EventBridge event (or {} for a manual invoke), which carries nothing
// the run needs; anything but a JSON object is refused.
func (c *Checker) Handle(ctx context.Context, payload json.RawMessage) (Result, error) {
	var ev map[string]any
	if err := json.Unmarshal(payload, &ev); err != nil || ev == nil {
		return Result{}, fmt.Errorf("payload: want the scheduled event (a JSON object) or {}, got %.100q", payload)
	}
	return c.Run(ctx)
}
