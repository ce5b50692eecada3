package gtid_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/todomgmt/todomgmt/internal/lab/gtid"
)

const (
	uuidA = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	uuidB = "4e11fa47-71ca-11e1-9e33-c80aa9429562"
)

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
			got, err := gtid.CountMySQL(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("gtid.CountMySQL(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("gtid.CountMySQL(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

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
			a, err := gtid.ParseMySQLSet(tt.a)
			if err != nil {
				t.Fatal(err)
			}
			b, err := gtid.ParseMySQLSet(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Union(b).String(); got != tt.union {
				t.Errorf("union = %q, want %q", got, tt.union)
			}
			diff := a.Subtract(b)
			if got := diff.String(); got != tt.subtract {
				t.Errorf("subtract = %q, want %q", got, tt.subtract)
			}
			if got := diff.Count(); got != tt.countDiff {
				t.Errorf("count of the difference = %d, want %d", got, tt.countDiff)
			}
			// The rendering parses back to the same set.
			back, err := gtid.ParseMySQLSet(a.String())
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
		if _, err := gtid.ParseMySQLSet(in); err == nil {
			t.Errorf("gtid.ParseMySQLSet(%q) = nil error, want an error", in)
		}
	}
}
