package lab

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	uuidA = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	uuidB = "4e11fa47-71ca-11e1-9e33-c80aa9429562"
)

func TestMySQLGTIDSetArithmetic(t *testing.T) {
	for _, tt := range []struct {
		name      string
		a, b      string
		union     string
		subtract  string // a minus b
		countDiff int64
	}{
		{
			name: "replica behind", a: uuidA + ":1-30", b: uuidA + ":1-25",
			union: uuidA + ":1-30", subtract: uuidA + ":26-30", countDiff: 5,
		},
		{
			name: "caught up", a: uuidA + ":1-30", b: uuidA + ":1-30," + uuidB + ":1-4",
			union: uuidA + ":1-30," + uuidB + ":1-4", subtract: "", countDiff: 0,
		},
		{
			name: "holes and two sources", a: uuidA + ":1-10:20-30," + uuidB + ":1-5", b: uuidA + ":5-22," + uuidB + ":3",
			union: uuidA + ":1-30," + uuidB + ":1-5", subtract: uuidA + ":1-4:23-30," + uuidB + ":1-2:4-5", countDiff: 16,
		},
		{
			name: "adjacent intervals merge", a: uuidA + ":1-3:4-6", b: "",
			union: uuidA + ":1-6", subtract: uuidA + ":1-6", countDiff: 6,
		},
		{
			name: "upper case and wrapped lines", a: "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,\n" + uuidB + ":7", b: uuidA + ":1-5",
			union: uuidA + ":1-5," + uuidB + ":7", subtract: uuidB + ":7", countDiff: 1,
		},
		{
			name: "tags are their own sequences", a: uuidA + ":1-3:tag1:1-2", b: uuidA + ":1-3",
			union: uuidA + ":1-3," + uuidA + ":tag1:1-2", subtract: uuidA + ":tag1:1-2", countDiff: 2,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := parseMySQLGTIDSet(tt.a)
			if err != nil {
				t.Fatal(err)
			}
			b, err := parseMySQLGTIDSet(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.union(b).String(); got != tt.union {
				t.Errorf("union = %q, want %q", got, tt.union)
			}
			diff := a.subtract(b)
			if got := diff.String(); got != tt.subtract {
				t.Errorf("subtract = %q, want %q", got, tt.subtract)
			}
			if got := diff.count(); got != tt.countDiff {
				t.Errorf("count of the difference = %d, want %d", got, tt.countDiff)
			}
			// The rendering parses back to the same set.
			back, err := parseMySQLGTIDSet(a.String())
			if err != nil {
				t.Fatalf("parse %q: %v", a.String(), err)
			}
			if diff := cmp.Diff(a, back); diff != "" {
				t.Errorf("String round trip (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseMySQLGTIDSetErrors(t *testing.T) {
	for _, in := range []string{uuidA, uuidA + ":5-2", uuidA + ":0", uuidA + "::3", ":1-3"} {
		if _, err := parseMySQLGTIDSet(in); err == nil {
			t.Errorf("parseMySQLGTIDSet(%q) = nil error, want an error", in)
		}
	}
}

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
	f := Fault{Flavour: string(flavourMariaDB), Received: received}

	n, _, err := f.Unreplicated("0-1-30")
	if err != nil || n != 5 {
		t.Errorf("Unreplicated(0-1-30) = %d, %v; want 5 (26..30 never left the old writer)", n, err)
	}
	if n, _, err := f.Unreplicated("0-1-25"); err != nil || n != 0 {
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
			n, _, err := f.discardedBy(serverState{Flavour: flavourMariaDB, BinlogState: mariaGTIDs(t, tt.binlogState), SlavePos: mariaGTIDs(t, tt.slavePos)})
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
	f := Fault{Flavour: string(flavourMySQL), Received: received}

	n, detail, err := f.Unreplicated(uuidA + ":1-30," + uuidB + ":1-3")
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
			n, _, err := f.discardedBy(serverState{Flavour: flavourMySQL, Position: tt.executed})
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.want {
				t.Errorf("discarded = %d, want %d", n, tt.want)
			}
		})
	}
}
