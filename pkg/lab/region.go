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

	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/httpapi"
	todomysql "github.com/todomgmt/todomgmt/pkg/mysql"
)

// PoolConfig are the regional API's pool settings, given to pkg/dbconn as
// the Lambda function's are (with rejectReadOnly=true, which dbconn always
// sets, a connection to a demoted writer is thrown away): a small pool and
// a short connection lifetime, so the pool renews itself after a role
// change.
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
	pool    *sql.DB
	netName string
	srv     *http.Server
	ln      net.Listener
	url     string
}

// startRegionAPI opens the region's pool the way the Lambda function
// does (pkg/dbconn, local mode: a DSN, rejectReadOnly=true, parseTime,
// dial and I/O timeouts, pool limits) and serves the real handler over
// the real store on 127.0.0.1. The DSN names a dial network registered for
// this node, which finds the container's published port again after a
// restart, as an RDS Proxy endpoint stays put while instances come and go.
func startRegionAPI(ctx context.Context, n *node, netName, user, password, schema string, pc PoolConfig, timeout time.Duration, logger *slog.Logger) (*regionAPI, error) {
	mysql.RegisterDialContext(netName, func(ctx context.Context, addr string) (net.Conn, error) {
		return n.dial(ctx, "tcp", addr)
	})
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, password, netName, n.alias+":3306", schema
	pools, err := dbconn.Open(ctx, dbconn.Config{
		DSN:             cfg.FormatDSN(),
		MaxOpenConns:    pc.MaxOpenConns,
		ConnMaxLifetime: pc.ConnMaxLifetime,
		ConnectTimeout:  pc.ConnectTimeout,
		IOTimeout:       pc.IOTimeout,
	})
	if err != nil {
		mysql.DeregisterDialContext(netName)
		return nil, err
	}
	pool := pools.Writer

	store := todomysql.New(pool, todomysql.WithRegion(n.region))
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
		mysql.DeregisterDialContext(netName)
		return nil, err
	}
	a := &regionAPI{
		pool:    pool,
		netName: netName,
		ln:      ln,
		url:     "http://" + ln.Addr().String(),
		srv:     &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second},
	}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

func (a *regionAPI) Close(ctx context.Context) error {
	err := a.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = a.srv.Close()
	}
	err = errors.Join(err, a.pool.Close())
	mysql.DeregisterDialContext(a.netName)
	return err
}
