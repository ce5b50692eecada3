package dbconn

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/go-sql-driver/mysql"
)

// Pools are the connection pools of one region.
type Pools struct {
	// Writer is the read/write endpoint's pool.
	Writer *sql.DB
	// Reader is the read-only endpoint's pool, nil when none is configured
	// (reads then use Writer). Give it to mysql.WithReader.
	Reader *sql.DB
}

// Close closes both pools.
func (p *Pools) Close() error {
	if p == nil {
		return nil
	}
	var errs []error
	if p.Writer != nil {
		errs = append(errs, p.Writer.Close())
	}
	if p.Reader != nil {
		errs = append(errs, p.Reader.Close())
	}
	return errors.Join(errs...)
}

// Open builds the pools described by c. It does not connect: the first
// query does (so a cold start does not fail because the database is
// briefly away). In AWS mode it takes the signing credentials and region
// from the environment Lambda gives the function (EnvCredentials,
// EnvRegion), once, here, unless c carries them.
func Open(ctx context.Context, c Config) (*Pools, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Local() {
		mc, err := localConfig(c)
		if err != nil {
			return nil, err
		}
		w, err := openPool(mc, c)
		if err != nil {
			return nil, err
		}
		return &Pools{Writer: w}, nil
	}

	creds, region := c.Credentials, c.Region
	if creds == nil {
		var err error
		if creds, err = EnvCredentials(getenv); err != nil {
			return nil, err
		}
	}
	if region == "" {
		if region = EnvRegion(getenv); region == "" {
			return nil, fmt.Errorf("no AWS region to sign RDS auth tokens: set %s (Lambda does) or Config.Region", EnvAWSRegion)
		}
	}

	wcfg, err := iamConfig(c, c.Host, region, creds)
	if err != nil {
		return nil, err
	}
	p := &Pools{}
	if p.Writer, err = openPool(wcfg, c); err != nil {
		return nil, err
	}
	if c.ReaderHost != "" {
		rcfg, err := iamConfig(c, c.ReaderHost, region, creds)
		if err != nil {
			p.Close()
			return nil, err
		}
		if p.Reader, err = openPool(rcfg, c); err != nil {
			p.Close()
			return nil, err
		}
	}
	return p, nil
}

func openPool(mc *mysql.Config, c Config) (*sql.DB, error) {
	conn, err := mysql.NewConnector(mc)
	if err != nil {
		return nil, fmt.Errorf("mysql connector for %s: %w", mc.Addr, err)
	}
	db := sql.OpenDB(markingConnector{conn})
	idle := c.MaxIdleConns
	if idle <= 0 {
		idle = c.MaxOpenConns
	}
	idleTime := c.ConnMaxIdleTime
	if idleTime <= 0 {
		idleTime = DefaultConnMaxIdleTime
	}
	db.SetMaxOpenConns(c.MaxOpenConns)
	db.SetMaxIdleConns(idle)
	db.SetConnMaxLifetime(c.ConnMaxLifetime)
	db.SetConnMaxIdleTime(idleTime)
	return db, nil
}

func ioTimeout(c Config) time.Duration {
	switch {
	case c.IOTimeout < 0:
		return 0
	case c.IOTimeout == 0:
		return DefaultIOTimeout
	}
	return c.IOTimeout
}

// localConfig parses c.DSN and adds what the store relies on, unless the
// DSN says otherwise: parseTime=true, rejectReadOnly=true,
// interpolateParams=true, the dial timeout and the I/O timeouts.
func localConfig(c Config) (*mysql.Config, error) {
	mc, err := mysql.ParseDSN(c.DSN)
	if err != nil {
		return nil, fmt.Errorf("%s: not a valid go-sql-driver DSN", EnvDSN)
	}
	given := dsnParams(c.DSN)
	if !given["parseTime"] {
		mc.ParseTime = true
	}
	if !given["rejectReadOnly"] {
		mc.RejectReadOnly = true
	}
	if !given["interpolateParams"] {
		mc.InterpolateParams = true
	}
	if !given["timeout"] {
		mc.Timeout = c.ConnectTimeout
	}
	if !given["readTimeout"] {
		mc.ReadTimeout = ioTimeout(c)
	}
	if !given["writeTimeout"] {
		mc.WriteTimeout = ioTimeout(c)
	}
	return mc, nil
}

// iamConfig is the driver configuration for one RDS Proxy endpoint: TLS
// required and verified, the IAM token as a cleartext password (safe only
// over that TLS), a fresh token per new connection, and interpolated
// parameters.
//
// interpolateParams: without it the driver runs every statement that has
// arguments as a server-side prepared statement (prepare, execute, close):
// an extra round trip per statement, and RDS Proxy pins a session that
// prepares statements to one database connection. The driver escapes the
// arguments itself (honouring NO_BACKSLASH_ESCAPES) and refuses to
// interpolate under the multibyte charsets where that is unsafe; this
// connection uses utf8mb4.
func iamConfig(c Config, host, region string, creds aws.CredentialsProvider) (*mysql.Config, error) {
	endpoint := net.JoinHostPort(host, strconv.Itoa(c.Port))
	mc := mysql.NewConfig()
	mc.Net = "tcp"
	mc.Addr = endpoint
	mc.User = c.User
	mc.DBName = c.Name
	mc.TLS = tlsConfig(c, host)
	mc.AllowCleartextPasswords = true
	mc.AllowFallbackToPlaintext = false
	mc.RejectReadOnly = true
	mc.InterpolateParams = true
	mc.ParseTime = true
	mc.Timeout = c.ConnectTimeout
	mc.ReadTimeout = ioTimeout(c)
	mc.WriteTimeout = ioTimeout(c)
	if err := mc.Apply(mysql.BeforeConnect(tokenHook(endpoint, region, c.User, creds))); err != nil {
		return nil, err
	}
	return mc, nil
}

func tlsConfig(c Config, host string) *tls.Config {
	if c.TLS != nil {
		t := c.TLS.Clone()
		if t.ServerName == "" {
			t.ServerName = host
		}
		return t
	}
	// RootCAs nil: the system roots, which hold Amazon Trust Services'
	// roots that sign RDS Proxy certificates.
	return &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
}

// buildAuthToken signs an RDS IAM auth token; a variable for tests.
var buildAuthToken = auth.BuildAuthToken

// tokenHook returns the mysql.BeforeConnect hook that sets the password of
// each new connection to a fresh IAM auth token (valid 15 minutes, which
// only matters while connecting).
func tokenHook(endpoint, region, user string, creds aws.CredentialsProvider) func(context.Context, *mysql.Config) error {
	return func(ctx context.Context, mc *mysql.Config) error {
		token, err := buildAuthToken(ctx, endpoint, region, user, creds)
		if err != nil {
			return fmt.Errorf("sign RDS auth token for %s at %s: %w", user, endpoint, err)
		}
		mc.Passwd = token
		return nil
	}
}
