package bench

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	mysqldriver "github.com/go-sql-driver/mysql"

	"github.com/todomgmt/todomgmt/internal/mysqlcontainer"
	"github.com/todomgmt/todomgmt/pkg/dbconn"
	"github.com/todomgmt/todomgmt/pkg/lambdabuild"
	"github.com/todomgmt/todomgmt/pkg/mysql"
)

// AWS mode, locally: the bootstrap connects as it does in Lambda
// (pkg/dbconn's AWS mode: TLS verified against the system roots, an IAM
// auth token signed with the SDK from the credentials in the environment,
// sent as a cleartext password), to MariaDB configured as follows:
//
//   - TLS with a server certificate for 127.0.0.1 from a CA made for this
//     run (generateTLS; nothing is kept). The bootstrap trusts the CA
//     through SSL_CERT_FILE, which Go reads as the system roots on Linux:
//     the code path is the one Lambda runs, with another root store.
//   - A user authenticated by MariaDB's PAM plugin (auth_pam) with
//     pam_use_cleartext_plugin, so that the server asks for the password
//     with mysql_clear_password as RDS Proxy does, and REQUIRE SSL. Its PAM
//     stack runs pamcheck (internal/bench/iamtoken) through pam_exec, which
//     accepts the password only if it is an unexpired IAM token for that
//     user, this endpoint and region, signed with the test key's secret.
//
// What this proves: the bootstrap signs a well-formed token for the right
// user, endpoint and region and sends it only over a verified TLS
// connection, and the login succeeds end to end. What it does not: that AWS
// accepts the token (IAM policies, rds-db:connect on the proxy's resource
// id, real keys), RDS Proxy's TLS endpoint and certificates, its own
// authentication latency and its connection to Aurora, the network.
// pam_exec hands the command at most 511 bytes of a password, and a token
// signed with a session token (Lambda's role credentials have one, about
// 1 KB) is longer: the test credentials are a long-term key pair without
// one, so the token here lacks the X-Amz-Security-Token parameter and is
// about a kilobyte shorter than Lambda's.
const (
	// iamUser is the database user the AWS-mode bootstrap logs in as.
	iamUser = "todo_iam"
	// iamRegion is the region the token is signed for (the emulator's
	// AWS_REGION).
	iamRegion = "us-east-1"
	// The test credentials: AWS's documented example key pair.
	iamKeyID  = "AKIAIOSFODNN7EXAMPLE"
	iamSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	// pamService is the PAM service the IAM user authenticates with.
	pamService = "todomgmt-iam"
)

// Where the server's files go in the container.
const (
	serverCertPath = "/etc/mysql/todomgmt-bench-server.pem"
	serverKeyPath  = "/etc/mysql/todomgmt-bench-server.key"
	serverCnfPath  = "/etc/mysql/conf.d/zz-todomgmt-bench.cnf"
	pamcheckPath   = "/usr/local/bin/todomgmt-pamcheck"
	pamcheckConfig = "/etc/todomgmt-pamcheck.json"
	pamcheckLog    = "/var/log/todomgmt-pamcheck.log"
)

// awsMode is the local stand-in for RDS Proxy's endpoint.
type awsMode struct {
	host   string
	port   int
	caFile string // the CA certificate, PEM
	roots  *x509.CertPool
}

// env is the bootstrap's environment in AWS mode: the endpoint, the user,
// and what Lambda sets (the credentials; AWS_REGION comes from the
// emulator), with the CA as the system roots.
func (a *awsMode) env(schema, region string) []string {
	return []string{
		dbconn.EnvHost + "=" + a.host,
		dbconn.EnvPort + "=" + strconv.Itoa(a.port),
		dbconn.EnvUser + "=" + iamUser,
		dbconn.EnvName + "=" + schema,
		"TODOMGMT_REGION=" + region,
		dbconn.EnvAWSAccessKeyID + "=" + iamKeyID,
		dbconn.EnvAWSSecretAccessKey + "=" + iamSecret,
		"SSL_CERT_FILE=" + a.caFile,
	}
}

// config is pkg/dbconn's AWS-mode configuration of the same endpoint, for
// connecting from this process.
func (a *awsMode) config(schema string) dbconn.Config {
	return dbconn.Config{
		Host: a.host, Port: a.port, Name: schema, User: iamUser,
		MaxOpenConns: 1, ConnMaxLifetime: time.Minute, ConnectTimeout: 5 * time.Second,
		Region:      iamRegion,
		Credentials: credentials.NewStaticCredentialsProvider(iamKeyID, iamSecret, ""),
		TLS:         &tls.Config{RootCAs: a.roots, MinVersion: tls.VersionTLS12},
	}
}

// tlsDSN returns a DSN for user over the same verified TLS as AWS mode,
// with a password login.
func (a *awsMode) tlsDSN(user, password, schema string) (string, error) {
	const name = "todomgmt-bench"
	if err := mysqldriver.RegisterTLSConfig(name, &tls.Config{RootCAs: a.roots, ServerName: a.host, MinVersion: tls.VersionTLS12}); err != nil {
		return "", err
	}
	cfg := mysqldriver.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.DBName = user, password, "tcp", schema
	cfg.Addr = net.JoinHostPort(a.host, strconv.Itoa(a.port))
	cfg.TLSConfig = name
	return cfg.FormatDSN(), nil
}

// isMariaDB reports whether the server behind db is MariaDB, whose PAM
// plugin the stand-in needs.
func isMariaDB(ctx context.Context, db *sql.DB) (bool, error) {
	var v string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&v); err != nil {
		return false, err
	}
	return strings.Contains(v, "MariaDB"), nil
}

// setUpTLS gives the container's server a certificate from a new CA, loads
// the PAM plugin, and restarts the server (MariaDB reads its TLS files at
// start). dir receives the CA certificate. The container's port may change.
func setUpTLS(ctx context.Context, c *mysqlcontainer.Container, moduleRoot, dir string) (*awsMode, error) {
	ca, cert, key, roots, err := generateTLS("127.0.0.1")
	if err != nil {
		return nil, err
	}
	a := &awsMode{caFile: filepath.Join(dir, "ca.pem"), roots: roots}
	if err := os.WriteFile(a.caFile, ca, 0o644); err != nil {
		return nil, err
	}
	pamcheck, err := buildPamcheck(ctx, moduleRoot, dir)
	if err != nil {
		return nil, err
	}
	cnf := "[mariadbd]\n" +
		"ssl-cert=" + serverCertPath + "\n" +
		"ssl-key=" + serverKeyPath + "\n" +
		"plugin-load-add=auth_pam\n" +
		// Ask for the password with mysql_clear_password, as RDS Proxy
		// does for IAM tokens, not with MariaDB's dialog plugin.
		"pam-use-cleartext-plugin=ON\n"
	tc := c.Testcontainer()
	for _, f := range []struct {
		path    string
		content []byte
		mode    int64
	}{
		{serverCertPath, cert, 0o644},
		// The key of a certificate made for this run, for a server on
		// loopback: readable by the server's user.
		{serverKeyPath, key, 0o644},
		{serverCnfPath, []byte(cnf), 0o644},
		{pamcheckPath, pamcheck, 0o755},
	} {
		if err := tc.CopyToContainer(ctx, f.content, f.path, f.mode); err != nil {
			return nil, fmt.Errorf("copy %s into the container: %w", f.path, err)
		}
	}
	if err := c.Stop(ctx, 30*time.Second); err != nil {
		return nil, err
	}
	if err := c.Start(ctx); err != nil {
		return nil, err
	}
	a.host, a.port = c.Endpoint()
	return a, nil
}

// addIAMUser creates the IAM user with the application's privileges on
// schema and the PAM service that checks its tokens. It runs after the
// last restart: pamcheck must know the endpoint the token is signed for.
func (a *awsMode) addIAMUser(ctx context.Context, c *mysqlcontainer.Container, root *sql.DB, schema string) error {
	conf, err := json.Marshal(map[string]any{
		"endpoint": net.JoinHostPort(a.host, strconv.Itoa(a.port)),
		"region":   iamRegion,
		"keys":     map[string]string{iamKeyID: iamSecret},
	})
	if err != nil {
		return err
	}
	pam := "auth required pam_exec.so expose_authtok quiet log=" + pamcheckLog + " " + pamcheckPath + " " + pamcheckConfig + "\n" +
		"account required pam_permit.so\n"
	tc := c.Testcontainer()
	for _, f := range []struct {
		path    string
		content []byte
	}{
		{pamcheckConfig, conf},
		{"/etc/pam.d/" + pamService, []byte(pam)},
	} {
		if err := tc.CopyToContainer(ctx, f.content, f.path, 0o644); err != nil {
			return fmt.Errorf("copy %s into the container: %w", f.path, err)
		}
	}
	account := "'" + iamUser + "'@'%'"
	for _, stmt := range []string{
		"CREATE USER IF NOT EXISTS " + account + " IDENTIFIED VIA pam USING '" + pamService + "' REQUIRE SSL",
		"GRANT " + mysql.AppPrivileges + " ON `" + schema + "`.* TO " + account,
	} {
		if _, err := root.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

// pamcheckLogTail returns the end of pamcheck's log in the container, to
// explain a refused login.
func pamcheckLogTail(ctx context.Context, c *mysqlcontainer.Container) string {
	rc, err := c.Testcontainer().CopyFileFromContainer(ctx, pamcheckLog)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// buildPamcheck builds pamcheck for the containers of this machine (its
// architecture, static) and returns the binary.
func buildPamcheck(ctx context.Context, moduleRoot, dir string) ([]byte, error) {
	out := filepath.Join(dir, "pamcheck")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, "./internal/bench/iamtoken/pamcheck")
	cmd.Dir = moduleRoot
	cmd.Env = lambdabuild.Env(runtime.GOARCH)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build pamcheck: %w\n%s", err, msg)
	}
	return os.ReadFile(out)
}

// generateTLS makes a CA and a server certificate for the IP address host,
// both RSA 2048 (as RDS's certificates are) and valid for a day, and
// returns the CA certificate, the server's certificate and key (PEM), and a
// pool holding the CA.
func generateTLS(host string) (caPEM, certPEM, keyPEM []byte, roots *x509.CertPool, err error) {
	ip := net.ParseIP(host)
	if ip == nil {
		return nil, nil, nil, nil, fmt.Errorf("generateTLS: %q is not an IP address", host)
	}
	now := time.Now()
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Organization: []string{"ToDoMgmt bench"}, CommonName: "ToDoMgmt bench CA (throwaway)"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{Organization: []string{"ToDoMgmt bench"}, CommonName: host},
		IPAddresses:  []net.IP{ip},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	roots = x509.NewCertPool()
	roots.AddCert(caCert)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		roots, nil
}
