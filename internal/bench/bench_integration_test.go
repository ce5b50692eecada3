//go:build integration

package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/go-sql-driver/mysql"

	"github.com/todomgmt/todomgmt/internal/lambdaemu"
	"github.com/todomgmt/todomgmt/internal/mysqlcontainer"
	"github.com/todomgmt/todomgmt/pkg/dbconn"
)

// requireDocker skips tb when no Docker engine answers, or fails it when CI
// or TODOMGMT_REQUIRE_DOCKER is set.
func requireDocker(tb testing.TB) {
	tb.Helper()
	if err := mysqlcontainer.DockerAvailable(context.Background()); err != nil {
		if os.Getenv("CI") != "" || os.Getenv("TODOMGMT_REQUIRE_DOCKER") != "" {
			tb.Fatalf("no Docker engine: %v", err)
		}
		tb.Skipf("SKIPPED: no Docker engine: %v", err)
	}
}

// TestRun runs the whole benchmark with small counts and checks what it
// reports: every operation's round trips (the minimums
// docs/development.md#round-trips-per-operation gives), a floor for each, and, on MariaDB, the
// AWS-mode cold start through the stand-in for RDS Proxy.
func TestRun(t *testing.T) {
	requireDocker(t)
	const runs, requests = 2, 120
	r, err := Run(t.Context(), Options{ModuleRoot: "../..", Runs: runs, Requests: requests, Warmup: 10, ColdStarts: 2})
	if err != nil {
		t.Fatal(err)
	}
	if r.BootstrapBytes <= 0 || r.BootstrapBytes > BootstrapLimit {
		t.Errorf("bootstrap: %d bytes, want 1 to %d", r.BootstrapBytes, BootstrapLimit)
	}
	wantRoundTrips := map[string]int64{
		"GET /v1/todos/{id}":                     1,
		"GET /v1/todos (list page)":              1,
		"POST /v1/todos":                         1,
		"POST /v1/todos + Idempotency-Key":       4,
		"replayed create (same Idempotency-Key)": 5,
		"PUT /v1/todos/{id} + If-Match":          2,
		"DELETE /v1/todos/{id}":                  1,
	}
	if len(r.Warm) != len(wantRoundTrips) {
		t.Errorf("%d operations, want %d", len(r.Warm), len(wantRoundTrips))
	}
	for _, op := range r.Warm {
		rt := op.RoundTrips
		if want := wantRoundTrips[op.Name]; rt.Min != want || rt.Max != want {
			t.Errorf("%s: %d–%d round trips, want %d", op.Name, rt.Min, rt.Max, want)
		}
		if rt.Requests != runs*requests {
			t.Errorf("%s: %d requests counted, want %d", op.Name, rt.Requests, runs*requests)
		}
		if len(op.Runs) != runs {
			t.Fatalf("%s: %d runs, want %d", op.Name, len(op.Runs), runs)
		}
		for _, run := range op.Runs {
			if run.Ours.Requests != requests || run.Floor.Requests != requests || run.Ours.P50 <= 0 || run.Floor.P50 <= 0 || run.Ratio <= 0 {
				t.Errorf("%s: got %+v, want %d requests of ours and of the floor with their figures", op.Name, run, requests)
			}
			if read := strings.HasPrefix(op.Name, "GET"); read != (run.FloorDeadline.P50 > 0) {
				t.Errorf("%s: floor under a deadline %v, want one for reads only", op.Name, run.FloorDeadline)
			}
		}
	}
	if lambdaemu.Supported() != nil {
		return
	}
	aws := len(r.ColdStarts) == 3
	if !aws && !(len(r.ColdStarts) == 2 && len(r.ColdStartNotes) > 0) {
		t.Fatalf("cold starts: %+v, notes %q: want 3 kinds, or 2 and a note saying why AWS mode was not measured", r.ColdStarts, r.ColdStartNotes)
	}
	for _, c := range r.ColdStarts {
		for _, s := range c.Samples {
			if s.Elapsed <= 0 || s.PeakRSS <= 0 {
				t.Errorf("%s: sample %+v", c.Name, s)
			}
		}
	}
	if aws {
		if len(r.Connects) != 3 || !strings.HasPrefix(r.Connects[0].TLS, "TLSv1.") || !strings.HasPrefix(r.Connects[1].TLS, "TLSv1.") || r.Connects[2].TLS != "" {
			t.Errorf("first connections: %+v, want AWS mode and TLS with a TLS version, local mode without", r.Connects)
		}
	}
}

// TestAWSModeStandIn checks the stand-in for RDS Proxy's IAM
// authentication both ways: pkg/dbconn's AWS mode logs in over verified
// TLS with a token it signs, and the server refuses a token signed with
// another secret or for another region, and a client that does not trust
// the CA does not send one.
func TestAWSModeStandIn(t *testing.T) {
	requireDocker(t)
	ctx := t.Context()
	db, err := startMySQL(ctx, "")
	if db != nil {
		t.Cleanup(db.close)
	}
	if err != nil {
		t.Fatal(err)
	}
	if !db.mariaDB {
		t.Skipf("SKIPPED: the stand-in needs MariaDB's PAM plugin; %s is not MariaDB", db.image)
	}
	if db.aws, err = setUpTLS(ctx, db.c, "../..", t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if err := db.prepare(ctx); err != nil {
		t.Fatal(err)
	}

	login := func(cfg dbconn.Config) (user, tlsVersion string, err error) {
		pools, err := dbconn.Open(ctx, cfg)
		if err != nil {
			return "", "", err
		}
		defer pools.Close()
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		conn, err := pools.Writer.Conn(cctx)
		if err != nil {
			return "", "", err
		}
		defer conn.Close()
		var name string
		if err := conn.QueryRowContext(cctx, "SELECT CURRENT_USER()").Scan(&user); err != nil {
			return "", "", err
		}
		err = conn.QueryRowContext(cctx, "SHOW SESSION STATUS LIKE 'Ssl_version'").Scan(&name, &tlsVersion)
		return user, tlsVersion, err
	}

	user, version, err := login(db.aws.config(benchSchema))
	if err != nil {
		t.Fatalf("AWS-mode login: %v\npamcheck's log:\n%s", err, pamcheckLogTail(ctx, db.c))
	}
	if user != iamUser+"@%" || !strings.HasPrefix(version, "TLSv1.") {
		t.Errorf("logged in as %q over %q, want %s@%% over TLS", user, version, iamUser)
	}

	for _, tt := range []struct {
		name string
		edit func(*dbconn.Config)
	}{
		{"a token signed with another secret", func(c *dbconn.Config) {
			c.Credentials = credentials.NewStaticCredentialsProvider(iamKeyID, "not-the-secret", "")
		}},
		{"a token signed for another region", func(c *dbconn.Config) { c.Region = "eu-west-1" }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := db.aws.config(benchSchema)
			tt.edit(&cfg)
			_, _, err := login(cfg)
			var me *mysql.MySQLError
			if !errors.As(err, &me) || me.Number != 1045 {
				t.Errorf("got %v, want access denied (1045)", err)
			}
		})
	}

	t.Run("a server the client does not trust", func(t *testing.T) {
		cfg := db.aws.config(benchSchema)
		cfg.TLS = &tls.Config{RootCAs: x509.NewCertPool(), MinVersion: tls.VersionTLS12}
		_, _, err := login(cfg)
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Errorf("got %v, want an unknown-authority TLS error", err)
		}
	})
}

// TestRunAWSModeOnItsOwnServer runs the benchmark with the AWS-mode cold
// start on a server of its own, as it runs when the benchmark's image is
// not MariaDB (mysql:8.4, the default): the second server is migrated and
// seeded alike, the cold start logs in to it through the stand-in, and the
// report names its image. Here both servers are of the test image, which
// must be MariaDB for AWS mode.
func TestRunAWSModeOnItsOwnServer(t *testing.T) {
	requireDocker(t)
	if lambdaemu.Supported() != nil {
		t.Skipf("SKIPPED: %v", lambdaemu.Supported())
	}
	image := os.Getenv(mysqlcontainer.ImageEnv)
	if image == "" {
		image = mysqlcontainer.DefaultImage
	}
	r, err := Run(t.Context(), Options{ModuleRoot: "../..", Runs: 1, Requests: 20, Warmup: 1, ColdStarts: 1, AWSModeImage: image})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.ColdStarts) != 3 || r.ColdStarts[0].Name != AWSModeColdStart {
		if len(r.ColdStartNotes) > 0 && strings.Contains(r.ColdStartNotes[0], "is not MariaDB") {
			t.Skipf("SKIPPED: %s", r.ColdStartNotes[0])
		}
		t.Fatalf("cold starts %+v, notes %q: want AWS mode first of 3", r.ColdStarts, r.ColdStartNotes)
	}
	if r.AWSModeImage != image {
		t.Errorf("report's AWS-mode image %q, want %q", r.AWSModeImage, image)
	}
	if len(r.Connects) != 3 || !strings.HasPrefix(r.Connects[0].TLS, "TLSv1.") || r.Connects[2].TLS != "" {
		t.Errorf("first connections: %+v, want AWS mode over TLS to its own server, local mode without", r.Connects)
	}
}
