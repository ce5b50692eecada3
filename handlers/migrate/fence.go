package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/mysql"
)

// FenceRequest is the "fence" of a {"action":"fence-ids","fence":{...}}
// invoke: what the failover orchestrator asks once the target region's
// cluster is the writer.
type FenceRequest struct {
	// Region is the region whose writer may create from now on. It must
	// be this function's own region: the fence names the region of the
	// writer it runs on.
	Region string `json:"region"`
	// DataLoss: an unplanned failover, after which ids the old writer
	// issued may be missing here.
	DataLoss bool `json:"dataLoss"`
	// LagSeconds is the replication lag measured at the fault (0: unknown,
	// or a planned move).
	LagSeconds float64 `json:"lagSeconds"`
	// MinGap is the gap's floor with dataLoss; 0 means
	// mysql.DefaultFenceFloor.
	MinGap int64 `json:"minGap"`
}

// FenceResponse is the answer of a fence-ids invoke: mysql.FenceResult as
// JSON.
type FenceResponse struct {
	Region        string  `json:"region"`
	Term          int64   `json:"term"`
	Skipped       bool    `json:"skipped"`
	MaxID         int64   `json:"maxId"`
	Floor         int64   `json:"floor"`
	Gap           int64   `json:"gap"`
	Rate          float64 `json:"rate"`
	WindowSeconds float64 `json:"windowSeconds"`
	Reason        string  `json:"reason"`
}

// fenceFunc opens creates in a region on its writer.
type fenceFunc func(ctx context.Context, req FenceRequest) (FenceResponse, error)

// parseFence decodes the fence of a fence-ids invoke strictly: unknown
// fields, a missing region, a negative or non-finite lag and a negative gap
// are errors, never defaults.
func parseFence(raw json.RawMessage) (FenceRequest, error) {
	var req FenceRequest
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return req, errors.New(`fence-ids needs "fence": {"region": …, "dataLoss": …, "lagSeconds": …, "minGap": …}`)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, fmt.Errorf("fence: %w", err)
	}
	if err := mysql.ValidateRegion(req.Region); err != nil {
		return req, fmt.Errorf("fence.region: %w", err)
	}
	if req.LagSeconds < 0 || math.IsNaN(req.LagSeconds) || req.LagSeconds > 365*24*3600 {
		return req, fmt.Errorf("fence.lagSeconds %v must be 0 (unknown) or a positive number of seconds", req.LagSeconds)
	}
	if req.MinGap < 0 {
		return req, fmt.Errorf("fence.minGap %d must be 0 (the default floor, %d) or positive", req.MinGap, mysql.DefaultFenceFloor)
	}
	return req, nil
}

// Fence runs the id fence (mysql.FenceIDs) on this region's writer, as the
// master user through the read/write endpoint. It refuses a fence that
// names another region than this function's own (TODOMGMT_REGION, else
// AWS_REGION): the fence must name the region of the writer it runs on,
// or no region could create. On a read-only server (no writer here yet) it
// fails and says so: the orchestrator calls it only after the promotion.
func (m *migrator) Fence(ctx context.Context, req FenceRequest) (FenceResponse, error) {
	region, err := mysql.RegionFromEnv(m.getenv)
	if err != nil {
		return FenceResponse{}, err
	}
	if req.Region != region {
		return FenceResponse{}, fmt.Errorf("fence-ids names %s, but this function runs in %s: invoke the migrate function of %s", req.Region, region, req.Region)
	}
	cfg, err := dbconn.FromEnv(m.getenv)
	if err != nil {
		return FenceResponse{}, err
	}
	cfg.MaxOpenConns = 1
	pools, err := m.open(ctx, cfg)
	if err != nil {
		return FenceResponse{}, err
	}
	defer pools.Close()
	res, err := mysql.FenceIDs(ctx, pools.Writer, mysql.Fence{
		Region:   req.Region,
		DataLoss: req.DataLoss,
		Lag:      time.Duration(req.LagSeconds * float64(time.Second)),
		MinGap:   req.MinGap,
	})
	if errors.Is(err, mysql.ErrReadOnly) {
		return FenceResponse{}, fmt.Errorf("%w: this region's read/write endpoint reaches a read-only server; run fence-ids after the promotion has made %s the writer", err, region)
	}
	if err != nil {
		return FenceResponse{}, err
	}
	return FenceResponse{
		Region: res.Region, Term: res.Term, Skipped: res.Skipped, MaxID: res.MaxID,
		Floor: res.Floor, Gap: res.Gap, Rate: res.Rate, WindowSeconds: res.Window.Seconds(), Reason: res.Reason,
	}, nil
}

// FenceStateResponse is the answer of a {"action":"fence-state"} invoke:
// the id fence as this region's database reads it (mysql.ReadFence).
type FenceStateResponse struct {
	// Region is the region the fence names: the only one whose writer
	// may create. Term is the fence's term.
	Region string `json:"region"`
	Term   int64  `json:"term"`
	// FencedAt is when the fence was last set (UTC).
	FencedAt time.Time `json:"fencedAt"`
	// Endpoint says which endpoint answered: "writer" (the read/write
	// endpoint) or "reader" (the read-only one, in a region without a
	// writer).
	Endpoint string `json:"endpoint"`
	// Unread says why the fence could not be read (no endpoint answered,
	// no fence row yet); the other fields are then empty. A read that
	// fails is an answer, not a function error: status and every plan
	// read the fence, and a database that does not answer must not page
	// anyone through the function's error alarms.
	Unread string `json:"unread,omitempty"`
}

// fenceStateFunc reads the fence.
type fenceStateFunc func(ctx context.Context) (FenceStateResponse, error)

// FenceState reads the id fence (mysql.ReadFence), changing nothing. It
// asks the read/write endpoint first; when that endpoint cannot be
// connected to (RDS Proxy in a region without a writer refuses the
// login) it asks the read-only endpoint, TODOMGMT_DB_READER_HOST, whose
// replica reads the fence the writer last replicated. Whichever answers
// is named in the response. It fails when neither does, or when the
// schema has no fence (the migrations have not run).
func (m *migrator) FenceState(ctx context.Context) (FenceStateResponse, error) {
	cfg, err := dbconn.FromEnv(m.getenv)
	if err != nil {
		return FenceStateResponse{}, err
	}
	cfg.MaxOpenConns = 1
	pools, err := m.open(ctx, cfg)
	if err != nil {
		return FenceStateResponse{}, err
	}
	defer pools.Close()
	endpoint := "writer"
	row, err := mysql.ReadFence(ctx, pools.Writer)
	var cerr *dbconn.ConnectError
	if errors.As(err, &cerr) && pools.Reader != nil {
		rctx, cancel := context.WithTimeout(ctx, readerProbeTimeout)
		var rerr error
		row, rerr = mysql.ReadFence(rctx, pools.Reader)
		cancel()
		if rerr != nil {
			return FenceStateResponse{}, fmt.Errorf("%w (the reader endpoint %s does not answer either: %v)", err, cfg.ReaderHost, rerr)
		}
		endpoint, err = "reader", nil
	}
	if err != nil {
		return FenceStateResponse{}, err
	}
	return FenceStateResponse{Region: row.Region, Term: row.Term, FencedAt: row.FencedAt, Endpoint: endpoint}, nil
}
