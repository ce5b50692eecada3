package dbconn

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/go-sql-driver/mysql"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestFromEnv(t *testing.T) {
	defaults := Config{
		Port: DefaultPort, Name: DefaultName, User: DefaultUser,
		MaxOpenConns: DefaultMaxOpenConns, ConnMaxLifetime: DefaultConnMaxLifetime,
		ConnMaxIdleTime: DefaultConnMaxIdleTime, ConnectTimeout: DefaultConnectTimeout, IOTimeout: DefaultIOTimeout,
	}
	with := func(f func(*Config)) Config { c := defaults; f(&c); return c }

	for _, tt := range []struct {
		name    string
		env     map[string]string
		want    Config
		wantErr string // a substring: the variable's name
	}{
		{
			name:    "nothing set",
			env:     map[string]string{},
			wantErr: EnvDSN,
		},
		{
			name: "local DSN",
			env:  map[string]string{EnvDSN: "u:p@tcp(127.0.0.1:3306)/todomgmt"},
			want: with(func(c *Config) { c.DSN = "u:p@tcp(127.0.0.1:3306)/todomgmt" }),
		},
		{
			name: "DSN wins over the IAM variables",
			env:  map[string]string{EnvDSN: "u:p@tcp(db:3306)/x", EnvHost: "proxy.example", EnvUser: "admin"},
			want: with(func(c *Config) { c.DSN = "u:p@tcp(db:3306)/x"; c.Host = "proxy.example"; c.User = "admin" }),
		},
		{
			name: "AWS with every variable",
			env: map[string]string{
				EnvHost: "todomgmt.proxy-abc.us-east-1.rds.amazonaws.com", EnvReaderHost: "ro.endpoint.proxy-abc.us-east-1.rds.amazonaws.com",
				EnvPort: "3307", EnvName: "todo2", EnvUser: "admin", EnvMaxOpenConns: "5",
				EnvConnMaxLifetime: "90s", EnvConnectTimeout: "1500ms",
			},
			want: with(func(c *Config) {
				c.Host = "todomgmt.proxy-abc.us-east-1.rds.amazonaws.com"
				c.ReaderHost = "ro.endpoint.proxy-abc.us-east-1.rds.amazonaws.com"
				c.Port, c.Name, c.User, c.MaxOpenConns = 3307, "todo2", "admin", 5
				c.ConnMaxLifetime, c.ConnectTimeout = 90*time.Second, 1500*time.Millisecond
			}),
		},
		{
			name: "AWS with defaults",
			env:  map[string]string{EnvHost: "proxy.example"},
			want: with(func(c *Config) { c.Host = "proxy.example" }),
		},
		{name: "port not a number", env: map[string]string{EnvHost: "h", EnvPort: "mysql"}, wantErr: EnvPort},
		{name: "port zero", env: map[string]string{EnvHost: "h", EnvPort: "0"}, wantErr: EnvPort},
		{name: "port too big", env: map[string]string{EnvHost: "h", EnvPort: "70000"}, wantErr: EnvPort},
		{name: "pool of zero", env: map[string]string{EnvHost: "h", EnvMaxOpenConns: "0"}, wantErr: EnvMaxOpenConns},
		{name: "pool not a number", env: map[string]string{EnvHost: "h", EnvMaxOpenConns: "two"}, wantErr: EnvMaxOpenConns},
		{name: "lifetime without unit", env: map[string]string{EnvHost: "h", EnvConnMaxLifetime: "60"}, wantErr: EnvConnMaxLifetime},
		{name: "negative connect timeout", env: map[string]string{EnvHost: "h", EnvConnectTimeout: "-1s"}, wantErr: EnvConnectTimeout},
		{name: "host with port", env: map[string]string{EnvHost: "h:3306"}, wantErr: EnvHost},
		{name: "host with scheme", env: map[string]string{EnvHost: "mysql://h"}, wantErr: EnvHost},
		{name: "reader host with port", env: map[string]string{EnvHost: "h", EnvReaderHost: "r:3306"}, wantErr: EnvReaderHost},
		{name: "bad DSN", env: map[string]string{EnvDSN: "user:s3cret@tcp(h:3306)"}, wantErr: EnvDSN},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromEnv(envOf(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one naming %s", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error %q leaks the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromEnv: %v", err)
			}
			if got != tt.want {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestLocalConfig(t *testing.T) {
	base := Config{ConnectTimeout: 2 * time.Second, MaxOpenConns: 1, ConnMaxLifetime: time.Minute}
	for _, tt := range []struct {
		name                                         string
		dsn                                          string
		wantParseTime, wantRejectRO, wantInterpolate bool
		wantTimeout, wantReadTimeout                 time.Duration
	}{
		{"defaults added", "u:p@tcp(127.0.0.1:3306)/todomgmt", true, true, true, 2 * time.Second, DefaultIOTimeout},
		{"explicit values kept", "u:p@tcp(127.0.0.1:3306)/todomgmt?parseTime=false&rejectReadOnly=false&interpolateParams=false&timeout=9s&readTimeout=1s",
			false, false, false, 9 * time.Second, time.Second},
		{"password with slash and question mark", "u:p/?x@tcp(127.0.0.1:3306)/todomgmt?timeout=4s", true, true, true, 4 * time.Second, DefaultIOTimeout},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			c.DSN = tt.dsn
			mc, err := localConfig(c)
			if err != nil {
				t.Fatal(err)
			}
			if mc.ParseTime != tt.wantParseTime || mc.RejectReadOnly != tt.wantRejectRO || mc.InterpolateParams != tt.wantInterpolate ||
				mc.Timeout != tt.wantTimeout || mc.ReadTimeout != tt.wantReadTimeout {
				t.Errorf("got parseTime=%v rejectReadOnly=%v interpolateParams=%v timeout=%v readTimeout=%v, want %v %v %v %v %v",
					mc.ParseTime, mc.RejectReadOnly, mc.InterpolateParams, mc.Timeout, mc.ReadTimeout,
					tt.wantParseTime, tt.wantRejectRO, tt.wantInterpolate, tt.wantTimeout, tt.wantReadTimeout)
			}
		})
	}
}

func awsTestConfig() Config {
	return Config{
		Host: "todomgmt.proxy-abc.us-east-1.rds.amazonaws.com", Port: 3306, Name: "todomgmt", User: "todo_app",
		MaxOpenConns: 2, ConnMaxLifetime: time.Minute, ConnectTimeout: time.Second,
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secretkey", ""),
	}
}

func TestIAMConfig(t *testing.T) {
	c := awsTestConfig()
	mc, err := iamConfig(c, c.Host, c.Region, c.Credentials)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		got  any
		want any
	}{
		{"address", mc.Addr, c.Host + ":3306"},
		{"network", mc.Net, "tcp"},
		{"user", mc.User, "todo_app"},
		{"schema", mc.DBName, "todomgmt"},
		{"TLS required", mc.TLS != nil, true},
		{"TLS server name", mc.TLS.ServerName, c.Host},
		{"TLS verifies", mc.TLS.InsecureSkipVerify, false},
		{"TLS 1.2 or later", mc.TLS.MinVersion, uint16(tls.VersionTLS12)},
		{"system roots", mc.TLS.RootCAs == nil, true},
		{"no plaintext fallback", mc.AllowFallbackToPlaintext, false},
		{"cleartext password (the token) allowed", mc.AllowCleartextPasswords, true},
		{"rejectReadOnly", mc.RejectReadOnly, true},
		{"interpolateParams (one round trip per statement, no proxy pinning)", mc.InterpolateParams, true},
		{"parseTime", mc.ParseTime, true},
		{"dial timeout", mc.Timeout, time.Second},
		{"no static password", mc.Passwd, ""},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

// TestTokenHook signs a real token with static credentials (no network)
// and checks it is a presigned rds-db:connect URL for the endpoint and user.
func TestTokenHook(t *testing.T) {
	endpoint := "todomgmt.proxy-abc.eu-west-1.rds.amazonaws.com:3306"
	hook := tokenHook(endpoint, "eu-west-1", "todo_app", credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secretkey", ""))
	mc := mysql.NewConfig()
	if err := hook(context.Background(), mc); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse("https://" + mc.Passwd)
	if err != nil {
		t.Fatalf("token %q is not a URL: %v", mc.Passwd, err)
	}
	q := u.Query()
	for _, tt := range []struct {
		name, got, want string
	}{
		{"host:port", u.Host, endpoint},
		{"Action", q.Get("Action"), "connect"},
		{"DBUser", q.Get("DBUser"), "todo_app"},
		{"algorithm", q.Get("X-Amz-Algorithm"), "AWS4-HMAC-SHA256"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	if cred := q.Get("X-Amz-Credential"); !strings.HasPrefix(cred, "AKIDEXAMPLE/") || !strings.HasSuffix(cred, "/eu-west-1/rds-db/aws4_request") {
		t.Errorf("X-Amz-Credential = %q, want AKIDEXAMPLE/<date>/eu-west-1/rds-db/aws4_request", cred)
	}
	if q.Get("X-Amz-Signature") == "" {
		t.Error("token has no signature")
	}

	// A credentials failure is reported, not turned into an empty password.
	failing := tokenHook(endpoint, "eu-west-1", "todo_app", aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{}, errors.New("no credentials")
	}))
	if err := failing(context.Background(), mysql.NewConfig()); err == nil {
		t.Error("hook with failing credentials succeeded, want an error")
	}
}

func TestOpenAWS(t *testing.T) {
	for _, tt := range []struct {
		name       string
		readerHost string
		wantReader bool
	}{
		{"writer only", "", false},
		{"writer and reader", "todomgmt-ro.endpoint.proxy-abc.us-east-1.rds.amazonaws.com", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := awsTestConfig()
			c.ReaderHost = tt.readerHost
			c.MaxOpenConns = 3
			p, err := Open(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if got := p.Writer.Stats().MaxOpenConnections; got != 3 {
				t.Errorf("writer MaxOpenConnections = %d, want 3", got)
			}
			if (p.Reader != nil) != tt.wantReader {
				t.Errorf("reader pool present = %v, want %v", p.Reader != nil, tt.wantReader)
			}
		})
	}
}

// TestOpenSignsPerConnection checks that Open wires the token hook: each
// new connection to the endpoint signs a token for it, before dialing.
func TestOpenSignsPerConnection(t *testing.T) {
	var mu sync.Mutex
	var endpoints []string
	orig := buildAuthToken
	t.Cleanup(func() { buildAuthToken = orig })
	buildAuthToken = func(ctx context.Context, endpoint, region, user string, creds aws.CredentialsProvider, optFns ...func(*auth.BuildAuthTokenOptions)) (string, error) {
		mu.Lock()
		endpoints = append(endpoints, endpoint+" "+region+" "+user)
		mu.Unlock()
		return orig(ctx, endpoint, region, user, creds, optFns...)
	}

	port := closedPort(t)
	c := awsTestConfig()
	c.Host = "127.0.0.1"
	c.Port = port
	p, err := Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Writer.PingContext(ctx); err == nil {
		t.Fatal("ping of a closed port succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	want := "127.0.0.1:" + strconv.Itoa(port) + " us-east-1 todo_app"
	if len(endpoints) == 0 || endpoints[0] != want {
		t.Errorf("tokens signed for %q, want %q", endpoints, want)
	}
}

// TestTLSRequired: a server that does not offer TLS is refused, never
// sent the token in clear text.
func TestTLSRequired(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.Write(handshakeWithoutTLS())
		conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		buf := make([]byte, 4096)
		n, _ := conn.Read(buf)
		got <- buf[:n]
	}()

	c := awsTestConfig()
	c.Host = "127.0.0.1"
	c.Port = ln.Addr().(*net.TCPAddr).Port
	p, err := Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = p.Writer.PingContext(ctx)
	if !errors.Is(err, mysql.ErrNoTLS) {
		t.Errorf("ping against a server without TLS: got %v, want %v", err, mysql.ErrNoTLS)
	}
	select {
	case b := <-got:
		if strings.Contains(string(b), "X-Amz-Signature") {
			t.Error("the client sent the token to a server without TLS")
		}
	case <-time.After(5 * time.Second):
	}
}

// handshakeWithoutTLS is a MySQL protocol-10 initial handshake whose
// capabilities lack CLIENT_SSL.
func handshakeWithoutTLS() []byte {
	var p []byte
	p = append(p, 10)                                    // protocol version
	p = append(p, "8.0.36\x00"...)                       // server version
	p = binary.LittleEndian.AppendUint32(p, 1)           // connection id
	p = append(p, "abcdefgh"...)                         // auth-plugin-data part 1
	p = append(p, 0)                                     // filler
	const caps = 0x0000_0200 | 0x0000_8000 | 0x0008_0000 // PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH, no SSL (0x800)
	p = binary.LittleEndian.AppendUint16(p, uint16(caps&0xffff))
	p = append(p, 45)                          // charset utf8mb4
	p = binary.LittleEndian.AppendUint16(p, 2) // status: autocommit
	p = binary.LittleEndian.AppendUint16(p, uint16(caps>>16))
	p = append(p, 21)                    // auth-plugin-data length
	p = append(p, make([]byte, 10)...)   // reserved
	p = append(p, "ijklmnopqrst\x00"...) // auth-plugin-data part 2
	p = append(p, "mysql_native_password\x00"...)
	hdr := []byte{byte(len(p)), byte(len(p) >> 8), byte(len(p) >> 16), 0}
	return append(hdr, p...)
}

// closedPort returns a loopback port nothing listens on.
func closedPort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestRedacted(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    Config
		want string
	}{
		{"dsn", Config{DSN: "app:hunter2@tcp(127.0.0.1:3306)/todomgmt"}, "dsn app@tcp(127.0.0.1:3306)/todomgmt"},
		{"iam", Config{Host: "w", ReaderHost: "r", Port: 3306, User: "todo_app", Name: "todomgmt"}, "iam todo_app@w:3306/todomgmt reader r:3306"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Redacted(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPoolsCloseNil(t *testing.T) {
	var p *Pools
	if err := p.Close(); err != nil {
		t.Errorf("Close on nil Pools: %v", err)
	}
}

func TestSchema(t *testing.T) {
	for _, tt := range []struct {
		name string
		c    Config
		want string
	}{
		{"dsn", Config{DSN: "u:p@tcp(h:3306)/from_dsn", Name: "ignored"}, "from_dsn"},
		{"iam", Config{Host: "h", Name: "todomgmt"}, "todomgmt"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.Schema(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestEnvCredentials(t *testing.T) {
	for _, tt := range []struct {
		name    string
		env     map[string]string
		want    aws.Credentials
		wantErr string
	}{
		{
			name: "as Lambda sets them",
			env:  map[string]string{EnvAWSAccessKeyID: "ASIAEXAMPLE", EnvAWSSecretAccessKey: "secret", EnvAWSSessionToken: "token"},
			want: aws.Credentials{AccessKeyID: "ASIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "token", Source: "dbconn.EnvCredentials"},
		},
		{
			name: "a long-term key has no session token",
			env:  map[string]string{EnvAWSAccessKeyID: "AKIAEXAMPLE", EnvAWSSecretAccessKey: "secret"},
			want: aws.Credentials{AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "secret", Source: "dbconn.EnvCredentials"},
		},
		{name: "no key id", env: map[string]string{EnvAWSSecretAccessKey: "secret"}, wantErr: EnvAWSAccessKeyID},
		{name: "no secret", env: map[string]string{EnvAWSAccessKeyID: "AKIAEXAMPLE", EnvAWSSecretAccessKey: " "}, wantErr: EnvAWSSecretAccessKey},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := EnvCredentials(envOf(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEnvRegion(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{EnvAWSRegion: "eu-west-1", EnvAWSDefaultRegion: "us-east-1"}, "eu-west-1"},
		{map[string]string{EnvAWSDefaultRegion: "us-east-1"}, "us-east-1"},
		{map[string]string{}, ""},
	} {
		if got := EnvRegion(envOf(tt.env)); got != tt.want {
			t.Errorf("EnvRegion(%v): got %q, want %q", tt.env, got, tt.want)
		}
	}
}

// TestOpenAWSFromEnvironment: without Credentials and Region in the
// Config, Open signs with what Lambda puts in the environment, and says
// which variable is missing when one is.
func TestOpenAWSFromEnvironment(t *testing.T) {
	var mu sync.Mutex
	var signed []string
	orig := buildAuthToken
	t.Cleanup(func() { buildAuthToken = orig })
	buildAuthToken = func(ctx context.Context, endpoint, region, user string, creds aws.CredentialsProvider, optFns ...func(*auth.BuildAuthTokenOptions)) (string, error) {
		v, err := creds.Retrieve(ctx)
		if err != nil {
			return "", err
		}
		mu.Lock()
		signed = append(signed, v.AccessKeyID+" "+v.SessionToken+" "+region)
		mu.Unlock()
		return orig(ctx, endpoint, region, user, creds, optFns...)
	}
	origEnv := getenv
	t.Cleanup(func() { getenv = origEnv })

	c := awsTestConfig()
	c.Credentials, c.Region = nil, ""
	c.Host, c.Port = "127.0.0.1", closedPort(t)

	for _, tt := range []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{"no credentials", map[string]string{EnvAWSRegion: "eu-west-1"}, EnvAWSAccessKeyID},
		{"no region", map[string]string{EnvAWSAccessKeyID: "ASIAEXAMPLE", EnvAWSSecretAccessKey: "secret"}, EnvAWSRegion},
	} {
		t.Run(tt.name, func(t *testing.T) {
			getenv = envOf(tt.env)
			if _, err := Open(context.Background(), c); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error naming %s", err, tt.wantErr)
			}
		})
	}

	getenv = envOf(map[string]string{EnvAWSRegion: "eu-west-1", EnvAWSAccessKeyID: "ASIAEXAMPLE", EnvAWSSecretAccessKey: "secret", EnvAWSSessionToken: "token"})
	p, err := Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Writer.PingContext(ctx); err == nil {
		t.Fatal("ping of a closed port succeeded")
	}
	mu.Lock()
	defer mu.Unlock()
	if want := "ASIAEXAMPLE token eu-west-1"; len(signed) == 0 || signed[0] != want {
		t.Errorf("signed with %q, want %q", signed, want)
	}
}
