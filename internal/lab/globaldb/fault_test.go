package globaldb

import (
	"testing"

	"github.com/todomgmt/todomgmt/internal/lab/gtid"
	"github.com/todomgmt/todomgmt/pkg/drill"
)

const (
	uuidA = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	uuidB = "4e11fa47-71ca-11e1-9e33-c80aa9429562"
)

// TestFaultMariaDB follows a MariaDB failover: the old writer (server 1)
// committed up to 0-1-30; the replica (server 2) had applied 0-1-20 and
// received up to 0-1-25 when the writer stopped.
func TestFaultMariaDB(t *testing.T) {
	received, err := mergeReceived(flavourMariaDB, "0-1-20", "0-1-25")
	if err != nil {
		t.Fatal(err)
	}
	if received != "0-1-25" {
		t.Fatalf("received = %q, want 0-1-25", received)
	}
	f := drill.Fault{Flavour: string(flavourMariaDB), Received: received}

	n, _, err := unreplicated(f, "0-1-30")
	if err != nil || n != 5 {
		t.Errorf("Unreplicated(0-1-30) = %d, %v; want 5 (26..30 never left the old writer)", n, err)
	}
	if n, _, err := unreplicated(f, "0-1-25"); err != nil || n != 0 {
		t.Errorf("Unreplicated(0-1-25) = %d, %v; want 0", n, err)
	}

	for _, tt := range []struct {
		name string
		// The promoted replica afterwards: its binlog state (with its
		// own writes since the promotion, 0-2-…) and gtid_slave_pos.
		binlogState, slavePos string
		want                  int64
	}{
		{name: "applied everything received", binlogState: "0-1-25,0-2-40", slavePos: "0-1-25", want: 0},
		{name: "promoted with 2 received but unapplied", binlogState: "0-1-23,0-2-38", slavePos: "0-1-23", want: 2},
		{name: "promoted before applying anything new", binlogState: "0-1-20,0-2-30", slavePos: "0-1-20", want: 5},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, _, err := discardedBy(f, serverState{Flavour: flavourMariaDB, BinlogState: mariaGTIDs(t, tt.binlogState), SlavePos: mariaGTIDs(t, tt.slavePos)})
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.want {
				t.Errorf("discarded = %d, want %d", n, tt.want)
			}
		})
	}
}

// TestFaultMySQL is the same failover with MySQL GTID sets: the old
// writer is uuidA, the replica uuidB.
func TestFaultMySQL(t *testing.T) {
	received, err := mergeReceived(flavourMySQL, uuidA+":1-20,"+uuidB+":1-3", uuidA+":18-25")
	if err != nil {
		t.Fatal(err)
	}
	if want := uuidA + ":1-25," + uuidB + ":1-3"; received != want {
		t.Fatalf("received = %q, want %q", received, want)
	}
	f := drill.Fault{Flavour: string(flavourMySQL), Received: received}

	n, detail, err := unreplicated(f, uuidA+":1-30,"+uuidB+":1-3")
	if err != nil || n != 5 || detail != uuidA+":26-30" {
		t.Errorf("Unreplicated = %d, %q, %v; want 5, %q", n, detail, err, uuidA+":26-30")
	}
	for _, tt := range []struct {
		name     string
		executed string // the promoted replica's gtid_executed afterwards
		want     int64
	}{
		{name: "applied everything received", executed: uuidA + ":1-25," + uuidB + ":1-9", want: 0},
		{name: "relay log discarded", executed: uuidA + ":1-22," + uuidB + ":1-9", want: 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, _, err := discardedBy(f, serverState{Flavour: flavourMySQL, Position: tt.executed})
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.want {
				t.Errorf("discarded = %d, want %d", n, tt.want)
			}
		})
	}
}

// mariaGTIDs parses a MariaDB GTID list or fails the test.
func mariaGTIDs(tb testing.TB, s string) []gtid.Maria {
	tb.Helper()
	out, err := gtid.ParseMaria(s)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
