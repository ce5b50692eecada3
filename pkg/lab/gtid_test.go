package lab

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseMariaGTIDs(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    []mariaGTID
		wantErr bool
	}{
		{in: "", want: nil},
		{in: "0-1-105", want: []mariaGTID{{0, 1, 105}}},
		{in: "0-1-105, 1-2-7", want: []mariaGTID{{0, 1, 105}, {1, 2, 7}}},
		{in: "0-1", wantErr: true},
		{in: "0-x-1", wantErr: true},
		{in: "0-1-2-3", wantErr: true},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseMariaGTIDs(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseMariaGTIDs(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseMariaGTIDs(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestMariaPosition(t *testing.T) {
	binlog := []mariaGTID{{0, 1, 10}, {1, 3, 4}}
	slave := []mariaGTID{{0, 2, 12}, {1, 3, 2}}
	got := formatMariaGTIDs(mariaPosition(binlog, slave))
	if want := "0-2-12,1-3-4"; got != want {
		t.Errorf("mariaPosition = %q, want %q", got, want)
	}
}

func TestMariaMissing(t *testing.T) {
	for _, tt := range []struct {
		name                          string
		position, otherState, otherSP string
		want                          int64
	}{
		{
			name:     "replica caught up",
			position: "0-1-50", otherState: "0-1-50", otherSP: "0-1-50",
			want: 0,
		},
		{
			name:     "replica behind by three",
			position: "0-1-53", otherState: "0-1-50", otherSP: "0-1-50",
			want: 3,
		},
		{
			// a→b, b→a, then a's last write never reached b: b's last
			// GTID from server 1 is old (6), but its slave position (9)
			// is where the histories forked.
			name:     "failback then one unreplicated write",
			position: "0-1-10", otherState: "0-1-6,0-2-9", otherSP: "0-2-9",
			want: 1,
		},
		{
			// After the promotion the new writer wrote on (0-2-30): its
			// slave position did not move, so the count stays exact.
			name:     "new writer wrote after the fork",
			position: "0-1-25", otherState: "0-1-21,0-2-30", otherSP: "0-1-21",
			want: 4,
		},
		{
			name:     "planned switchover, old writer holds nothing new",
			position: "0-1-40", otherState: "0-1-40,0-2-44", otherSP: "0-1-40",
			want: 0,
		},
		{
			name:     "fork below the other's position counts as diverged",
			position: "0-1-5", otherState: "0-2-9", otherSP: "0-2-9",
			want: 1,
		},
		{
			name:     "two domains",
			position: "0-1-10,1-1-3", otherState: "0-1-8,1-1-1", otherSP: "0-1-8,1-1-1",
			want: 4,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := mariaMissing(mariaGTIDs(t, tt.position), mariaGTIDs(t, tt.otherState), mariaGTIDs(t, tt.otherSP))
			if got != tt.want {
				t.Errorf("mariaMissing(%s; %s; %s) = %d, want %d", tt.position, tt.otherState, tt.otherSP, got, tt.want)
			}
		})
	}
}

func TestCountMySQLGTIDs(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: "", want: 0},
		{in: "3E11FA47-71CA-11E1-9E33-C80AA9429562:23", want: 1},
		{in: "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:11-12", want: 7},
		{in: "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5,\n4E11FA47-71CA-11E1-9E33-C80AA9429562:7", want: 6},
		{in: "3E11FA47-71CA-11E1-9E33-C80AA9429562:tag1:1-3", want: 3},
		{in: "3E11FA47-71CA-11E1-9E33-C80AA9429562", wantErr: true},
		{in: "3E11FA47-71CA-11E1-9E33-C80AA9429562:5-2", wantErr: true},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := countMySQLGTIDs(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("countMySQLGTIDs(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("countMySQLGTIDs(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestMySQLAtLeast(t *testing.T) {
	for _, tt := range []struct {
		version      string
		major, minor int
		want         bool
	}{
		{"8.4.3", 8, 4, true},
		{"8.0.36", 8, 4, false},
		{"9.1.0", 8, 4, true},
		{"8.4.0-commercial", 8, 4, true},
		{"garbage", 8, 4, false},
	} {
		if got := mysqlAtLeast(tt.version, tt.major, tt.minor); got != tt.want {
			t.Errorf("mysqlAtLeast(%q, %d, %d) = %v, want %v", tt.version, tt.major, tt.minor, got, tt.want)
		}
	}
}

func TestLiteral(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		wantErr  bool
	}{
		{in: "db-lab-a", want: "'db-lab-a'"},
		{in: "0-1-10,1-2-3", want: "'0-1-10,1-2-3'"},
		{in: "3E11FA47-71CA:1-5", want: "'3E11FA47-71CA:1-5'"},
		{in: "x'; DROP TABLE todos; --", wantErr: true},
		{in: `back\slash`, wantErr: true},
	} {
		got, err := literal(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("literal(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestRedact(t *testing.T) {
	got := redact("CHANGE MASTER TO MASTER_HOST='db', MASTER_PASSWORD='s3cret', MASTER_USE_GTID=slave_pos")
	if want := "CHANGE MASTER TO MASTER_HOST='db', MASTER_PASSWORD='***', MASTER_USE_GTID=slave_pos"; got != want {
		t.Errorf("redact = %q, want %q", got, want)
	}
}

func TestServerArgs(t *testing.T) {
	args := serverArgs(2, "db-lab-b")
	for _, want := range []string{"--server-id=2", "--log-bin=binlog", "--read-only=ON", "--loose-gtid-strict-mode=ON", "--loose-gtid-mode=ON", "--loose-enforce-gtid-consistency=ON"} {
		found := false
		for _, a := range args {
			found = found || a == want
		}
		if !found {
			t.Errorf("serverArgs(2) = %q, missing %q", args, want)
		}
	}
}

// mariaGTIDs parses a MariaDB GTID list or fails the test.
func mariaGTIDs(tb testing.TB, s string) []mariaGTID {
	tb.Helper()
	out, err := parseMariaGTIDs(s)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
