package failover

import (
	"strings"
	"testing"
)

// The regions of the tests.
const (
	east = "us-east-1"
	west = "us-west-2"
)

func TestParseTarget(t *testing.T) {
	regions := []string{east, west}
	for _, tt := range []struct {
		raw, want, err string
	}{
		{raw: "", want: ""},
		{raw: west, want: west},
		{raw: "us-gov-west-1", err: "not a region of this deployment (us-east-1, us-west-2)"},
		{raw: " us-west-2", err: "not a region name"},
		{raw: "US-WEST-2", err: "not a region name"},
		{raw: "arn:aws:rds:us-west-2:111122223333:cluster:x", err: "not a region name"},
		{raw: "secondary", err: "not a region name"},
		{raw: "us-west-2-", err: "not a region name"},
		{raw: strings.Repeat("a-", 40) + "b", err: "not a region name"},
	} {
		t.Run(tt.raw, func(t *testing.T) {
			got, err := ParseTarget(tt.raw, regions)
			switch {
			case tt.err == "" && (err != nil || got != tt.want):
				t.Errorf("ParseTarget(%q) = %q, %v; want %q", tt.raw, got, err, tt.want)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("ParseTarget(%q) = %q, %v; want an error containing %q", tt.raw, got, err, tt.err)
			}
		})
	}
	if got, err := ParseTarget("lab-b", nil); err != nil || got != "lab-b" {
		t.Errorf("ParseTarget(lab-b) without known regions = %q, %v; want lab-b", got, err)
	}
}
