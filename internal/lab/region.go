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

	"github.com/todomgmt/todomgmt/internal/lab/globaldb"
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
// the real pkg/mysql store, with the two pools a Lambda function has (the
// read/write endpoint's and the read-only endpoint's) to its own region's
// server, as the least-privilege application user.
type regionAPI struct {
	pool, reader *sql.DB
	endpoint     *readerEndpoint
	netNames     []string
	srv          *http.Server
	ln           net.Listener
	url          string
}

// startRegionAPI opens the region's pools the way the Lambda function
// does (pkg/dbconn, local mode: a DSN, rejectReadOnly=true, parseTime,
// dial and I/O timeouts, pool limits) and serves the real handler over
// the real store on 127.0.0.1. Each DSN names a dial network registered
// for the region's server (globaldb.Database.Endpoint), which finds the
// container's published port again after a restart, as an RDS Proxy
// endpoint stays put while instances come and go: netName is the
// read/write endpoint, netName-ro the read-only endpoint (readerEndpoint),
// given to the store as its reader.
func startRegionAPI(ctx context.Context, db *globaldb.Database, region, netName, user, password, schema string, pc PoolConfig, timeout time.Duration, logger *slog.Logger) (_ *regionAPI, err error) {
	a := &regionAPI{}
	defer func() {
		if err != nil {
			a.closePools()
		}
	}()
	addr, dial, err := db.Endpoint(region)
	if err != nil {
		return nil, err
	}
	open := func(name string, dial globaldb.Dialer) (*sql.DB, error) {
		mysql.RegisterDialContext(name, func(ctx context.Context, addr string) (net.Conn, error) {
			return dial(ctx, "tcp", addr)
		})
		a.netNames = append(a.netNames, name)
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, password, name, addr, schema
		pools, err := dbconn.Open(ctx, dbconn.Config{
			DSN:             cfg.FormatDSN(),
			MaxOpenConns:    pc.MaxOpenConns,
			ConnMaxLifetime: pc.ConnMaxLifetime,
			ConnectTimeout:  pc.ConnectTimeout,
			IOTimeout:       pc.IOTimeout,
		})
		if err != nil {
			return nil, err
		}
		return pools.Writer, nil
	}
	if a.pool, err = open(netName, dial); err != nil {
		return nil, err
	}
	root, err := db.Connector(region)
	if err != nil {
		return nil, err
	}
	a.endpoint = newReaderEndpoint(region, dial, root)
	if a.reader, err = open(netName+"-ro", a.endpoint.Dial); err != nil {
		return nil, err
	}

	store := todomysql.New(a.pool, todomysql.WithReader(a.reader), todomysql.WithRegion(region))
	h := httpapi.New(httpapi.Config{
		Service:        store,
		Checker:        store,
		Region:         region,
		Logger:         logger,
		RequestTimeout: timeout,
	})
	a.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	a.url = "http://" + a.ln.Addr().String()
	a.srv = &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = a.srv.Serve(a.ln) }()
	return a, nil
}

func (a *regionAPI) Close(ctx context.Context) error {
	err := a.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		err = a.srv.Close()
	}
	a.closePools()
	return err
}

// closePools closes what startRegionAPI opened besides the server.
func (a *regionAPI) closePools() {
	for _, db := range []*sql.DB{a.pool, a.reader} {
		if db != nil {
			closePool(db)
		}
	}
	if a.endpoint != nil {
		a.endpoint.Close()
	}
	for _, name := range a.netNames {
		mysql.DeregisterDialContext(name)
	}
}

// closePool closes db and releases its connections. The only errors
// sql.DB.Close reports are the connections' failures to say goodbye
// (COM_QUIT): expected from a connection whose server is gone (Lab.Close
// removes the containers first) or that the reader endpoint dropped, and
// nothing is left open either way, so they are not reported.
func closePool(db *sql.DB) {
	_ = db.Close()
}
