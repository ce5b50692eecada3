package lab

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/todomgmt/todomgmt/pkg/httpapi"
	todomysql "github.com/todomgmt/todomgmt/pkg/mysql"
)

// PoolConfig are the regional API's pool settings, the same kind of
// settings pkg/dbconn gives the Lambda function: rejectReadOnly=true so a
// connection to a demoted writer is thrown away, a small pool, and a short
// connection lifetime so the pool renews itself after a role change.
type PoolConfig struct {
	MaxOpenConns    int
	ConnMaxLifetime time.Duration
	ConnectTimeout  time.Duration
	// IOTimeout bounds each read and write on a connection (the driver's
	// readTimeout and writeTimeout), so a dead server fails a request
	// instead of hanging it.
	IOTimeout time.Duration
}

// DefaultPool is the lab's pool: a regional server handles the load
// generator's few concurrent requests, where a Lambda sandbox handles one.
var DefaultPool = PoolConfig{
	MaxOpenConns:    4,
	ConnMaxLifetime: 30 * time.Second,
	ConnectTimeout:  2 * time.Second,
	IOTimeout:       5 * time.Second,
}

// regionAPI is one region's API server: the real pkg/httpapi handler over
// the real pkg/mysql store, on its own pool to its own region's server,
// as the least-privilege application user.
type regionAPI struct {
	region string
	pool   *sql.DB
	srv    *http.Server
	ln     net.Listener
	url    string
}

func startRegionAPI(n *node, user, password, schema string, pc PoolConfig, timeout time.Duration, logger *slog.Logger) (*regionAPI, error) {
	cfg := n.Config(user, password, schema)
	cfg.RejectReadOnly = true
	cfg.ParseTime = true
	cfg.Timeout = pc.ConnectTimeout
	cfg.ReadTimeout = pc.IOTimeout
	cfg.WriteTimeout = pc.IOTimeout
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	pool := sql.OpenDB(connector)
	pool.SetMaxOpenConns(pc.MaxOpenConns)
	pool.SetMaxIdleConns(pc.MaxOpenConns)
	pool.SetConnMaxLifetime(pc.ConnMaxLifetime)
	pool.SetConnMaxIdleTime(pc.ConnMaxLifetime / 2)

	store := todomysql.New(pool)
	h := httpapi.New(httpapi.Config{
		Service:        store,
		Checker:        store,
		Region:         n.region,
		Logger:         logger,
		RequestTimeout: timeout,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		pool.Close()
		return nil, err
	}
	a := &regionAPI{
		region: n.region,
		pool:   pool,
		ln:     ln,
		url:    "http://" + ln.Addr().String(),
		srv:    &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second},
	}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

func (a *regionAPI) Close(ctx context.Context) error {
	err := a.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = a.srv.Close()
	}
	return errors.Join(err, a.pool.Close())
}
