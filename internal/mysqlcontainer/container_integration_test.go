//go:build integration

package mysqlcontainer

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
)

// TestStartStopStart starts a server, stops it and starts it again, and
// checks that the data survive and the DSN follows the (possibly new) port.
func TestStartStopStart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := DockerAvailable(ctx); err != nil {
		if os.Getenv("CI") != "" || os.Getenv("TODOMGMT_REQUIRE_DOCKER") != "" {
			t.Fatalf("Docker is required: %v", err)
		}
		t.Skipf("SKIPPED: no Docker engine: %v", err)
	}

	c, err := Start(ctx, Options{Args: []string{"--server-id=7"}, Labels: map[string]string{"org.todomgmt.test": t.Name()}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	testcontainers.CleanupContainer(t, c.Testcontainer())

	db, err := c.OpenRoot(ctx, c.Database())
	if err != nil {
		t.Fatal(err)
	}
	var serverID int
	if err := db.QueryRowContext(ctx, "SELECT @@server_id").Scan(&serverID); err != nil {
		t.Fatal(err)
	}
	if serverID != 7 {
		t.Errorf("server_id = %d, want 7 (Args must reach the server)", serverID)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE kept (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO kept (id) VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	if err := c.Stop(ctx, 10*time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatalf("Start again: %v", err)
	}
	db, err = c.OpenRoot(ctx, c.Database())
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	defer db.Close()
	var id int
	if err := db.QueryRowContext(ctx, "SELECT id FROM kept").Scan(&id); err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if id != 42 {
		t.Errorf("after restart got id %d, want 42", id)
	}
}

// TestNetworkAliases attaches a server to a private network under an alias.
func TestNetworkAliases(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := DockerAvailable(ctx); err != nil {
		if os.Getenv("CI") != "" || os.Getenv("TODOMGMT_REQUIRE_DOCKER") != "" {
			t.Fatalf("Docker is required: %v", err)
		}
		t.Skipf("SKIPPED: no Docker engine: %v", err)
	}
	nw, err := network.New(ctx)
	testcontainers.CleanupNetwork(t, nw)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Start(ctx, Options{Networks: []string{nw.Name}, NetworkAliases: []string{"region-a"}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	testcontainers.CleanupContainer(t, c.Testcontainer())
	aliases, err := c.Testcontainer().NetworkAliases(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(aliases[nw.Name], "region-a") {
		t.Errorf("aliases on %s = %v, want region-a among them", nw.Name, aliases[nw.Name])
	}
}
