// Package dbconn builds the database connection pools from environment
// configuration.
//
// Two modes:
//
//   - Local (TODOMGMT_DB_DSN set): a go-sql-driver DSN with password auth,
//     used as given, with parseTime, timeouts, rejectReadOnly=true and
//     interpolateParams=true added when absent. Development, tests, the lab.
//   - AWS (TODOMGMT_DB_HOST set): the RDS Proxy endpoints with IAM
//     authentication and TLS required. Each new connection gets a fresh auth
//     token signed locally (feature/rds/auth, no network call) in a
//     mysql.BeforeConnect hook, from the execution role's credentials in
//     the environment Lambda sets (read once; see EnvCredentials). No
//     secret is read, so the Lambda needs neither Secrets Manager nor a NAT.
//
// Both modes use rejectReadOnly=true (a connection that lands on a demoted
// writer is thrown away), a small pool and a short connection lifetime, so
// pools recover by themselves after a switchover, and interpolateParams=true,
// so a statement with arguments is one round trip, not a server-side
// prepare, execute and close (which would also pin RDS Proxy sessions).
package dbconn

import (
	"crypto/tls"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/go-sql-driver/mysql"
)

// The environment variables FromEnv reads.
const (
	EnvDSN             = "TODOMGMT_DB_DSN"
	EnvHost            = "TODOMGMT_DB_HOST"
	EnvReaderHost      = "TODOMGMT_DB_READER_HOST"
	EnvPort            = "TODOMGMT_DB_PORT"
	EnvName            = "TODOMGMT_DB_NAME"
	EnvUser            = "TODOMGMT_DB_USER"
	EnvMaxOpenConns    = "TODOMGMT_DB_MAX_OPEN_CONNS"
	EnvConnMaxLifetime = "TODOMGMT_DB_CONN_MAX_LIFETIME"
	EnvConnectTimeout  = "TODOMGMT_DB_CONNECT_TIMEOUT"
)

// Defaults.
const (
	DefaultPort = 3306
	DefaultName = "todomgmt"
	DefaultUser = "todo_app"
	// DefaultMaxOpenConns is small: one Lambda sandbox serves one request
	// at a time, and RDS Proxy multiplexes behind it.
	DefaultMaxOpenConns = 2
	// DefaultConnMaxLifetime is short so that connections to a demoted
	// writer do not outlive a switchover by much.
	DefaultConnMaxLifetime = time.Minute
	// DefaultConnMaxIdleTime closes connections idle this long.
	DefaultConnMaxIdleTime = 30 * time.Second
	// DefaultConnectTimeout bounds the TCP dial only (the driver's
	// timeout); the TLS handshake and login after it are bounded by the
	// caller's context (the request deadline) and the I/O timeouts.
	DefaultConnectTimeout = 3 * time.Second
	// DefaultIOTimeout bounds each network read and write of a connection,
	// a backstop for a peer that vanished without closing; request
	// contexts normally end first.
	DefaultIOTimeout = 30 * time.Second
)

// Config is the connection configuration. FromEnv fills it from the
// environment; tests and tools may build one directly.
type Config struct {
	// DSN, when set, selects local mode: the other connection fields
	// (Host, ReaderHost, Port, Name, User) are ignored.
	DSN string

	// Host is the read/write endpoint (AWS mode).
	Host string
	// ReaderHost is the read-only endpoint; empty means reads use Host.
	ReaderHost string
	Port       int
	Name       string // schema
	User       string // DB user the IAM token is signed for

	MaxOpenConns    int
	MaxIdleConns    int // 0 means MaxOpenConns
	ConnMaxLifetime time.Duration
	ConnMaxIdleTime time.Duration
	ConnectTimeout  time.Duration
	// IOTimeout is the per-read/write network timeout; negative means none
	// (migrations whose DDL may take long), zero means DefaultIOTimeout.
	IOTimeout time.Duration

	// Region signs the IAM tokens; empty means AWS_REGION (else
	// AWS_DEFAULT_REGION), which Lambda sets. AWS mode only.
	Region string
	// Credentials sign the IAM tokens; nil means the execution role's
	// credentials that Lambda puts in the environment (EnvCredentials),
	// read once by Open. AWS mode only.
	Credentials aws.CredentialsProvider
	// TLS overrides the TLS configuration of AWS mode (system roots,
	// ServerName = the host, TLS 1.2 or later). For tests.
	TLS *tls.Config
}

// Local reports whether c uses a DSN (local mode) rather than IAM auth.
func (c Config) Local() bool { return c.DSN != "" }

// FromEnv reads the configuration from the environment through getenv
// (os.Getenv in production). A malformed value is an error that names its
// variable. Exactly one of TODOMGMT_DB_DSN and TODOMGMT_DB_HOST is needed;
// when the DSN is set, the IAM variables are ignored.
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{
		DSN:             strings.TrimSpace(getenv(EnvDSN)),
		Host:            strings.TrimSpace(getenv(EnvHost)),
		ReaderHost:      strings.TrimSpace(getenv(EnvReaderHost)),
		Port:            DefaultPort,
		Name:            DefaultName,
		User:            DefaultUser,
		MaxOpenConns:    DefaultMaxOpenConns,
		ConnMaxLifetime: DefaultConnMaxLifetime,
		ConnMaxIdleTime: DefaultConnMaxIdleTime,
		ConnectTimeout:  DefaultConnectTimeout,
		IOTimeout:       DefaultIOTimeout,
	}
	if v := strings.TrimSpace(getenv(EnvName)); v != "" {
		c.Name = v
	}
	if v := strings.TrimSpace(getenv(EnvUser)); v != "" {
		c.User = v
	}
	var err error
	if c.Port, err = intVar(getenv, EnvPort, DefaultPort, 1, 65535); err != nil {
		return Config{}, err
	}
	if c.MaxOpenConns, err = intVar(getenv, EnvMaxOpenConns, DefaultMaxOpenConns, 1, 1000); err != nil {
		return Config{}, err
	}
	if c.ConnMaxLifetime, err = durationVar(getenv, EnvConnMaxLifetime, DefaultConnMaxLifetime); err != nil {
		return Config{}, err
	}
	if c.ConnectTimeout, err = durationVar(getenv, EnvConnectTimeout, DefaultConnectTimeout); err != nil {
		return Config{}, err
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// Validate checks that c can open pools.
func (c Config) Validate() error {
	switch {
	case c.DSN != "":
		if _, err := mysql.ParseDSN(c.DSN); err != nil {
			// The driver's message can quote the DSN, password included.
			return fmt.Errorf("%s: not a valid go-sql-driver DSN", EnvDSN)
		}
	case c.Host == "":
		return fmt.Errorf("set %s (local DSN) or %s (RDS Proxy endpoint)", EnvDSN, EnvHost)
	default:
		if strings.ContainsAny(c.Host, ":/ ") {
			return fmt.Errorf("%s: %q must be a host name without port or scheme", EnvHost, c.Host)
		}
		if strings.ContainsAny(c.ReaderHost, ":/ ") {
			return fmt.Errorf("%s: %q must be a host name without port or scheme", EnvReaderHost, c.ReaderHost)
		}
		if c.Port < 1 || c.Port > 65535 {
			return fmt.Errorf("%s: %d is not a port", EnvPort, c.Port)
		}
		if c.User == "" {
			return fmt.Errorf("%s: empty", EnvUser)
		}
		if c.Name == "" {
			return fmt.Errorf("%s: empty", EnvName)
		}
	}
	if c.MaxOpenConns < 1 {
		return fmt.Errorf("%s: must be at least 1", EnvMaxOpenConns)
	}
	if c.ConnMaxLifetime <= 0 {
		return fmt.Errorf("%s: must be positive", EnvConnMaxLifetime)
	}
	if c.ConnectTimeout <= 0 {
		return fmt.Errorf("%s: must be positive", EnvConnectTimeout)
	}
	return nil
}

// Redacted describes c for logs, without the DSN's password.
func (c Config) Redacted() string {
	if c.DSN != "" {
		cfg, err := mysql.ParseDSN(c.DSN)
		if err != nil {
			return "dsn (unparsable)"
		}
		return fmt.Sprintf("dsn %s@%s(%s)/%s", cfg.User, cfg.Net, cfg.Addr, cfg.DBName)
	}
	s := fmt.Sprintf("iam %s@%s:%d/%s", c.User, c.Host, c.Port, c.Name)
	if c.ReaderHost != "" {
		s += fmt.Sprintf(" reader %s:%d", c.ReaderHost, c.Port)
	}
	return s
}

func intVar(getenv func(string) string, name string, def, lo, hi int) (int, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%s: %q is not an integer from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

func durationVar(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s: %q is not a positive Go duration such as 3s or 1m", name, v)
	}
	return d, nil
}

// dsnParams returns the names of the parameters given in a DSN. Like the
// driver, it takes the parameters after the last "/" (a password may hold
// "/" or "?").
func dsnParams(dsn string) map[string]bool {
	out := map[string]bool{}
	slash := strings.LastIndex(dsn, "/")
	if slash < 0 {
		return out
	}
	q := strings.Index(dsn[slash:], "?")
	if q < 0 {
		return out
	}
	for _, kv := range strings.Split(dsn[slash+q+1:], "&") {
		k, _, _ := strings.Cut(kv, "=")
		if k, err := url.QueryUnescape(k); err == nil && k != "" {
			out[k] = true
		}
	}
	return out
}

// Schema returns the schema the pools use: the DSN's database in local
// mode, Name in AWS mode.
func (c Config) Schema() string {
	if c.DSN != "" {
		if mc, err := mysql.ParseDSN(c.DSN); err == nil {
			return mc.DBName
		}
		return ""
	}
	return c.Name
}
