package gtid_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/internal/lab/gtid"
)

func TestParseMariaGTIDs(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    []gtid.Maria
		wantErr bool
	}{
		{in: "", want: nil},
		{in: "0-1-105", want: []gtid.Maria{{0, 1, 105}}},
		{in: "0-1-105, 1-2-7", want: []gtid.Maria{{0, 1, 105}, {1, 2, 7}}},
		{in: "0-1", wantErr: true},
		{in: "0-x-1", wantErr: true},
		{in: "0-1-2-3", wantErr: true},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := gtid.ParseMaria(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("gtid.ParseMaria(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("gtid.ParseMaria(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestMariaPosition(t *testing.T) {
	binlog := []gtid.Maria{{0, 1, 10}, {1, 3, 4}}
	slave := []gtid.Maria{{0, 2, 12}, {1, 3, 2}}
	got := gtid.FormatMaria(gtid.MariaPosition(binlog, slave))
	if want := "0-2-12,1-3-4"; got != want {
		t.Errorf("gtid.MariaPosition = %q, want %q", got, want)
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
			got := gtid.MariaMissing(mariaGTIDs(t, tt.position), mariaGTIDs(t, tt.otherState), mariaGTIDs(t, tt.otherSP))
			if got != tt.want {
				t.Errorf("gtid.MariaMissing(%s; %s; %s) = %d, want %d", tt.position, tt.otherState, tt.otherSP, got, tt.want)
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
